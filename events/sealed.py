"""Private events: an inner kind and payload sealed to chosen groups (docs/KINDS.md, "Private events").

All the cryptography is libsodium's, through PyNaCl; nothing here is home-made:
- the inner document (kind, payload, recipient groups) is packed canonically, padded to a size bucket
  (`sodium_pad`, ISO/IEC 7816-4) and encrypted once with XChaCha20-Poly1305-IETF under a fresh 32-byte
  content key and a random 24-byte nonce; the associated data binds it to the author's group id, so the
  ciphertext cannot be re-signed into another group's log and still open;
- the content key is sealed to each recipient's X25519 encryption key with `crypto_box_seal` (anonymous
  sender, ephemeral key per box): a box names no recipient; slots are padded with random bytes to a power
  of two, so a relay learns only a bound on the number of recipients.

`seal` returns the `sealed` payload value; `open_sealed` returns the inner document, or None when none of the
given keys opens it (not ours) or what opens is not a valid inner document (a hostile author's).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nacl import bindings as sodium
from nacl.exceptions import CryptoError

from .canonical import pack, unpack
from .errors import DecodeError, PayloadError

SEALED_KIND = "sealed"
ENCRYPTION_KEY_KIND = "key.encryption"
NONCE_SIZE = 24
KEY_SIZE = 32
TAG_SIZE = 16
BOX_SIZE = KEY_SIZE + 48  # crypto_box_seal: ephemeral public key (32) + MAC (16) + content key (32)
MIN_BUCKET = 256
BUCKET_STEP = 16384  # above it, buckets grow by this step instead of doubling
MAX_PLAIN = 3 * BUCKET_STEP  # the largest padded inner document
MAX_SLOTS = 64
AAD_PREFIX = b"solnet/sealed/v1\x00"
PRIVATE_KINDS = frozenset(
    {
        "callout.published",
        "callout.updated",
        "callout.withdrawn",
        "callout.fulfilled",
        "pledge.made",
        "pledge.withdrawn",
        "pledge.fulfilled",
        "comment.posted",
        "comment.updated",
        "comment.withdrawn",
    }
)
"""The kinds a sealed event may carry: callouts, the pledges answering them and comments in their threads."""


@dataclass(frozen=True, slots=True)
class Inner:
    """What a sealed event carries: the inner kind, its payload value, and the groups it is private to (sorted)."""

    kind: str
    payload: dict[str, Any]
    to: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class EncryptionKeyPair:
    """An X25519 key pair for opening sealed events (the public half is published in `key.encryption`)."""

    public: bytes
    secret: bytes

    @classmethod
    def generate(cls) -> EncryptionKeyPair:
        """Return a fresh key pair from the operating system's random source."""
        public, secret = sodium.crypto_box_keypair()
        return cls(public, secret)

    @classmethod
    def from_secret(cls, secret: bytes) -> EncryptionKeyPair:
        """Return the key pair whose 32-byte secret is `secret`."""
        if type(secret) is not bytes or len(secret) != KEY_SIZE:
            raise PayloadError("an encryption secret key has 32 bytes", field="secret")
        return cls(sodium.crypto_scalarmult_base(secret), secret)


def bucket(size: int) -> int:
    """Return the padded size of an inner document of `size` bytes (at least one byte of padding)."""
    if size + 1 <= BUCKET_STEP:
        padded = MIN_BUCKET
        while padded < size + 1:
            padded *= 2
        return padded
    return -(-(size + 1) // BUCKET_STEP) * BUCKET_STEP


def slots(recipients: int) -> int:
    """Return how many key slots a sealed event to `recipients` groups has: the next power of two (at least 2)."""
    count = 2
    while count < recipients:
        count *= 2
    return count


def aad(author: bytes) -> bytes:
    """Return the associated data of the ciphertext: the prefix and the author's 32-byte group id."""
    return AAD_PREFIX + author


def inner_bytes(kind: str, payload: dict[str, Any], to: Iterable[bytes]) -> bytes:
    """Return the canonical bytes of an inner document, before padding; raise PayloadError if it cannot be sealed."""
    if kind not in PRIVATE_KINDS:
        raise PayloadError(f"{kind!r:.80} cannot be sent privately; only {', '.join(sorted(PRIVATE_KINDS))}", field="kind")
    groups = sorted(set(to))
    if any(type(g) is not bytes or len(g) != 32 for g in groups):
        raise PayloadError("recipients are 32-byte group ids", field="to")
    return pack({"kind": kind, "payload": payload, "to": groups})


def seal(
    kind: str,
    payload: dict[str, Any],
    to: Sequence[bytes],
    keys: Sequence[bytes],
    author: bytes,
    *,
    content_key: bytes | None = None,
    nonce: bytes | None = None,
) -> dict[str, Any]:
    """Return the `sealed` payload value carrying (kind, payload) for the groups `to`, readable with `keys`.

    `to` names the groups (shown to recipients); `keys` are the X25519 public keys the content key is sealed to
    (the author's own among them, to read its own event back). `content_key` and `nonce` are for test vectors only.
    """
    if not keys:
        raise PayloadError("a private event needs at least one recipient key", field="to")
    if len(keys) > MAX_SLOTS:
        raise PayloadError(f"a private event has at most {MAX_SLOTS} recipient keys, not {len(keys)}", field="to")
    plain = inner_bytes(kind, payload, to)
    if len(plain) >= MAX_PLAIN:
        raise PayloadError(f"the private event has {len(plain)} bytes, more than {MAX_PLAIN - 1}", field="payload")
    content_key = content_key or os.urandom(KEY_SIZE)
    nonce = nonce or os.urandom(NONCE_SIZE)
    padded = sodium.sodium_pad(plain, bucket(len(plain)))
    box = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, aad(author), nonce, content_key)
    boxes = [sodium.crypto_box_seal(content_key, key) for key in keys]
    boxes += [os.urandom(BOX_SIZE) for _ in range(slots(len(keys)) - len(boxes))]
    boxes.sort()  # the slot order says nothing about who is who
    return {"nonce": nonce, "box": box, "keys": boxes}


def content_key_of(value: dict[str, Any], pairs: Iterable[EncryptionKeyPair]) -> bytes | None:
    """Return the content key that one of `pairs` opens from a sealed payload's slots, or None."""
    for pair in pairs:
        for slot in value["keys"]:
            try:
                key = sodium.crypto_box_seal_open(slot, pair.public, pair.secret)
            except CryptoError:
                continue
            if len(key) == KEY_SIZE:
                return key
    return None


def open_sealed(value: dict[str, Any], author: bytes, pairs: Iterable[EncryptionKeyPair]) -> Inner | None:
    """Return the inner document of a valid `sealed` payload value by `author`, or None if no pair opens it or it is
    not well formed (docs/KINDS.md, "Private events"); its payload is checked against its kind by the caller
    (events/readmodel/private.py), as the kinds package builds on this module."""
    key = content_key_of(value, pairs)
    if key is None:
        return None
    try:
        padded = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(value["box"], aad(author), value["nonce"], key)
        plain = sodium.sodium_unpad(padded, len(padded))
    except (CryptoError, ValueError):
        return None
    if len(padded) != bucket(len(plain)):
        return None  # padded to another size than the rule says: not one of ours
    return _inner(plain)


def _inner(plain: bytes) -> Inner | None:
    try:
        doc = unpack(plain, max_size=MAX_PLAIN)
    except DecodeError:
        return None
    if type(doc) is not dict or set(doc) != {"kind", "payload", "to"}:
        return None
    kind, payload, to = doc["kind"], doc["payload"], doc["to"]
    if kind not in PRIVATE_KINDS or type(payload) is not dict or type(to) is not list:
        return None
    if any(type(g) is not bytes or len(g) != 32 for g in to) or to != sorted(set(to)):
        return None
    return Inner(kind, payload, tuple(to))
