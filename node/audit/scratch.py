"""A scratch SQLite file per audit worker: the replayed read models and the id of every event seen.

Kept on disk so that memory stays flat however long the log is. Durability does not matter (the
file is thrown away), so journaling and syncing are off and everything runs in one transaction.

Each document is stored as its state-digest entry (docs/KINDS.md: pack([collection, key, author, ref,
doc])), built once when it is written, so that sealing is a sorted copy inside SQLite and the main
process hashes stored bytes without decoding anything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgpack

from events.canonical import pack, packb_plain
from events.projection import COLLECTIONS
from events.view import Change, Put, make_put

# Collections whose documents are keyed by the id of the one event that made them: the projection finds
# them by key, never by author (events/projection.py, `_SINGLE`), so they stay out of the author index;
# a scan by author there still works, by reading the whole collection. They are most documents, are written
# once (an event is projected once) and are looked up only by `log.redact`, so they stay out of the key
# index too (by_author NULL marks them): inserting into that random-order index cost as much as the row
# itself, and sealing sorts them anyway. The first lookup of one builds their own index (`_index_singles`).
_KEYED_BY_EVENT = frozenset(("reports", "assemblies", "proposals", "decisions"))
_NUMBER = {name: n for n, name in enumerate(COLLECTIONS)}
_SINGLE_NUMBERS = frozenset(_NUMBER[name] for name in _KEYED_BY_EVENT)
_PACKED_NAME = {name: b"\x95" + packb_plain(name) for name in COLLECTIONS}
_SINGLES_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS docs_single ON docs (coll, key) WHERE by_author IS NULL"
_SCHEMA = """
CREATE TABLE docs (coll INTEGER NOT NULL, key BLOB NOT NULL, by_author BLOB, entry BLOB NOT NULL);
CREATE UNIQUE INDEX docs_key ON docs (coll, key) WHERE by_author IS NOT NULL;
CREATE INDEX docs_author ON docs (coll, by_author) WHERE by_author IS NOT NULL;
CREATE TABLE seen (author INTEGER NOT NULL, block INTEGER NOT NULL, ids BLOB NOT NULL, PRIMARY KEY (author, block)) WITHOUT ROWID;
"""
_FLUSH_EVERY = 2048
_BIN32 = b"\xc4\x20"
# ids of consecutive seqs are stored BLOCK at a time, concatenated: one row per BLOCK events, not per event
BLOCK = 64
_ID = 32
_ABSENT = object()


def digest_entry(put: Put) -> bytes:
    """Return pack([collection, key, author, ref, doc]) of a document: its entry in the state digest."""
    key, author, ref = put.key, put.author, put.ref
    # keys, authors and refs are mostly 32-byte ids, whose msgpack bin header is fixed
    return b"".join(
        (
            _PACKED_NAME[put.collection],
            _BIN32 + key if len(key) == 32 else packb_plain(key),
            _BIN32 + author if len(author) == 32 else packb_plain(author),
            _packed(ref),
            pack(put.doc),
        )
    )


def _packed(value: bytes | None) -> bytes:
    # keys, authors and refs are mostly 32-byte ids: their msgpack bin header is fixed
    if type(value) is bytes and len(value) == 32:
        return _BIN32 + value
    return packb_plain(value)


def _put_of(entry: bytes) -> Put:
    collection, key, author, ref, doc = msgpack.unpackb(entry, raw=False)
    return make_put(collection, key, author, ref, doc)


class ScratchView:
    """Read models in a throwaway SQLite file; implements events.view.ViewReader and applies Changes."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # large pages: most rows are ~800-byte documents appended once and sorted once at sealing, both
        # cheaper per row with fewer, larger pages (8 KiB -> 32 KiB: -0.6 us per event at 100,000 a worker)
        self._db.execute("PRAGMA page_size=32768")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(f"PRAGMA cache_size={-8000 if create else -1000}")
        self._db.execute("PRAGMA temp_store=MEMORY")
        if create:
            self._db.executescript(_SCHEMA)
            self._db.execute("BEGIN")
        # per author: [number, seqs stored in full blocks, ids of the seqs after them]
        self._seen: dict[bytes, list] = {}
        # write-back cache: recent changes by (collection, key), None for a delete; written in batches
        self._cache: dict[tuple[str, bytes], Put | None] = {}
        self._singles_indexed = False

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the stored document (as the Put that wrote it), or None."""
        cached = self._cache.get((collection, key), _ABSENT)
        if cached is not _ABSENT:
            return cached
        if collection in _KEYED_BY_EVENT:
            self._index_singles()
            sql = "SELECT entry FROM docs WHERE coll = ? AND key = ? AND by_author IS NULL"
        else:
            sql = "SELECT entry FROM docs WHERE coll = ? AND key = ? AND by_author IS NOT NULL"
        row = self._db.execute(sql, (_NUMBER[collection], key)).fetchone()
        return None if row is None else _put_of(row[0])

    def _index_singles(self) -> None:
        if not self._singles_indexed:
            self._flush_docs()
            self._db.execute(_SINGLES_INDEX)
            self._singles_indexed = True

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection, optionally only those with this ref and/or author, by key."""
        self._flush_docs()
        if author is not None and collection not in _KEYED_BY_EVENT:
            sql, args = "SELECT entry FROM docs WHERE coll = ? AND by_author = ? ORDER BY key", (_NUMBER[collection], author)
        else:
            sql, args = "SELECT entry FROM docs WHERE coll = ? ORDER BY key", (_NUMBER[collection],)
        # a separate cursor per scan, so a projection may read while another scan is open
        for (entry,) in self._db.execute(sql, args):
            put = _put_of(entry)
            if (author is None or put.author == author) and (ref is None or put.ref == ref):
                yield put

    def seal(self) -> None:
        """Copy every document's digest entry, in digest order, to the `entries` table (see `entries`)."""
        self._flush_docs()
        # most rows are in no (coll, key) index, so this sorts: spill to a temporary file beyond the page cache,
        # not to memory, so that memory stays flat however long the log is
        self._db.execute("PRAGMA temp_store=FILE")
        self._db.execute("CREATE TABLE entries AS SELECT coll, key, entry FROM docs ORDER BY coll, key")

    def entries(self) -> Iterator[tuple[int, bytes, bytes]]:
        """Yield (collection number in COLLECTIONS, key, digest entry) of a sealed view's documents, in digest order."""
        yield from self._db.execute("SELECT coll, key, entry FROM entries ORDER BY rowid")

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply changes in order: a Put replaces the document at its key, a Delete removes it if present."""
        cache = self._cache
        for change in changes:
            cache[(change.collection, change.key)] = change if type(change) is Put else None
        if len(cache) >= _FLUSH_EVERY:
            self._flush_docs()

    def _flush_docs(self) -> None:
        if not self._cache:
            return
        puts = [
            (_NUMBER[p.collection], p.key, None if p.collection in _KEYED_BY_EVENT else p.author, digest_entry(p))
            for p in self._cache.values()
            if p is not None
        ]
        deletes = [(_NUMBER[collection], key) for (collection, key), p in self._cache.items() if p is None]
        self._cache.clear()
        if deletes:
            # each delete names the index that finds its row (a partial index serves only queries that imply its WHERE)
            singles = [d for d in deletes if d[0] in _SINGLE_NUMBERS]
            if singles:
                self._index_singles()  # (only a redaction deletes one of them, after looking it up)
                self._db.executemany("DELETE FROM docs WHERE coll = ? AND key = ? AND by_author IS NULL", singles)
            others = [d for d in deletes if d[0] not in _SINGLE_NUMBERS]
            self._db.executemany("DELETE FROM docs WHERE coll = ? AND key = ? AND by_author IS NOT NULL", others)
        self._db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)", puts)

    def remember(self, author: bytes, seq: int, eid: bytes) -> None:
        """Record that `author`'s log holds event `eid` at `seq`; an author's seqs come as 1, 2, 3, ..."""
        state = self._seen.get(author)
        if state is None:
            state = self._seen[author] = [len(self._seen), 0, bytearray()]
        ids = state[2]
        if seq != state[1] + len(ids) // _ID + 1:
            raise ValueError(f"seq {seq} remembered out of order")
        ids += eid
        if len(ids) == BLOCK * _ID:
            self._db.execute("INSERT INTO seen VALUES (?, ?, ?)", (state[0], state[1] // BLOCK, bytes(ids)))
            state[1] += BLOCK
            ids.clear()

    def seen_id(self, author: bytes, seq: int) -> bytes | None:
        """Return the id of the event remembered at `author`/`seq`, or None."""
        state = self._seen.get(author)
        if state is None or seq < 1:
            return None
        number, stored, ids = state
        if seq > stored:
            at = (seq - stored - 1) * _ID
            return bytes(ids[at : at + _ID]) if at < len(ids) else None
        block, at = divmod(seq - 1, BLOCK)
        row = self._db.execute("SELECT ids FROM seen WHERE author = ? AND block = ?", (number, block)).fetchone()
        return row[0][at * _ID : (at + 1) * _ID]

    def commit(self) -> None:
        """End the write transaction so that other processes can read the file."""
        self._flush_docs()
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (the file stays until its directory is removed)."""
        self._db.close()
