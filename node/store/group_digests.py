"""Per-group digests kept next to the read-model documents, in the same transactions (state digest version 2).

docs/KINDS.md, "State digest", version 2: each author's group digest hashes the entry hashes of that author's
documents in (collection, key) order; the state digest combines one group digest per author. Two tables
beside a view's documents table, both written in the transaction that writes the documents:

    {view}_digest_entries (author, collection, key, hash)   PRIMARY KEY (author, collection, key)
        one row per document: its 32-byte entry hash. The key serves "this author's documents in
        (collection, key) order", so a recompute reads 32 bytes per document of one group (collections come
        back in name order and are put in the registry's digest order in Python: a handful of runs).
    {view}_group_digests (author PRIMARY KEY, digest)       partial index on the rows WHERE digest IS NULL
        one row per author holding a document; digest NULL = to be recomputed ("dirty").

A write marks the touched authors dirty; `settle` recomputes the dirty ones. The projector settles in the
transaction of the last batch of a catch-up (so a single write costs the touched groups' documents, and a
rebuild or a long catch-up recomputes each group once, not once per batch). Readers compute any group still
dirty from its entry rows on the fly, read-only, so the digest they get never depends on a settle.

A document never changes author (the projection only changes an entity in its own author's log: docs/KINDS.md),
so a replaced document's entry row is found under the new Put's author; a deleted one's author is read from
the documents table before the documents are deleted.

The SQL is written once for both backends (`ON CONFLICT ... DO UPDATE`, row values and partial indexes are
the same on SQLite and PostgreSQL); each backend's recorder supplies the placeholder, the qualified table
names and the create statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from events.readmodel.digest import entry_hash, entry_of, group_digest
from events.readmodel.projection import COLLECTIONS

from .recorder import DocumentRow

_RANK = {name: n for n, name in enumerate(COLLECTIONS)}
FILL_PAGE = 5000  # documents read per query while filling the entry hashes of a store made before version 2


def entry_rows(puts: Iterable[DocumentRow]) -> list[tuple[bytes, str, bytes, bytes]]:
    """Return (author, collection, key, entry hash) for each document row of a digested collection (the state digest
    covers the registry's collections only, as version 1 does)."""
    return [
        (p.author, p.collection, p.key, entry_hash(entry_of(p.collection, p.key, p.author, p.ref, p.doc)))
        for p in puts
        if p.collection in _RANK
    ]


def digest_of_rows(author: bytes, rows: Iterable[tuple[str, bytes]]) -> bytes:
    """Return `author`'s group digest from its (collection, entry hash) rows ordered by collection name, then key."""
    runs: dict[str, list[bytes]] = {}
    for collection, hashed in rows:
        runs.setdefault(collection, []).append(bytes(hashed))
    unknown = runs.keys() - _RANK.keys()
    if unknown:
        raise ValueError(f"digest entries of unknown collection(s) {sorted(unknown)!r:.80}")
    return group_digest(author, (h for name in sorted(runs, key=_RANK.__getitem__) for h in runs[name]))


class GroupDigestTables:
    """Mixin for a view recorder: the entry-hash and group-digest tables and their upkeep (see the module doc).

    The recorder sets `_ph` (its placeholder), `_docs_name`, `_entries_name`, `_groups_name` (table names as
    they go into SQL) and passes its cursor `c` (a DB-API cursor of the open transaction) to each method.
    """

    _ph: str
    _docs_name: str
    _entries_name: str
    _groups_name: str

    def _sql(self, template: str) -> str:
        return template.format(d=self._docs_name, e=self._entries_name, g=self._groups_name).replace("?", self._ph)

    def _write_digests(self, c: Any, puts: Sequence[DocumentRow], deletes: Sequence[tuple[str, bytes]], settle: bool) -> None:
        """Update the entry hashes of a write (before its documents are deleted or replaced) and mark its authors dirty."""
        dirty: set[bytes] = {p.author for p in puts}
        if deletes:
            gone = []
            for collection, key in deletes:
                c.execute(self._sql("SELECT author FROM {d} WHERE collection = ? AND key = ?"), (collection, key))
                row = c.fetchone()
                if row is not None:
                    gone.append((bytes(row["author"]), collection, key))
            if gone:
                c.executemany(self._sql("DELETE FROM {e} WHERE author = ? AND collection = ? AND key = ?"), gone)
                dirty.update(author for author, _, _ in gone)
        rows = sorted(entry_rows(puts))  # sorted: the B-tree is walked once from left to right
        if rows:
            self._upsert_entries(c, rows)
        if dirty:
            self._mark_dirty(c, sorted(dirty))
        if settle:
            self._settle(c)

    def _upsert_entries(self, c: Any, rows: list[tuple[bytes, str, bytes, bytes]]) -> None:
        c.executemany(
            self._sql(
                "INSERT INTO {e} VALUES (?, ?, ?, ?) ON CONFLICT (author, collection, key) DO UPDATE SET hash = excluded.hash"
            ),
            rows,
        )

    def _mark_dirty(self, c: Any, authors: list[bytes]) -> None:
        c.executemany(
            self._sql("INSERT INTO {g} VALUES (?, NULL) ON CONFLICT (author) DO UPDATE SET digest = NULL"),
            [(a,) for a in authors],
        )

    def _group_rows(self, c: Any, author: bytes) -> list[tuple[str, bytes]]:
        c.execute(self._sql("SELECT collection, hash FROM {e} WHERE author = ? ORDER BY collection, key"), (author,))
        return [(r["collection"], r["hash"]) for r in c.fetchall()]

    def _settle(self, c: Any) -> int:
        """Recompute every dirty group digest (dropping groups left without documents); return how many."""
        c.execute(self._sql("SELECT author FROM {g} WHERE digest IS NULL"))
        dirty = [bytes(r["author"]) for r in c.fetchall()]
        for author in dirty:
            rows = self._group_rows(c, author)
            if rows:
                c.execute(self._sql("UPDATE {g} SET digest = ? WHERE author = ?"), (digest_of_rows(author, rows), author))
            else:
                c.execute(self._sql("DELETE FROM {g} WHERE author = ?"), (author,))
        return len(dirty)

    def _clear_digests(self, c: Any) -> None:
        c.execute(self._sql("DELETE FROM {e}"))
        c.execute(self._sql("DELETE FROM {g}"))

    def _fill_digests(self, c: Any) -> int:
        """Build the entry hashes and group digests of documents written before version 2; return how many documents.

        Runs when the store is opened: only if documents exist and no entry hash does (a store from before
        version 2, once), in the transaction that created the tables.
        """
        c.execute(self._sql("SELECT 1 AS one FROM {e} LIMIT 1"))
        if c.fetchone() is not None:
            return 0
        c.execute(self._sql("SELECT 1 AS one FROM {d} LIMIT 1"))
        if c.fetchone() is None:
            return 0
        done, after = 0, ("", b"")
        while True:
            c.execute(
                self._sql(
                    "SELECT collection, key, author, ref, doc FROM {d} WHERE (collection, key) > (?, ?) "
                    "ORDER BY collection, key LIMIT ?"
                ),
                (*after, FILL_PAGE),
            )
            page = [
                DocumentRow(r["collection"], bytes(r["key"]), bytes(r["author"]), _opt(r["ref"]), bytes(r["doc"]))
                for r in c.fetchall()
            ]
            if not page:
                break
            self._write_digests(c, page, (), settle=False)
            done += len(page)
            after = (page[-1].collection, page[-1].key)
        self._settle(c)
        return done

    def _snapshot(self, c: Any) -> None:
        """Make the reads of this transaction see one snapshot (PostgreSQL overrides; SQLite's transactions already do)."""

    def _select_group_digests(
        self, c: Any, after: bytes | None, limit: int | None
    ) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
        """Return (author, group digest) ascending by author after `after` (at most `limit` rows read; dirty ones
        computed now), and the author to continue after (None when no row is left)."""
        sql, params = "SELECT author, digest FROM {g}", []
        if after is not None:
            sql += " WHERE author > ?"
            params.append(after)
        sql += " ORDER BY author"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        c.execute(self._sql(sql), params)
        rows = [(bytes(r["author"]), _opt(r["digest"])) for r in c.fetchall()]
        out = []
        for author, digest in rows:
            if digest is None:
                entries = self._group_rows(c, author)
                if not entries:  # dirty and left without documents: not a group of the state (dropped at the next settle)
                    continue
                digest = digest_of_rows(author, entries)
            out.append((author, digest))
        more = limit is not None and len(rows) == limit
        return out, rows[-1][0] if more else None

    def select_group_digests(self, after: bytes | None, limit: int) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
        """Return up to `limit` (author, group digest) pairs after author `after`, and where the next page starts (or None)."""
        with self.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            self._snapshot(c)
            return self._select_group_digests(c, after, limit)

    def select_digest_state(self, application_name: str) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Return the tracked position of `application_name` and every (author, group digest), from one snapshot."""
        with self.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            self._snapshot(c)
            position = self._max_tracking_id(application_name, c) or 0  # type: ignore[attr-defined]
            groups, _ = self._select_group_digests(c, None, None)
        return position, groups

    def settle_digests(self) -> int:
        """Recompute the dirty group digests in a transaction of their own; return how many."""
        with self.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
            return self._settle(c)


class PostgresGroupDigestTables(GroupDigestTables):
    """The same upkeep with one statement per batch instead of one per row (psycopg's executemany costs ~0.1 ms of
    client CPU per row, which doubled the projection's client time). The arrays are bound in binary (%b): with %s
    psycopg sends them as text, every bytea element hex-escaped (`binary=True` only asks for binary results)."""

    def _upsert_entries(self, c: Any, rows: list[tuple[bytes, str, bytes, bytes]]) -> None:
        authors, collections, keys, hashes = (list(column) for column in zip(*rows, strict=True))
        c.execute(
            self._sql(
                "INSERT INTO {e} SELECT * FROM unnest(%b::bytea[], %b::text[], %b::bytea[], %b::bytea[]) "
                "ON CONFLICT (author, collection, key) DO UPDATE SET hash = excluded.hash"
            ),
            (authors, collections, keys, hashes),
        )

    def _mark_dirty(self, c: Any, authors: list[bytes]) -> None:
        c.execute(
            self._sql(
                "INSERT INTO {g} SELECT a, NULL FROM unnest(%b::bytea[]) AS a ON CONFLICT (author) DO UPDATE SET digest = NULL"
            ),
            (authors,),
        )


def _opt(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def sqlite_statements(docs: str, entries: str, groups: str) -> list[str]:
    """Return the SQLite statements creating the tables of a view whose documents table is `docs` (if missing)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {entries} (author BLOB NOT NULL, collection TEXT NOT NULL, key BLOB NOT NULL, "
        "hash BLOB NOT NULL, PRIMARY KEY (author, collection, key)) WITHOUT ROWID",
        f"CREATE TABLE IF NOT EXISTS {groups} (author BLOB PRIMARY KEY, digest BLOB) WITHOUT ROWID",
        f"CREATE INDEX IF NOT EXISTS {groups}_dirty ON {groups} (author) WHERE digest IS NULL",
    ]


def postgres_statements(schema: str, docs: str, entries: str, groups: str) -> list[str]:
    """Return the PostgreSQL statements creating the tables of a view in `schema` (if missing); names are identifiers."""
    e, g = f'"{schema}"."{entries}"', f'"{schema}"."{groups}"'
    return [
        f"CREATE TABLE IF NOT EXISTS {e} (author bytea NOT NULL, collection text NOT NULL, key bytea NOT NULL, "
        "hash bytea NOT NULL, PRIMARY KEY (author, collection, key) INCLUDE (hash))",
        f"CREATE TABLE IF NOT EXISTS {g} (author bytea PRIMARY KEY, digest bytea)",
        f'CREATE INDEX IF NOT EXISTS "{groups}_dirty" ON {g} (author) WHERE digest IS NULL',
    ]
