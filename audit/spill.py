"""Digest entries spilled to disk in key buckets, then sorted and joined by key range in parallel, then hashed.

The state digest (docs/KINDS.md) hashes every document's entry, pack([collection, key, author, ref, doc]),
ordered by collection and then key. An audit worker replays only its own authors, so its documents are a
scattered subset of that order. It buffers their entries by (collection, bucket), a bucket being a slice of
the key space by the key's first two bytes, and appends each buffered bucket to its spill file as a chunk
(one msgpack array of bin, written and read back in C). Once every worker is done, worker i takes key range
i (a run of whole buckets): bucket by bucket it reads the chunks of every worker's spill, sorts them in
memory and writes, for each entry in that order, its author and its SHA-256 to a hashes file (state digest
version 2) and, for version 1 only, the entry itself to a merged file. The main process reads the hashes
files in (collection, range) order into one group hasher per author (`merged_group_digests`) and, for
version 1, hashes the merged files in the same order (events.readmodel.digest.digest_of). Either is the byte
stream of hashing one sorted view, and memory holds one bucket at a time.

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
    """A merged file of bare entries of one key range: collection number -> (start, end) byte offsets; and its
    hashes file: for each entry in the same order, its author (32 bytes) and its entry hash (32 bytes), by
    collection number -> (start, end) too (the group digests of the state digest version 2 are fed from it)."""

    path: str
    collections: dict[int, tuple[int, int]]
    hashes: str = ""
    hash_spans: dict[int, tuple[int, int]] | None = None


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


def merge_range(spills: list[Spill], rng: int, ranges: int, buckets: int, path: str | Path, entries: bool = True) -> Merged:
    """Sort key range `rng` (of `ranges`) of every spill's entries into a file of bare entries, collection after collection
    (only if `entries`: they are hashed for the state digest version 1 only), and their (author, entry hash) records."""
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
    hashes_path = f"{path}.hashes"
    hash_spans: dict[int, tuple[int, int]] = {}
    try:
        with open(path, "wb") as out, open(hashes_path, "wb") as hashes_out:
            for (collection, _bucket), chunks in groupby(heapq.merge(*streams), key=lambda row: row[:2]):
                if collection != current:
                    out.write(b"".join(pending))
                    offset += size
                    pending, size = [], 0
                    if current is not None and offset > start:
                        collections[current] = (start, offset)
                    current, start = collection, offset
                    hash_start = hashes_out.tell()
                found: list[bytes] = []
                for _c, _b, n, at, length in chunks:
                    found += read_chunk(handles[n], at, length)
                found.sort()
                hashes_out.write(author_hashes(found, collection))
                hash_spans[collection] = (hash_start, hashes_out.tell())
                if not entries:
                    continue
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
    return Merged(str(path), collections, hashes_path, hash_spans)


def author_hashes(entries: list[bytes], collection: int) -> bytes:
    """Return, for each entry of one collection in order, its author's 32 bytes and its entry hash, concatenated."""
    # an entry is fixarray(5), the collection's name, bin8 key, then the author: `c4 20` and 32 bytes (public keys)
    out = []
    first = KEY_OFFSET[collection]
    for entry in entries:
        at = first + entry[first - 1]
        author = entry[at + 2 : at + 34] if entry[at : at + 2] == b"\xc4\x20" else None
        if author is None or len(author) != 32:
            author = msgpack.unpackb(entry)[2]  # not a 32-byte public key (no valid event has one)
            if len(author) != 32:
                raise ValueError(f"a document author of {len(author)} bytes in {COLLECTIONS[collection]}")
        out.append(author)
        out.append(_sha256(entry).digest())
    return b"".join(out)


def merged_group_digests(merged: list[Merged]) -> list[tuple[bytes, bytes]]:
    """Return (author, group digest) for every author of the merged entries (state digest version 2), ascending."""
    hashers: dict[bytes, Any] = {}
    get = hashers.get
    handles = [open(m.hashes, "rb") for m in merged]  # noqa: SIM115 - closed below
    try:
        for collection in range(len(COLLECTIONS)):
            for m, handle in zip(merged, handles, strict=True):
                span = (m.hash_spans or {}).get(collection)
                if span is None:
                    continue
                handle.seek(span[0])
                left = span[1] - span[0]
                while left > 0:
                    data = handle.read(min(_WRITE, left))  # _WRITE is a multiple of 64: whole records
                    if not data or len(data) % 64:
                        raise OSError(f"hashes file {m.hashes} ends early")
                    for i in range(0, len(data), 64):  # GroupHasher.add, inlined: this runs for every document
                        author = data[i : i + 32]
                        h = get(author)
                        if h is None:
                            h = hashers[author] = group_hasher(author)
                        h.update(data[i + 32 : i + 64])
                    left -= len(data)
    finally:
        for handle in handles:
            handle.close()
    return [(author, hashers[author].digest()) for author in sorted(hashers)]


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
