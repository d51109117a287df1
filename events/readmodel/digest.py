"""The state digest: SHA-256 over every read-model document and the set of forked groups, in two versions.

Two nodes (or a node and an auditor) that hold the same events compute the same digest, whatever order
the events arrived in. The exact byte streams are specified in docs/KINDS.md, "State digest":

- version 1 (`state_digest`, `digest_of`): the prefix, each document's entry in (collection, key) order,
  then the forked groups. One hash over everything: it can only be recomputed from scratch.
- version 2 (`state_digest_v2`, `combine_groups`): a group digest per author over the SHA-256 of each of
  that author's entries in (collection, key) order (`group_digest`), then one hash over the (author, group
  digest) pairs in author order and the forked groups. A change to one author's documents changes only
  that author's group digest, so a node keeps them in its store and recombines ~one row per group; two
  holders that disagree can compare group digests to find which groups differ.

This module is the one place that says how; the auditor, which cannot hold every document at once, builds
entries with `digest_entry`, sorts them on disk and hashes the sorted stream with `digest_of`, feeding each
entry's hash to a `GroupHasher` as it goes (a subsequence of (collection, key) order is in that order too).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import ormsgpack

from ..canonical import pack, packb_plain
from .projection import COLLECTIONS
from .view import Put, ViewReader

DIGEST_PREFIX = b"solnet/state/v1\x00"
DIGEST_V2_PREFIX = b"solnet/state/v2\x00"
GROUP_PREFIX = b"solnet/group/v2\x00"
_PACKED_NAME = {name: b"\x95" + packb_plain(name) for name in COLLECTIONS}
_BIN32 = b"\xc4\x20"
_sha256 = hashlib.sha256


def entry_of(collection: str, key: bytes, author: bytes, ref: bytes | None, packed_doc: bytes) -> bytes:
    """Return a document's digest entry from its parts, its doc already canonical msgpack (as stores keep it)."""
    # keys, authors and refs are mostly 32-byte ids, whose msgpack bin header is fixed (the auditor builds an
    # entry for every document it replays)
    return b"".join(
        (
            _PACKED_NAME[collection],
            _BIN32 + key if len(key) == 32 else packb_plain(key),
            _BIN32 + author if len(author) == 32 else packb_plain(author),
            _BIN32 + ref if type(ref) is bytes and len(ref) == 32 else packb_plain(ref),
            packed_doc,
        )
    )


def pack_document(doc: dict[str, Any]) -> bytes:
    """Return pack(doc) for a document made by `project`, by ormsgpack (what stores keep and digest entries end with).

    Canonical msgpack (events/canonical.py) is the shortest encoding of every value with map keys in the order of
    their UTF-8 bytes; ormsgpack with OPT_SORT_KEYS writes exactly that for nil, bools, 64-bit ints, str, bin, arrays
    and maps with str keys (tests/events/readmodel/test_digest.py checks it against `pack`), in ~0.6 us for a report
    where `pack` takes ~4.7 us, since it checks and orders every value in Python. It does not refuse what `pack`
    refuses (a float is written as a float), so it serves only documents from `project`: their values come from
    decoded headers and from payloads that `valid_payload_value` found canonical and schema-valid.
    """
    return _packb(doc, option=_SORT_KEYS)


_packb, _SORT_KEYS = ormsgpack.packb, ormsgpack.OPT_SORT_KEYS


def digest_entry(put: Put) -> bytes:
    """Return a document's entry in the state digest: the bytes of pack([collection, key, author, ref, doc])."""
    return entry_of(put.collection, put.key, put.author, put.ref, pack(put.doc))


def entry_hash(entry: bytes) -> bytes:
    """Return the 32-byte SHA-256 of a digest entry: what a group digest (version 2) hashes per document."""
    return _sha256(entry).digest()


def _forked_part(forked: Iterable[bytes]) -> bytes:
    return pack(["forked", sorted(set(forked))])


def digest_of(entries: Iterable[bytes], forked: Iterable[bytes] = ()) -> str:
    """Return the hex state digest (version 1) of entries (in (collection, key) order, in pieces) and forked groups."""
    h = _sha256(DIGEST_PREFIX)
    for piece in entries:
        h.update(piece)
    h.update(_forked_part(forked))
    return h.hexdigest()


def state_digest(view: ViewReader, forked: Iterable[bytes] = ()) -> str:
    """Return the version-1 hex SHA-256 of the read models in `view` and the public keys of forked groups."""
    return digest_of((digest_entry(put) for collection in COLLECTIONS for put in view.scan(collection)), forked)


def group_hasher(author: bytes) -> Any:
    """Return a SHA-256 object fed with the start of `author`'s group digest; update it with entry hashes in order."""
    return _sha256(GROUP_PREFIX + pack(author))


def group_digest(author: bytes, hashes: Iterable[bytes]) -> bytes:
    """Return the 32-byte group digest of `author` from its entries' hashes, in (collection, key) order."""
    h = group_hasher(author)
    for piece in hashes:
        h.update(piece)
    return h.digest()


class GroupHasher:
    """Group digests fed one document at a time, in (collection, key) order (any author's, interleaved)."""

    def __init__(self) -> None:
        self._hashers: dict[bytes, Any] = {}

    def add(self, author: bytes, hashed_entry: bytes) -> None:
        """Feed the hash of one of `author`'s entries (entry_hash), next in (collection, key) order."""
        h = self._hashers.get(author)
        if h is None:
            h = self._hashers[author] = group_hasher(author)
        h.update(hashed_entry)

    def update(self, other: GroupHasher) -> None:
        """Take over `other`'s authors (no author may be in both)."""
        both = self._hashers.keys() & other._hashers.keys()
        if both:
            raise ValueError(f"{len(both)} author(s) fed to two group hashers")
        self._hashers.update(other._hashers)

    def digests(self) -> list[tuple[bytes, bytes]]:
        """Return (author, group digest) for every author fed, ascending by author."""
        return [(a, self._hashers[a].digest()) for a in sorted(self._hashers)]


def combine_groups(groups: Iterable[tuple[bytes, bytes]], forked: Iterable[bytes] = ()) -> str:
    """Return the hex state digest (version 2) of (author, group digest) pairs, ascending by author, and forked groups."""
    h = _sha256(DIGEST_V2_PREFIX)
    last: bytes | None = None
    for author, digest in groups:
        if last is not None and author <= last:
            raise ValueError("group digests must be given in ascending author order, each author once")
        h.update(pack(author) + digest)
        last = author
    h.update(_forked_part(forked))
    return h.hexdigest()


def group_digests(view: ViewReader) -> list[tuple[bytes, bytes]]:
    """Return (author, group digest) for every author holding a document in `view`, ascending by author."""
    hasher = GroupHasher()
    for collection in COLLECTIONS:
        for put in view.scan(collection):
            hasher.add(put.author, entry_hash(digest_entry(put)))
    return hasher.digests()


def state_digest_v2(view: ViewReader, forked: Iterable[bytes] = ()) -> str:
    """Return the version-2 hex state digest of the read models in `view` and the public keys of forked groups."""
    return combine_groups(group_digests(view), forked)
