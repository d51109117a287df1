"""A group's identity: its Ed25519 key pair and the group id derived from the public key."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import ed25519
from .errors import IdentityError

GROUP_ID_PREFIX = "sn_"
_GROUP_ID_LEN = len(GROUP_ID_PREFIX) + 52
GROUP_ID_PATTERN = "^sn_[a-z2-7]{51}[aq]$"
"""A group id's text form as a regular expression (ECMA-262 and Python alike): 52 base32 digits hold 256 bits, so the
last one has one bit set or not."""


@lru_cache(maxsize=16_384)  # pure, and lists name the same few hundred groups on every page
def group_id_text(public_key: bytes) -> str:
    """Return the text form of a group id: 'sn_' + unpadded lowercase base32 of the public key."""
    if len(public_key) != 32:
        raise IdentityError(f"public key has {len(public_key)} bytes, not 32")
    return GROUP_ID_PREFIX + base64.b32encode(public_key).decode("ascii").rstrip("=").lower()


def parse_group_id(text: str) -> bytes:
    """Return the 32-byte public key named by a group id's text form; raise IdentityError if malformed."""
    raw = group_key_of(text)
    ed25519.check_public_key(raw)
    return raw


def group_key_of(text: str) -> bytes:
    """Return the 32 bytes a group id's text names, checking its form only (for look-ups, where a key that no group
    can hold simply finds nothing); raise IdentityError if the text is not a group id."""
    if not isinstance(text, str) or len(text) != _GROUP_ID_LEN or not text.startswith(GROUP_ID_PREFIX):
        raise IdentityError(f"not a group id: {text!r:.80}", field="group_id")
    body = text[len(GROUP_ID_PREFIX) :]
    if body != body.lower():
        raise IdentityError("a group id is lowercase", field="group_id")
    try:
        raw = base64.b32decode(body.upper() + "====")
    except ValueError:
        raise IdentityError(f"not a group id: {text!r:.80}", field="group_id") from None
    if group_id_text(raw) != text:
        raise IdentityError("group id is not in canonical form", field="group_id")
    return raw


@dataclass(frozen=True, slots=True)
class Identity:
    """A group's signing key together with its public key and group id."""

    private_key: Ed25519PrivateKey
    public_key: bytes

    @property
    def group_id(self) -> str:
        return group_id_text(self.public_key)

    @classmethod
    def generate(cls) -> Identity:
        """Return a fresh identity (the key comes from the operating system's random source)."""
        while True:
            key = Ed25519PrivateKey.generate()
            public = key.public_key().public_bytes_raw()
            try:
                ed25519.check_public_key(public)
            except IdentityError:  # pragma: no cover - probability ~2**-250
                continue
            return cls(key, public)

    @classmethod
    def from_seed(cls, seed: bytes) -> Identity:
        """Return the identity whose RFC 8032 private seed is `seed` (32 bytes); for test vectors."""
        if len(seed) != 32:
            raise IdentityError(f"seed has {len(seed)} bytes, not 32")
        key = Ed25519PrivateKey.from_private_bytes(seed)
        public = key.public_key().public_bytes_raw()
        ed25519.check_public_key(public)
        return cls(key, public)

    def sign(self, message: bytes) -> bytes:
        return ed25519.sign(self.private_key, message)

    def rotated(self, group: bytes) -> Identity:
        """Return the identity of `group` signing with this key: after a key rotation (docs/PROTOCOL.md §11) the
        group id (the log's `author`) stays the inception key, and the key in force signs."""
        return Identity(self.private_key, group)

    @property
    def signing_key(self) -> bytes:
        """Return the public key of the key that signs (the group id itself until the log rotates)."""
        return self.private_key.public_key().public_bytes_raw()

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """Return the private key as PKCS#8 PEM, encrypted with `passphrase` when one is given."""
        encryption: serialization.KeySerializationEncryption
        encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

    @classmethod
    def from_pem(cls, pem: bytes, passphrase: bytes | None = None) -> Identity:
        """Load an identity from PKCS#8 PEM; raise IdentityError on a wrong passphrase or another key type."""
        try:
            key = serialization.load_pem_private_key(pem, password=passphrase or None)
        except TypeError as exc:
            raise IdentityError(f"key file passphrase: {exc}") from None
        except ValueError as exc:
            raise IdentityError(f"cannot load the key file (wrong passphrase or damaged file): {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise IdentityError(f"key file holds a {type(key).__name__}, not an Ed25519 key")
        public = key.public_key().public_bytes_raw()
        ed25519.check_public_key(public)
        return cls(key, public)
