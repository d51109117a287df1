"""Key rotation with pre-rotation (docs/PROTOCOL.md §11): an author's key state and the two kinds that change it.

`KeyState` is (current key, commitment to the next key). It starts as (author, None) and changes only by a
`key.commit` (the first commitment, only while there is none) or a `key.rotate` (to the committed key, whose
own signature, under that new key, must verify). `ChainVerifier` applies it when given a KeyState.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from . import ed25519
from .errors import EventError, RotationError
from .event import Event, signature_valid

COMMIT_KIND = "key.commit"
ROTATION_KIND = "key.rotate"


@dataclass(frozen=True, slots=True)
class KeyState:
    """The key that signs an author's next event and the commitment (SHA-256) to the key after it."""

    key: bytes
    commitment: bytes | None = None

    @classmethod
    def inception(cls, author: bytes) -> KeyState:
        """Return the key state of a log before any key event: the author key, no commitment."""
        return cls(author, None)


@dataclass(frozen=True, slots=True)
class Rotation:
    """A rotation a verifier accepted: where, to which key, and the commitment it set."""

    seq: int
    event_id: bytes
    key: bytes
    next: bytes


def commitment_of(public_key: bytes) -> bytes:
    """Return the commitment to `public_key`: SHA-256 of its 32 bytes."""
    return hashlib.sha256(public_key).digest()


def _payload(event: Event, fields: tuple[str, ...]) -> dict:
    from .kinds.schema import valid_payload_value  # the registry's schema; imported late: kinds imports event

    if event.payload is None:
        raise RotationError(f"{event.kind} without its payload cannot be verified", field="payload", event_id=event.id.hex())
    try:
        value = valid_payload_value(event.kind, event.payload)
    except EventError as exc:
        raise RotationError(f"{event.kind} payload is not valid: {exc}", field="payload", event_id=event.id.hex()) from None
    assert value is not None and all(f in value for f in fields)
    return value


def apply_key_event(state: KeyState, event: Event) -> tuple[KeyState, Rotation | None]:
    """Return the key state after `event` (unchanged for other kinds) and the rotation it made, if any.

    Raises RotationError if the event is a key event that breaks §11; a rotation's own signature is checked here.
    """
    kind = event.header.kind
    if kind == COMMIT_KIND:
        value = _payload(event, ("next",))
        if state.commitment is not None:
            raise RotationError(
                "a commitment to the next key exists: only a key.rotate can replace it, never the current key alone",
                field="kind",
                event_id=event.id.hex(),
            )
        return KeyState(state.key, value["next"]), None
    if kind != ROTATION_KIND:
        return state, None
    value = _payload(event, ("key", "next"))
    new_key = value["key"]
    eid = event.id.hex()
    if state.commitment is None:
        raise RotationError("key.rotate without a prior commitment to the next key", field="key", event_id=eid)
    if commitment_of(new_key) != state.commitment:
        raise RotationError("key.rotate to a key that is not the committed one", field="key", event_id=eid)
    try:
        loaded = ed25519.load_public_key(new_key)
    except EventError as exc:
        raise RotationError(f"key.rotate to an unacceptable key: {exc}", field="key", event_id=eid) from None
    if not signature_valid(event, loaded):
        raise RotationError("key.rotate whose own signature does not verify under the new key", field="signature", event_id=eid)
    return KeyState(new_key, value["next"]), Rotation(event.seq, event.id, new_key, value["next"])
