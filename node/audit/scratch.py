"""A scratch SQLite file per audit worker: the replayed read models and the id of every event seen.

Kept on disk so that memory stays flat however long the log is. Durability does not matter (the
file is thrown away), so journaling and syncing are off and everything runs in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from events.canonical import pack, packb_plain, unpack
from events.view import Change, Put

_SCHEMA = """
CREATE TABLE docs (collection TEXT NOT NULL, key BLOB NOT NULL, author BLOB NOT NULL, ref BLOB, doc BLOB NOT NULL);
CREATE UNIQUE INDEX docs_key ON docs (collection, key);
CREATE INDEX docs_author ON docs (collection, author, key);
CREATE TABLE seen (author BLOB NOT NULL, seq INTEGER NOT NULL, id BLOB NOT NULL, PRIMARY KEY (author, seq)) WITHOUT ROWID;
"""
_FLUSH_EVERY = 2048
_ABSENT = object()


def _digest_entry(collection: str, key: bytes, author: bytes, ref: bytes | None, doc: bytes) -> bytes:
    return b"\x95" + packb_plain(collection) + packb_plain(key) + packb_plain(author) + packb_plain(ref) + doc


class ScratchView:
    """Read models in a throwaway SQLite file; implements events.view.ViewReader and applies Changes."""

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA page_size=8192")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(f"PRAGMA cache_size={-8000 if create else -1000}")
        self._db.execute("PRAGMA temp_store=MEMORY")
        if create:
            self._db.executescript(_SCHEMA)
            self._db.execute("BEGIN")
        self._seen: list[tuple[bytes, int, bytes]] = []
        # write-back cache: recent changes by (collection, key), None for a delete; written in batches
        self._cache: dict[tuple[str, bytes], Put | None] = {}

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the stored document (as the Put that wrote it), or None."""
        cached = self._cache.get((collection, key), _ABSENT)
        if cached is not _ABSENT:
            return cached
        row = self._db.execute("SELECT author, ref, doc FROM docs WHERE collection = ? AND key = ?", (collection, key)).fetchone()
        return None if row is None else Put(collection, key, row[0], row[1], unpack(row[2], max_size=1 << 30))

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection, optionally only those with this ref and/or author, by key."""
        self._flush_docs()
        sql, args = "SELECT key, author, ref, doc FROM docs WHERE collection = ?", [collection]
        if ref is not None:
            sql += " AND ref = ?"
            args.append(ref)
        if author is not None:
            sql += " AND author = ?"
            args.append(author)
        # a separate cursor per scan, so a projection may read while a digest scan is open
        for key, author_, ref_, doc in self._db.execute(sql + " ORDER BY key", args):
            yield Put(collection, key, author_, ref_, unpack(doc, max_size=1 << 30))

    def seal(self) -> None:
        """Write every document's state-digest entry, in key order, to the `entries` table (see `entries`)."""
        self._flush_docs()
        self._db.create_function("digest_entry", 5, _digest_entry, deterministic=True)
        self._db.execute(
            "CREATE TABLE entries (collection TEXT NOT NULL, key BLOB NOT NULL, entry BLOB NOT NULL,"
            " PRIMARY KEY (collection, key)) WITHOUT ROWID"
        )
        self._db.execute(
            "INSERT INTO entries SELECT collection, key, digest_entry(collection, key, author, ref, doc) FROM docs"
            " ORDER BY collection, key"
        )

    def entries(self, collection: str) -> Iterator[tuple[bytes, bytes]]:
        """Yield (key, pack([collection, key, author, ref, doc])) of a sealed view's documents, by key.

        pack of that array is the array header followed by each packed element, and the doc is stored
        packed already, so the entry is built from stored bytes without decoding the document.
        """
        yield from self._db.execute("SELECT key, entry FROM entries WHERE collection = ? ORDER BY key", (collection,))

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply changes in order: a Put replaces the document at its key, a Delete removes it if present."""
        cache = self._cache
        for change in changes:
            cache[(change.collection, change.key)] = change if isinstance(change, Put) else None
        if len(cache) >= _FLUSH_EVERY:
            self._flush_docs()

    def _flush_docs(self) -> None:
        if not self._cache:
            return
        puts = [(p.collection, p.key, p.author, p.ref, pack(p.doc)) for p in self._cache.values() if p is not None]
        deletes = [key for key, p in self._cache.items() if p is None]
        self._cache.clear()
        self._db.executemany("DELETE FROM docs WHERE collection = ? AND key = ?", deletes)
        self._db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?)", puts)

    def remember(self, author: bytes, seq: int, eid: bytes) -> None:
        """Record that `author`'s log holds event `eid` at `seq` (written in batches)."""
        self._seen.append((author, seq, eid))
        if len(self._seen) >= _FLUSH_EVERY:
            self._flush_seen()

    def seen_id(self, author: bytes, seq: int) -> bytes | None:
        """Return the id of the event remembered at `author`/`seq`, or None."""
        self._flush_seen()
        row = self._db.execute("SELECT id FROM seen WHERE author = ? AND seq = ?", (author, seq)).fetchone()
        return None if row is None else row[0]

    def _flush_seen(self) -> None:
        if self._seen:
            self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", self._seen)
            self._seen.clear()

    def commit(self) -> None:
        """End the write transaction so that other processes can read the file."""
        self._flush_docs()
        self._flush_seen()
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection (the file stays until its directory is removed)."""
        self._db.close()
