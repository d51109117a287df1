"""A scratch store per audit worker: the replayed read models and the id of every event seen.

Kept on disk so that memory stays flat however long the log is. Durability does not matter (the
files are thrown away), so journaling and syncing are off and everything runs in one transaction.

Each document is stored as its state-digest entry (docs/KINDS.md: pack([collection, key, author, ref,
doc])), built once when it is written. Any collection's documents can be changed by later events of their
author, but in many histories some collections never are (a history of reports that nobody updates): a
collection's documents are buffered in memory by key bucket and appended to a spill file (audit/spill.py),
a fraction of the cost of a SQLite insert and its two indexes, until the first lookup in that collection
(`get` or `scan`, or a Delete). Then that collection's documents move into the SQLite file, indexed by key
and by author (what `log.redact`'s scan needs), and stay there. `seal` adds the SQLite file's documents to
the spill and returns it; each worker hashes its group digests from its spill (audit/engine.py).

A Put into a collection still in the spill never replaces a document: every projection that may write a key
twice reads it first (events/readmodel/projection.py: updates, appends and redactions `get` or `scan`), and
the other Puts are keyed by the id of the one event that made them, which is projected once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgpack

from events.readmodel.digest import entry_of, pack_document
from events.readmodel.projection import COLLECTIONS
from events.readmodel.view import Change, Put, make_put

from .spill import CHUNKS_SCHEMA, MIN_BUCKETS, Spill, SpillWriter, bucket_of, entry_key_author, read_chunk

_NUMBER = {name: n for n, name in enumerate(COLLECTIONS)}
_SCHEMA = f"""
{CHUNKS_SCHEMA};
CREATE TABLE docs (coll INTEGER NOT NULL, key BLOB NOT NULL, by_author BLOB NOT NULL, entry BLOB NOT NULL);
CREATE UNIQUE INDEX docs_key ON docs (coll, key);
CREATE INDEX docs_author ON docs (coll, by_author);
CREATE TABLE seen (author INTEGER NOT NULL, block INTEGER NOT NULL, ids BLOB NOT NULL, PRIMARY KEY (author, block)) WITHOUT ROWID;
"""
_FLUSH_EVERY = 2048
# documents of collections still in the spill (and at `seal`) are appended to it once this many bytes are buffered
SPILL_BYTES = 16 << 20
# ids of consecutive seqs are stored BLOCK at a time, concatenated: one row per BLOCK events, not per event
BLOCK = 64
ID_SIZE = 32
_ABSENT = object()


def digest_entry(put: Put) -> bytes:
    """Return events.readmodel.digest.digest_entry(put) for a document made by `project`, its doc packed by
    ormsgpack (`pack_document`: the same bytes, ~8x faster than the checking encoder)."""
    return entry_of(put.collection, put.key, put.author, put.ref, pack_document(put.doc))


def _put_of(entry: bytes) -> Put:
    collection, key, author, ref, doc = msgpack.unpackb(entry, raw=False)
    return make_put(collection, key, author, ref, doc)


class ScratchView:
    """Read models of one audit worker; implements events.readmodel.view.ViewReader and applies Changes.

    `buckets` is how many key buckets the spill is cut into (audit/spill.py).
    """

    def __init__(self, path: str | Path, *, buckets: int = MIN_BUCKETS, spill_bytes: int = SPILL_BYTES):
        self.path = Path(path)
        self._buckets = buckets
        self._spill_bytes = spill_bytes
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # large pages: rows are documents of up to a few KiB, written in batches and read back in key order
        self._db.execute("PRAGMA page_size=32768")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA cache_size=-8000")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")
        # the number of each author whose ids are stored (in the `seen` table)
        self._authors: dict[bytes, int] = {}
        # write-back cache of the SQLite documents: recent changes by (collection, key), None for a delete
        self._cache: dict[tuple[str, bytes], Put | None] = {}
        self._spill = SpillWriter(self.path.with_name(f"{self.path.stem}-spill.bin"), self._db)
        self._key_size: dict[int, int] = {}
        # collections (by name) whose documents still go to the spill: every one until its first lookup
        self._spilling: set[str] = set(COLLECTIONS)
        # their buffered entries by (collection number, bucket), appended to the spill every `spill_bytes`
        self._singles: dict[tuple[int, int], list[bytes]] = {}
        self._singles_size = 0

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the stored document (as the Put that wrote it), or None."""
        cached = self._cache.get((collection, key), _ABSENT)
        if cached is not _ABSENT:
            return cached
        if collection in self._spilling:
            self._to_sqlite(collection)
        row = self._db.execute("SELECT entry FROM docs WHERE coll = ? AND key = ?", (_NUMBER[collection], key)).fetchone()
        return None if row is None else _put_of(row[0])

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection, optionally only those with this ref and/or author, by key."""
        if collection in self._spilling:
            self._to_sqlite(collection)
        self._flush_docs()
        if author is not None:
            sql, args = "SELECT entry FROM docs WHERE coll = ? AND by_author = ? ORDER BY key", (_NUMBER[collection], author)
        else:
            sql, args = "SELECT entry FROM docs WHERE coll = ? ORDER BY key", (_NUMBER[collection],)
        # a separate cursor per scan, so a projection may read while another scan is open
        for (entry,) in self._db.execute(sql, args):
            put = _put_of(entry)
            if (author is None or put.author == author) and (ref is None or put.ref == ref):
                yield put

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply changes in order: a Put replaces the document at its key, a Delete removes it if present."""
        cache, spilling = self._cache, self._spilling
        for change in changes:
            collection = change.collection
            if collection in spilling:
                if type(change) is Put:
                    self._to_spill(change)
                    continue
                self._to_sqlite(collection)  # a Delete: of a document that may be in the spill
            cache[(collection, change.key)] = change if type(change) is Put else None
        if len(cache) >= _FLUSH_EVERY:
            self._flush_docs()

    def _check_key(self, number: int, key: bytes) -> None:
        # a bucket's entries sort by their bytes, which is key order only for keys of one length (spill.py)
        size = self._key_size.setdefault(number, len(key))
        if len(key) != size or not 2 <= size <= 255:
            raise ValueError(f"{COLLECTIONS[number]} keys must all be {size} bytes long (2 to 255)")

    def _to_spill(self, put: Put) -> None:
        # a new key (see the module's docstring): its entry goes to the spill, buffered by bucket
        number, key = _NUMBER[put.collection], put.key
        if self._key_size.get(number) != len(key):
            self._check_key(number, key)
        entry = digest_entry(put)
        # the key's bucket (spill.bucket_of, written out: this runs for most events of such histories)
        where = (number, ((key[0] << 8) | key[1]) * self._buckets >> 16)
        entries = self._singles.get(where)
        if entries is None:
            entries = self._singles[where] = []
        entries.append(entry)
        self._singles_size += len(entry)
        if self._singles_size >= self._spill_bytes:
            self._spill.write(self._singles)
            self._singles.clear()
            self._singles_size = 0

    def _to_sqlite(self, collection: str) -> None:
        """Move one collection's documents from the spill into the SQLite file, indexed by key and author, for good."""
        self._spilling.discard(collection)
        number = _NUMBER[collection]
        buffered = [where for where in self._singles if where[0] == number]
        for where in buffered:
            self._insert_entries(number, self._singles.pop(where))
        self._singles_size = sum(len(e) for some in self._singles.values() for e in some)
        self._spill.flush()
        # one chunk at a time (at most `spill_bytes` of entries), the chunk rows read through their own cursor: memory
        # stays flat however many documents were spilled
        with open(self._spill.path, "rb") as handle:
            for at, length in self._db.execute("SELECT at, length FROM chunks WHERE coll = ?", (number,)):
                self._insert_entries(number, read_chunk(handle, at, length))
        # the chunks' bytes stay in the file, unreferenced: seal writes these documents again from the SQLite file
        self._db.execute("DELETE FROM chunks WHERE coll = ?", (number,))

    def _insert_entries(self, number: int, entries: list[bytes]) -> None:
        rows = []
        for entry in entries:
            key, author = entry_key_author(entry, number)
            rows.append((number, key, author, entry))
        self._db.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", rows)

    def seal(self) -> Spill:
        """Return every document's digest entry in the spill file (see audit/spill.py); write no more after."""
        self._flush_docs()
        if self._singles:
            self._spill.write(self._singles)
            self._singles.clear()
            self._singles_size = 0
        buffered: dict[tuple[int, int], list[bytes]] = {}
        size, buckets = 0, self._buckets
        sizes = self._key_size
        for number, key, entry in self._db.execute("SELECT coll, key, entry FROM docs"):
            if sizes.get(number) != len(key):
                self._check_key(number, key)
            where = (number, bucket_of(key, buckets))
            entries = buffered.get(where)
            if entries is None:
                entries = buffered[where] = []
            entries.append(entry)
            size += len(entry)
            if size >= self._spill_bytes:
                self._spill.write(buffered)
                buffered, size = {}, 0
        self._spill.write(buffered)
        return self._spill.close(self.path)

    def _flush_docs(self) -> None:
        if not self._cache:
            return
        puts = [(_NUMBER[p.collection], p.key, p.author, digest_entry(p)) for p in self._cache.values() if p is not None]
        deletes = [(_NUMBER[collection], key) for (collection, key), p in self._cache.items() if p is None]
        self._cache.clear()
        if deletes:
            self._db.executemany("DELETE FROM docs WHERE coll = ? AND key = ?", deletes)
        self._db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?)", puts)

    def store_ids(self, author: bytes, block: int, ids: bytes) -> None:
        """Store the ids of `author`'s events at seqs block*BLOCK+1 .. (block+1)*BLOCK (BLOCK ids, concatenated)."""
        number = self._authors.get(author)
        if number is None:
            number = self._authors[author] = len(self._authors)
        if len(ids) != BLOCK * ID_SIZE:
            raise ValueError(f"a block holds {BLOCK} ids, not {len(ids) / ID_SIZE}")
        self._db.execute("INSERT INTO seen VALUES (?, ?, ?)", (number, block, ids))

    def stored_id(self, author: bytes, seq: int) -> bytes | None:
        """Return the id of `author`'s event at `seq` from the stored blocks, or None."""
        number = self._authors.get(author)
        if number is None or seq < 1:
            return None
        block, at = divmod(seq - 1, BLOCK)
        row = self._db.execute("SELECT ids FROM seen WHERE author = ? AND block = ?", (number, block)).fetchone()
        return None if row is None else row[0][at * ID_SIZE : (at + 1) * ID_SIZE]

    def commit(self) -> None:
        """End the write transaction so that other processes can read the file."""
        self._flush_docs()
        self._db.execute("COMMIT")

    def discard(self) -> None:
        """Close the connection and delete the SQLite and spill files."""
        self._db.close()
        spill = self._spill.close(self.path)
        Path(spill.path).unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the connection (the file stays until its directory is removed)."""
        self._db.close()
