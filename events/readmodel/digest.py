"""The state digest: one SHA-256 over every read-model document and the set of forked groups.

Two nodes (or a node and an auditor) that hold the same events compute the same digest, whatever order
the events arrived in. The exact byte stream is specified in docs/KINDS.md, "State digest": the prefix,
each document's entry in (collection, key) order, then the forked groups. This module is the one place
that says how; the auditor, which cannot hold every document at once, builds entries with `digest_entry`,
sorts them on disk and hashes the sorted stream with `digest_of`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..canonical import pack, packb_plain
from .projection import COLLECTIONS
from .view import Put, ViewReader

DIGEST_PREFIX = b"solnet/state/v1\x00"
_PACKED_NAME = {name: b"\x95" + packb_plain(name) for name in COLLECTIONS}
_BIN32 = b"\xc4\x20"


def digest_entry(put: Put) -> bytes:
    """Return a document's entry in the state digest: the bytes of pack([collection, key, author, ref, doc])."""
    key, author, ref = put.key, put.author, put.ref
    # keys, authors and refs are mostly 32-byte ids, whose msgpack bin header is fixed (the auditor builds an
    # entry for every document it replays)
    return b"".join(
        (
            _PACKED_NAME[put.collection],
            _BIN32 + key if len(key) == 32 else packb_plain(key),
            _BIN32 + author if len(author) == 32 else packb_plain(author),
            _BIN32 + ref if type(ref) is bytes and len(ref) == 32 else packb_plain(ref),
            pack(put.doc),
        )
    )


def digest_of(entries: Iterable[bytes], forked: Iterable[bytes] = ()) -> str:
    """Return the hex state digest of document entries (in (collection, key) order, in pieces) and forked groups."""
    h = hashlib.sha256(DIGEST_PREFIX)
    for piece in entries:
        h.update(piece)
    h.update(pack(["forked", sorted(set(forked))]))
    return h.hexdigest()


def state_digest(view: ViewReader, forked: Iterable[bytes] = ()) -> str:
    """Return the hex SHA-256 of the read models in `view` and the public keys of forked groups."""
    return digest_of((digest_entry(put) for collection in COLLECTIONS for put in view.scan(collection)), forked)
