"""The kinds of private events: a group's encryption key and the sealed event (docs/KINDS.md, "Private events").

Kept apart from registry.py, which appends them: the inner kinds a sealed event carries are ordinary kinds of
the registry, checked by it once opened (events/sealed.py).
"""

from __future__ import annotations

from ..sealed import BOX_SIZE, ENCRYPTION_KEY_KIND, MAX_PLAIN, MAX_SLOTS, MIN_BUCKET, NONCE_SIZE, SEALED_KIND, TAG_SIZE
from . import payloads as p
from .fields import FieldSpec
from .fields import FieldType as T
from .spec import Collection, Fold, Key, KindSpec, append

ENCRYPTION_KEYS = "encryption_keys"

PRIVATE_COLLECTIONS = (Collection(ENCRYPTION_KEYS, (Key.AUTHOR,), Fold.LATEST),)
"""The public collection of groups' current encryption keys (the newest `key.encryption` of each counts)."""

_ENCRYPTION_KEY = (FieldSpec("key", T.KEY, True, help="the group's X25519 public key for private events"),)
_SEALED = (
    FieldSpec("nonce", T.BYTES, True, min_length=NONCE_SIZE, max_length=NONCE_SIZE),
    FieldSpec("box", T.BYTES, True, min_length=MIN_BUCKET + TAG_SIZE, max_length=MAX_PLAIN + TAG_SIZE),
    FieldSpec("keys", T.BYTES_LIST, True, min_length=BOX_SIZE, max_length=BOX_SIZE, max_items=MAX_SLOTS),
)

PRIVATE_SPECS = (
    KindSpec(
        ENCRYPTION_KEY_KIND,
        "key",
        "encryption",
        p.payload_class(ENCRYPTION_KEY_KIND, _ENCRYPTION_KEY),
        _ENCRYPTION_KEY,
        "publishes the group's current encryption key; the latest one counts",
        system=True,
        projection=append(ENCRYPTION_KEYS),
    ),
    KindSpec(
        SEALED_KIND,
        SEALED_KIND,
        "",
        p.payload_class(SEALED_KIND, _SEALED),
        _SEALED,
        "a private event: an inner kind and payload only its recipients can read",
        system=True,
    ),
)
"""The entries registry.py appends to its kinds."""
