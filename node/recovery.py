"""The recovery kit: the group's next key, made at `init`, kept offline, apart from the key the node signs with.

At `init` the node generates two keys: the current one (identity.pem, on the node) and the next one, whose
SHA-256 the group's first event commits to (`key.commit`, docs/PROTOCOL.md §11). The next key's secret goes
only into the kit, a text file that is also its printable form: the group id, the commitment, the key as
PKCS#8 PEM (encrypted when a passphrase is given) and, without a passphrase, as recovery words (base32 of
the 32-byte seed, with a checksum) that can be typed back from paper. With the kit, a group whose key is
lost or stolen rotates to the committed key (node/rotation.py: `solnet key rotate`, `solnet key recover`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from events import Identity, IdentityError, commitment_of, group_id_text, parse_group_id

from .errors import ConfigError

KIT_FILE = "recovery-kit.txt"
PASSPHRASE_ENV = "SOLNET_RECOVERY_PASSPHRASE"
_TITLE = "SOLIDARITY NETWORK RECOVERY KIT"
_PEM = re.compile(rb"-----BEGIN (?:ENCRYPTED )?PRIVATE KEY-----.+?-----END (?:ENCRYPTED )?PRIVATE KEY-----", re.S)
_WORDS = re.compile(r"^recovery words:\s*(.+)$", re.M)
_FIELD = re.compile(r"^(group|commitment):\s*(\S+)\s*$", re.M)
_ENCRYPTION = re.compile(r"^encryption keys:[ \t]*((?:[0-9a-f]{64}[ \t]*)+)$", re.M)


@dataclass(frozen=True, slots=True)
class RecoveryKit:
    """The group (inception key) and its next key, whose commitment its log holds."""

    group: bytes
    next_key: Identity
    encryption: tuple[bytes, ...] = ()
    """The group's encryption secrets for private events when the kit was made (docs/KINDS.md); not in a kit with a
    passphrase, which keeps no secret in clear beside its encrypted key."""

    @property
    def commitment(self) -> bytes:
        """Return SHA-256 of the next public key: what the group's `key.commit` holds."""
        return commitment_of(self.next_key.public_key)


def words_of(identity: Identity) -> str:
    """Return the recovery words of a key: base32 of its seed and 2 checksum bytes, in groups of 4."""
    seed = identity.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    text = base64.b32encode(seed + hashlib.sha256(seed).digest()[:2]).decode().rstrip("=").lower()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def identity_of_words(words: str) -> Identity:
    """Return the key written as recovery words; raise ConfigError on a typo (the checksum catches it)."""
    text = "".join(words.split()).upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        raise ConfigError("the recovery words are not base32 (letters a-z and digits 2-7)", field="kit") from None
    seed, check = raw[:32], raw[32:]
    if len(raw) != 34 or hashlib.sha256(seed).digest()[:2] != check:
        raise ConfigError("the recovery words do not check out: a word is missing or mistyped", field="kit")
    return Identity.from_seed(seed)


def kit_text(kit: RecoveryKit, passphrase: bytes | None = None) -> str:
    """Return the kit as text (the file, and what to print): group, commitment, the key as PEM and words."""
    lines = [
        _TITLE,
        "",
        f"group: {group_id_text(kit.group)}",
        f"commitment: {kit.commitment.hex()}",
        "",
        "This is the group's NEXT signing key. Keep it offline (printed, or on a USB stick in a drawer), never on",
        "the node. If the node's key is lost or stolen, the group moves its log to this key by a key rotation",
        "(docs/PROTOCOL.md section 11): solnet key recover THIS-FILE --data NEWDIR --peer URL on a new machine,",
        "or solnet key rotate --kit THIS-FILE on the node. Whoever holds this kit controls the group's log.",
        "",
    ]
    if passphrase:
        lines.append("The key below is encrypted with the passphrase chosen at init.")
    else:
        lines.append(f"recovery words: {words_of(kit.next_key)}")
        if kit.encryption:  # the secrets that open private events sent to the group (solnet key recover restores them)
            lines.append(f"encryption keys: {' '.join(k.hex() for k in kit.encryption)}")
    lines += ["", kit.next_key.to_pem(passphrase).decode().strip(), ""]
    return "\n".join(lines)


def write_kit(path: Path, kit: RecoveryKit, passphrase: bytes | None = None) -> None:
    """Write the kit to the new file `path`, readable by its owner only (0600)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} exists already: a recovery kit is never overwritten", field="recovery_kit") from None
    with os.fdopen(fd, "w") as f:
        f.write(kit_text(kit, passphrase))


def read_kit(text: str, passphrase: bytes | None = None) -> RecoveryKit:
    """Return the kit in `text` (the file, or the words typed back with its group line); raise ConfigError."""
    fields = dict(_FIELD.findall(text))
    if "group" not in fields:
        raise ConfigError("no 'group: sn_…' line: this is not a Solidarity Network recovery kit", field="kit")
    try:
        group = parse_group_id(fields["group"])
        pem = _PEM.search(text.encode())
        words = _WORDS.search(text)
        if pem is not None:
            key = Identity.from_pem(pem.group(0), passphrase)
        elif words is not None:
            key = identity_of_words(words.group(1))
        else:
            raise ConfigError("the kit holds neither the key (PEM) nor recovery words", field="kit")
    except IdentityError as exc:
        raise ConfigError(f"cannot read the recovery kit: {exc}", field="kit") from None
    found = _ENCRYPTION.search(text)
    kit = RecoveryKit(group, key, tuple(bytes.fromhex(k) for k in found.group(1).split()) if found else ())
    if "commitment" in fields and fields["commitment"] != kit.commitment.hex():
        raise ConfigError("the kit's key does not match its commitment line: the kit is damaged", field="kit")
    return kit


def new_kit(group: bytes, encryption: tuple[bytes, ...] = ()) -> RecoveryKit:
    """Return a kit with a freshly generated next key for `group` (and its encryption secrets, if given)."""
    return RecoveryKit(group, Identity.generate(), encryption)
