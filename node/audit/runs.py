"""Digest entries as sorted runs on disk, merged in parallel by key range, then hashed in order.

The state digest (docs/KINDS.md) hashes every document's entry, pack([collection, key, author, ref, doc]),
ordered by collection and then key. An audit worker replays only its own authors, so its documents are a
scattered subset of that order; it writes them as runs: files of length-prefixed entries, each sorted by
(collection, key) and cut into one segment per (collection, key range). After every worker is done, worker i
merges key range i of every worker's runs into one file of bare entries, and the main process hashes those
files in (collection, range) order: the same bytes, in the same order, as hashing one sorted view.

Sorting entries by their bytes sorts them by key: within a collection every entry starts with the same
bytes (the array header and the collection's name), then the key's bin header and the key, and a
collection's keys all have one length (32-byte ids; 64 bytes for positions and follows), so the header
is the same too. Each document key occurs once across all runs (the scratch view keeps it that way).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from events.canonical import packb_plain
from events.projection import COLLECTIONS

# byte offset of the key's first byte in an entry of each collection: fixarray(5), name, bin8 header
KEY_OFFSET = tuple(1 + len(packb_plain(name)) + 2 for name in COLLECTIONS)
_PREFIX = 4  # each entry in a run is preceded by its length, 4 bytes little-endian
_READ = 1 << 18
_WRITE = 1 << 20

Segments = dict[tuple[int, int], tuple[int, int]]  # (collection number, range) -> (start, end) byte offsets


@dataclass(frozen=True, slots=True)
class Run:
    """A run file: length-prefixed entries sorted by (collection, key), one segment per (collection, range)."""

    path: str
    segments: Segments


@dataclass(frozen=True, slots=True)
class Merged:
    """A merged file of bare entries of one key range: collection number -> (start, end) byte offsets."""

    path: str
    collections: dict[int, tuple[int, int]]


def range_of(collection: int, entry: bytes, ranges: int) -> int:
    """Return the key range (0 .. ranges-1) of an entry of `collection` (by the first byte of its key)."""
    return entry[KEY_OFFSET[collection]] * ranges >> 8


def write_run(path: str | Path, rows: Iterable[tuple[int, bytes]], ranges: int) -> Run:
    """Write (collection number, entry) rows, given in (collection, key) order, as a run file."""
    segments: Segments = {}
    offset, start, current = 0, 0, None
    pending: list[bytes] = []
    size = 0
    with open(path, "wb") as out:
        for collection, entry in rows:
            where = (collection, entry[KEY_OFFSET[collection]] * ranges >> 8)
            if where != current:
                if current is not None:
                    segments[current] = (start, offset)
                current, start = where, offset
            length = len(entry)
            pending.append(length.to_bytes(_PREFIX, "little"))
            pending.append(entry)
            offset += _PREFIX + length
            size += length
            if size >= _WRITE:
                out.write(b"".join(pending))
                pending, size = [], 0
        if current is not None:
            segments[current] = (start, offset)
        out.write(b"".join(pending))
    return Run(str(path), segments)


def sorted_rows(lists: dict[int, list[bytes]]) -> Iterator[tuple[int, bytes]]:
    """Yield (collection number, entry) from per-collection lists of entries, sorting each list in place."""
    for collection in sorted(lists):
        entries = lists[collection]
        entries.sort()
        for entry in entries:
            yield collection, entry


def segment_entries(path: str, start: int, end: int) -> Iterator[bytes]:
    """Yield the entries of one segment of a run file, reading a block at a time."""
    with open(path, "rb") as handle:
        handle.seek(start)
        left, rest = end - start, b""
        while left > 0:
            block = handle.read(min(_READ, left))
            if not block:
                raise OSError(f"run file {path} ends early")
            left -= len(block)
            data = rest + block if rest else block
            at, size = 0, len(data)
            while at + _PREFIX <= size:
                length = int.from_bytes(data[at : at + _PREFIX], "little")
                stop = at + _PREFIX + length
                if stop > size:
                    break
                yield data[at + _PREFIX : stop]
                at = stop
            rest = data[at:]
        if rest:
            raise OSError(f"run file {path} has an incomplete entry")


def _merged(runs: list[Run], collection: int, rng: int) -> Iterator[bytes]:
    parts = [segment_entries(run.path, *run.segments[(collection, rng)]) for run in runs if (collection, rng) in run.segments]
    if len(parts) == 1:
        return parts[0]
    return heapq.merge(*parts)


def merge_range(runs: list[Run], rng: int, path: str | Path) -> Merged:
    """Merge key range `rng` of every run into a file of bare entries, collection after collection."""
    collections: dict[int, tuple[int, int]] = {}
    offset = 0
    with open(path, "wb") as out:
        for collection in range(len(COLLECTIONS)):
            start = offset
            pending: list[bytes] = []
            size = 0
            for entry in _merged(runs, collection, rng):
                pending.append(entry)
                size += len(entry)
                if size >= _WRITE:
                    out.write(b"".join(pending))
                    offset += size
                    pending, size = [], 0
            out.write(b"".join(pending))
            offset += size
            if offset > start:
                collections[collection] = (start, offset)
    return Merged(str(path), collections)


def compact(runs: list[Run], path: str | Path, ranges: int) -> Run:
    """Merge `runs` into one run file at `path` (so that a long audit never holds too many files open)."""

    def rows() -> Iterator[tuple[int, bytes]]:
        for collection in range(len(COLLECTIONS)):
            for rng in range(ranges):
                for entry in _merged(runs, collection, rng):
                    yield collection, entry

    run = write_run(path, rows(), ranges)
    for old in runs:
        os.unlink(old.path)
    return run


def hash_merged(merged: list[Merged], update) -> None:
    """Feed `update` the bytes of merged files (one per range, in range order), collection after collection."""
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
                    update(block)
                    left -= len(block)
    finally:
        for handle in handles:
            handle.close()
