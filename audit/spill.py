"""Digest entries spilled to disk in key buckets, then sorted by bucket and hashed per group (and, for version 1, merged).

The state digest (docs/KINDS.md) hashes every document's entry, pack([collection, key, author, ref, doc]),
ordered by collection and then key. An audit worker replays only its own authors, so its documents are a
scattered subset of that order. It buffers their entries by (collection, bucket), a bucket being a slice of
the key space by the key's first two bytes, and appends each buffered bucket to its spill file as a chunk
(one msgpack array of bin, written and read back in C). Version 2 hashes each author's entries in that order
into the author's group digest, and every author is replayed by exactly one worker, so each worker computes
its own authors' group digests from its own spill (`spill_group_digests`: bucket by bucket, sorted in
memory) and the main process only combines ~one pair per group. Version 1 is one hash over every entry in
order: once every worker is done, worker i takes key range i (a run of whole buckets), sorts it bucket by
bucket from every worker's spill into a merged file (`merge_range`), and the main process hashes the merged
files in (collection, range) order (events.readmodel.digest.digest_of). Memory holds one bucket at a time.

Sorting entries by their bytes sorts them by key: within a collection every entry starts with the same
bytes (the array header and the collection's name), then the key's bin header and the key, and a
collection's keys all have one length (32-byte ids; 64 bytes for positions and follows), so the header
is the same too. Each document key occurs once across all spills (the scratch view keeps it that way).
"""

from __future__ import annotations

import hashlib
import heapq
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import msgpack

from events.canonical import packb_plain
from events.readmodel.digest import group_hasher
from events.readmodel.projection import COLLECTIONS

# byte offset of the key's first byte in an entry of each collection: fixarray(5), name, bin8 header
KEY_OFFSET = tuple(1 + len(packb_plain(name)) + 2 for name in COLLECTIONS)
MIN_BUCKETS = 256
MAX_BUCKETS = 1 << 16
BUCKET_BYTES = 1 << 20  # how many bytes of entries a bucket should hold, for a source of known size
_WRITE = 1 << 20
_sha256 = hashlib.sha256


def buckets_for(source_bytes: int | None) -> int:
    """Return how many key buckets to use for a source of this size (a power of two; None: not known)."""
    buckets = MIN_BUCKETS
    while source_bytes is not None and buckets < MAX_BUCKETS and buckets * BUCKET_BYTES < source_bytes:
        buckets *= 2
    return buckets


def bucket_of(key: bytes, buckets: int) -> int:
    """Return the bucket (0 .. buckets-1) of a document key, by its first two bytes: ordered as keys are."""
    return int.from_bytes(key[:2], "big") * buckets >> 16


CHUNKS_SCHEMA = (
    "CREATE TABLE chunks (coll INTEGER NOT NULL, bucket INTEGER NOT NULL, at INTEGER NOT NULL, length INTEGER NOT NULL)"
)
"""Where each chunk of a spill file lies, kept in a SQLite file (the worker's scratch file): an index in memory would
grow with spills x buckets, both of which grow with the source."""


@dataclass(frozen=True, slots=True)
class Spill:
    """A worker's spill file of chunks (each a msgpack array of bin entries), indexed in the SQLite file `index`."""

    path: str
    index: str


@dataclass(frozen=True, slots=True)
class Merged:
    """A merged file of bare entries of one key range: collection number -> (start, end) byte offsets."""

    path: str
    collections: dict[int, tuple[int, int]]


class SpillWriter:
    """Appends buffered buckets of entries to one spill file and records each chunk in `db`'s chunks table."""

    def __init__(self, path: str | Path, db: sqlite3.Connection):
        self.path = str(path)
        self._db = db
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed by close()
        self._offset = 0
        self.chunks = 0

    def write(self, buffered: dict[tuple[int, int], list[bytes]]) -> None:
        """Append each (collection, bucket)'s entries as one chunk."""
        write, rows = self._file.write, []
        for (collection, bucket), entries in buffered.items():
            data = packb_plain(entries)
            write(data)
            rows.append((collection, bucket, self._offset, len(data)))
            self._offset += len(data)
        self._db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?)", rows)
        self.chunks += len(rows)

    def flush(self) -> None:
        """Write what is buffered to the file, so that it can be read back."""
        self._file.flush()

    def close(self, index: str | Path) -> Spill:
        """Close the file and return what it holds (its chunks indexed in the SQLite file `index`)."""
        self._file.close()
        return Spill(self.path, str(index))


def read_chunk(handle, offset: int, length: int) -> list[bytes]:
    """Return the entries of one chunk of an open spill file."""
    handle.seek(offset)
    data = handle.read(length)
    if len(data) != length:
        raise OSError(f"spill file {handle.name} ends early")
    return msgpack.unpackb(data)


def merge_range(spills: list[Spill], rng: int, ranges: int, buckets: int, path: str | Path) -> Merged:
    """Sort key range `rng` (of `ranges`) of every spill's entries into a file of bare entries, collection after collection."""
    low, high = rng * buckets // ranges, (rng + 1) * buckets // ranges
    handles = [open(spill.path, "rb") for spill in spills]  # noqa: SIM115 - closed below
    indexes = [sqlite3.connect(f"file:{spill.index}?mode=ro", uri=True) for spill in spills]
    collections: dict[int, tuple[int, int]] = {}
    offset, current, start = 0, None, 0
    pending: list[bytes] = []
    size = 0
    sql = "SELECT coll, bucket, at, length FROM chunks WHERE bucket >= ? AND bucket < ? ORDER BY coll, bucket, at"
    # every spill's chunks of this range in (collection, bucket) order, tagged with the spill they are in
    streams = [_tagged(db.execute(sql, (low, high)), n) for n, db in enumerate(indexes)]
    try:
        with open(path, "wb") as out:
            for (collection, _bucket), chunks in groupby(heapq.merge(*streams), key=lambda row: row[:2]):
                if collection != current:
                    out.write(b"".join(pending))
                    offset += size
                    pending, size = [], 0
                    if current is not None and offset > start:
                        collections[current] = (start, offset)
                    current, start = collection, offset
                found: list[bytes] = []
                for _c, _b, n, at, length in chunks:
                    found += read_chunk(handles[n], at, length)
                found.sort()
                data = b"".join(found)
                pending.append(data)
                size += len(data)
                if size >= _WRITE:
                    out.write(b"".join(pending))
                    offset += size
                    pending, size = [], 0
            out.write(b"".join(pending))
            offset += size
            if current is not None and offset > start:
                collections[current] = (start, offset)
    finally:
        for handle in handles:
            handle.close()
        for db in indexes:
            db.close()
    return Merged(str(path), collections)


def spill_group_digests(spill: Spill) -> list[tuple[bytes, bytes]]:
    """Return (author, group digest) for every author of one spill's entries (state digest version 2), ascending.

    Exact when no other spill holds entries of these authors (an audit worker's spill: each author is replayed by one
    worker). Each (collection, bucket) of the spill is sorted in memory and its entries' hashes fed in that order: a
    subsequence of the (collection, key) order, which is what a group digest hashes.
    """
    hashers: dict[bytes, Any] = {}
    sql = "SELECT coll, bucket, at, length FROM chunks ORDER BY coll, bucket, at"
    with open(spill.path, "rb") as handle, closing(sqlite3.connect(f"file:{spill.index}?mode=ro", uri=True)) as db:
        for (collection, _bucket), chunks in groupby(db.execute(sql), key=lambda row: row[:2]):
            found: list[bytes] = []
            for _c, _b, at, length in chunks:
                found += read_chunk(handle, at, length)
            found.sort()
            feed_groups(found, collection, hashers)
    return [(author, hashers[author].digest()) for author in sorted(hashers)]


def feed_groups(entries: list[bytes], collection: int, hashers: dict[bytes, Any]) -> None:
    """Feed each entry's hash (in the order given) to its author's group hasher in `hashers`, making it if new."""
    # an entry is fixarray(5), the collection's name, bin8 key, then the author: `c4 20` and 32 bytes (public keys)
    first = KEY_OFFSET[collection]
    get = hashers.get
    for entry in entries:
        at = first + entry[first - 1]
        author = entry[at + 2 : at + 34] if entry[at : at + 2] == b"\xc4\x20" else None
        if author is None or len(author) != 32:
            author = msgpack.unpackb(entry)[2]  # not a 32-byte public key (no valid event has one)
            if len(author) != 32:
                raise ValueError(f"a document author of {len(author)} bytes in {COLLECTIONS[collection]}")
        h = get(author)
        if h is None:
            h = hashers[author] = group_hasher(author)
        h.update(_sha256(entry).digest())


def entry_key_author(entry: bytes, collection: int) -> tuple[bytes, bytes]:
    """Return the key and the author of one digest entry of collection number `collection`."""
    first = KEY_OFFSET[collection]
    end = first + entry[first - 1]
    if entry[first - 2] == 0xC4 and entry[end : end + 2] == b"\xc4\x20" and len(entry) >= end + 34:
        return entry[first:end], entry[end + 2 : end + 34]
    _c, key, author, _ref, _doc = msgpack.unpackb(entry)  # an author that is not 32 bytes (no valid event has one)
    return key, author


def _tagged(rows, n: int):
    for collection, bucket, at, length in rows:
        yield collection, bucket, n, at, length


def merged_entries(merged: list[Merged]) -> Iterator[bytes]:
    """Yield the bytes of merged files (one per range, in range order), collection after collection, in blocks."""
    handles = [open(m.path, "rb") for m in merged]  # noqa: SIM115 - closed below
    try:
        for collection in range(len(COLLECTIONS)):
            for m, handle in zip(merged, handles, strict=True):
                span = m.collections.get(collection)
                if span is None:
                    continue
                handle.seek(span[0])
                left = span[1] - span[0]
                while left > 0:
                    block = handle.read(min(_WRITE, left))
                    if not block:
                        raise OSError(f"merged file {m.path} ends early")
                    yield block
                    left -= len(block)
    finally:
        for handle in handles:
            handle.close()
