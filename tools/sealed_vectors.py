"""The golden vectors of private events (docs/KINDS.md, "Private events"), written to sealed.json.

Deterministic: group keys from the seeds SHA-256("solnet test vector key N"), encryption keys from
SHA-256("solnet test vector encryption key N"), fixed content keys and nonces. `crypto_box_seal` takes a fresh
ephemeral key each time, so for the vectors its construction is written out with a fixed one (libsodium's
documented one: ephemeral key pair, nonce = BLAKE2b-192(epk || pk), `crypto_box`, output epk || box); the tests
open every slot with libsodium's own `crypto_box_seal_open`, which checks this construction. Filler slots are
SHA-256 derived. Run by `tools/make_vectors.py`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from nacl import bindings as sodium

from events import Identity, create_event, encode_record, pack
from events.sealed import BOX_SIZE, EncryptionKeyPair, aad, bucket, inner_bytes, slots

T0 = 1_700_000_000_000
CALLOUT = {"needs": ["people"], "text": "Bailiffs due at 6am; door blockade.", "title": "Elm Street", "urgency": "critical"}
UPDATE = {"callout": b"", "text": "Moved to 5:30am; bring a flask."}


def group(n: int) -> Identity:
    return Identity.from_seed(hashlib.sha256(f"solnet test vector key {n}".encode()).digest())


def encryption(n: int) -> EncryptionKeyPair:
    return EncryptionKeyPair.from_secret(hashlib.sha256(f"solnet test vector encryption key {n}".encode()).digest())


def fixed_seal(content_key: bytes, public: bytes, label: str) -> bytes:
    """Return libsodium's crypto_box_seal of `content_key` to `public`, with an ephemeral key derived from `label`."""
    epk, esk = sodium.crypto_box_seed_keypair(hashlib.sha256(f"solnet test vector ephemeral {label}".encode()).digest())
    nonce = sodium.crypto_generichash_blake2b_salt_personal(epk + public, digest_size=24)
    return epk + sodium.crypto_box(content_key, nonce, public, esk)


def sealed_value(author: Identity, kind: str, payload: dict, to: list[int], label: str) -> tuple[dict, dict]:
    """Return the sealed payload value and the intermediate values of one vector."""
    groups = [group(n).public_key for n in to]
    content_key = hashlib.sha256(f"solnet test vector content key {label}".encode()).digest()
    nonce = hashlib.sha256(f"solnet test vector nonce {label}".encode()).digest()[:24]
    plain = inner_bytes(kind, payload, groups)
    padded = sodium.sodium_pad(plain, bucket(len(plain)))
    box = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, aad(author.public_key), nonce, content_key)
    boxes = [fixed_seal(content_key, encryption(n).public, f"{label} {n}") for n in to]
    boxes += [hashlib.sha256(f"filler {label} {i}".encode()).digest() * 3 for i in range(slots(len(to)) - len(to))]
    boxes = sorted(b[:BOX_SIZE] for b in boxes)
    parts = {
        "inner_hex": plain.hex(),
        "padded_size": len(padded),
        "aad_hex": aad(author.public_key).hex(),
        "content_key_hex": content_key.hex(),
        "nonce_hex": nonce.hex(),
        "to": [g.hex() for g in sorted(groups)],
    }
    return {"nonce": nonce, "box": box, "keys": boxes}, parts


def sealed_vectors() -> dict[str, Any]:
    """Return the document: encryption keys; a callout sealed to its author and three groups; an update after the
    recipient list lost group 4; what each key opens."""
    author = group(1)
    first, first_parts = sealed_value(author, "callout.published", CALLOUT, [1, 2, 3, 4], "first")
    event = create_event(author, kind="sealed", payload=pack(first), timestamp=T0, previous=None)
    update = {**UPDATE, "callout": event.id}
    second, second_parts = sealed_value(author, "callout.updated", update, [1, 2, 3], "second")
    later = create_event(author, kind="sealed", payload=pack(second), timestamp=T0 + 1000, previous=event)
    return {
        "author": author.public_key.hex(),
        "encryption_keys": [
            {
                "n": n,
                "group": group(n).public_key.hex(),
                "secret": encryption(n).secret.hex(),
                "public": encryption(n).public.hex(),
            }
            for n in range(1, 6)
        ],
        "events": [
            {
                "rule": "a callout sealed to its author (1) and groups 2, 3, 4",
                "kind": "callout.published",
                "payload": CALLOUT,
                **first_parts,
                "sealed_payload_hex": pack(first).hex(),
                "record_hex": encode_record(event).hex(),
                "opens": {"1": True, "2": True, "3": True, "4": True, "5": False},
            },
            {
                "rule": "its update, after the recipient list was rotated: group 4 removed",
                "kind": "callout.updated",
                "payload": {"callout": event.id.hex(), "text": UPDATE["text"]},
                **second_parts,
                "sealed_payload_hex": pack(second).hex(),
                "record_hex": encode_record(later).hex(),
                "opens": {"1": True, "2": True, "3": True, "4": False, "5": False},
            },
        ],
    }
