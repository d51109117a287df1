"""Rotating the group's key with its recovery kit (docs/PROTOCOL.md §11, docs/OPERATIONS.md "Key rotation").

The next key's secret never lives on the node: it is only in the recovery kit, kept offline. A rotation takes
the kit, checks that its key is the one the log committed to, writes a NEW kit (a fresh next key, which the
rotation commits to) before anything is signed, makes the kit's key the node's key (identity.pem, the group id
in `group-id`), and then signs and stores the `key.rotate` through the ingest decision (node/writer.py). If a
step fails after the key file was replaced, running the rotation again with the same kit finishes it.
"""

from __future__ import annotations

from pathlib import Path

from events import Event, group_id_text

from .errors import ConfigError
from .recovery import RecoveryKit, new_kit, write_kit
from .service import NodeService


async def rotate_with_kit(
    service: NodeService, kit: RecoveryKit, new_kit_path: Path, passphrase: bytes | None = None, *, after: int | None = None
) -> tuple[Event, RecoveryKit]:
    """Rotate the node's group to the kit's key, committing to a fresh key written to `new_kit_path`.

    `after`: rotate right after that seq of the stored log instead of after its head, superseding what is above it
    (a thief's events; docs/PROTOCOL.md §11.1). Return the rotation and the new kit; raise ConfigError or
    InvalidEventError (nothing signed) when the kit does not fit the log or the rotation is refused.
    """
    group = service.identity.public_key
    if kit.group != group:
        raise ConfigError(f"this recovery kit is for {group_id_text(kit.group)}, not for this node's group {service.group_id}")
    keyed = (await service.astore.read_sync(service.store.key_heads, [group])).get(group)
    committed = keyed[0].state.commitment if keyed else None
    if committed is None:
        raise ConfigError("this node holds no commitment to a next key for its log (is its log caught up from peers?)")
    if committed != kit.commitment:
        raise ConfigError(
            f"the kit's key is not the one the log committed to (the log commits to {committed.hex()}, the kit's key "
            f"hashes to {kit.commitment.hex()}): is this the newest kit?",
            field="kit",
        )
    fresh = new_kit(group, tuple(p.secret for p in service.encryption_keys.pairs()))
    write_kit(new_kit_path, fresh, passphrase)  # first: a rotation must never commit to a key nobody kept
    signer = kit.next_key.rotated(group)
    if service.data_dir is not None:
        service.data_dir.save_signing_key(signer)
    event = await service.rotate_key(signer, fresh.commitment, after)
    return event, fresh
