"""The read-model recorder on SQLite: documents, their listing columns and group digests, written with the tracking row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import (
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteTrackingRecorder,
)

from .group_digests import GroupDigestTables, sqlite_statements
from .listing_sql import LISTING_COLUMNS, Columns, column_definitions, index_statements, listing_values
from .readmodel_version import VersionTable
from .recorder import (
    DocumentRow,
    ViewRecorder,
)
from .search_sql import fts_table, search_trigger_names, sqlite_search_statement
from .search_sql import sqlite_statements as search_statements
from .views import check_view_name

_COLUMNS = Columns(ph="?", text="TEXT", integer="INTEGER", blob="BLOB")
_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in ("author", "ref", "doc", *LISTING_COLUMNS, "search"))


class SQLiteViewRecorder(VersionTable, GroupDigestTables, ViewRecorder, SQLiteTrackingRecorder):
    """SQLiteTrackingRecorder plus one documents table, written with the tracking row in one transaction."""

    search_statement = staticmethod(sqlite_search_statement)

    placeholder = "?"

    def __init__(self, datastore: SQLiteDatastore, name: str):
        self.application_name = check_view_name(name)
        self.documents_table = self.listing_table = f"{name}_documents"
        self._ph, self._docs_name = "?", self.documents_table
        self._entries_name, self._groups_name = f"{name}_digest_entries", f"{name}_group_digests"
        self._version_name = f"{name}_version"
        super().__init__(datastore)

    def construct_create_table_statements(self) -> list[str]:
        d = self.documents_table
        return [
            *super().construct_create_table_statements(),
            # A rowid table (not WITHOUT ROWID): documents are large rows, which SQLite stores better this way.
            f"CREATE TABLE IF NOT EXISTS {d} (collection TEXT NOT NULL, key BLOB NOT NULL, author BLOB NOT NULL, "
            f"ref BLOB, doc BLOB NOT NULL, {column_definitions(_COLUMNS)}, search TEXT, PRIMARY KEY (collection, key))",
            *index_statements(d, d),
            *search_statements(d),
            *sqlite_statements(d, self._entries_name, self._groups_name),
            self._version_statement(),
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        c.execute("SELECT name FROM pragma_table_info(?)", (self.documents_table,))
        columns = {r[0] for r in c.fetchall()}
        if columns and "lang" not in columns:
            # read models from before the listing, search or lang columns (the newest): dropped, so the projector
            # builds them again (the version row, older too, then clears their digests)
            c.execute(f"DROP TABLE {self.documents_table}")
            c.execute(f"DROP TABLE IF EXISTS {fts_table(self.documents_table)}")
            c.execute("DELETE FROM tracking WHERE application_name=?", (self.application_name,))
        super()._create_table(c)
        self._upgrade_version(c)
        self._fill_digests(c)

    def _select(self, statement: str, params: Sequence[object]) -> list[tuple]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [tuple(r) for r in c.fetchall()]

    def _run_ddl(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in statements:
                c.execute(statement)

    def _qualified_index(self, name: str) -> str:
        return name

    def drop_list_indexes(self) -> None:
        # A bulk projection also stops keeping the full-text index entry by entry (its triggers doubled the time
        # a 50k-event import spent projecting): create_list_indexes rebuilds it from the `search` column at once.
        super().drop_list_indexes()
        self._run_ddl([f"DROP TRIGGER IF EXISTS {name}" for name in search_trigger_names(self.documents_table)])

    def create_list_indexes(self) -> None:
        super().create_list_indexes()
        d = self.documents_table
        first = search_trigger_names(d)[0]
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (first,))
            kept = c.fetchone() is not None
        if not kept:  # dropped by a bulk projection (that may have stopped): triggers back, index rebuilt from the rows
            fts = fts_table(d)
            self._run_ddl([*search_statements(d), f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"])

    # analyze() stays the no-op: SQLite's planner picks the list indexes from the statements' shape alone (the
    # read benchmark's plans use them without statistics), and statistics could only make it choose otherwise.

    def select_document(self, collection: str, key: bytes) -> DocumentRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.documents_table} WHERE collection=? AND key=?", (collection, key))
            r = c.fetchone()
        return None if r is None else DocumentRow(r["collection"], r["key"], r["author"], r["ref"], r["doc"])

    def select_documents(self, collection: str, ref: bytes | None, author: bytes | None) -> list[DocumentRow]:
        statement, params = scan_statement(self.documents_table, collection, ref, author)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            rows = c.fetchall()
        return [DocumentRow(r["collection"], r["key"], r["author"], r["ref"], r["doc"]) for r in rows]

    def write_documents(
        self, puts: Sequence[DocumentRow], deletes: Sequence[tuple[str, bytes]], tracking: Tracking, settle: bool = True
    ) -> None:
        d = self.documents_table
        with self.datastore.transaction(commit=True) as c:
            self._write_digests(c, puts, deletes, settle)
            if deletes:
                c.executemany(f"DELETE FROM {d} WHERE collection=? AND key=?", deletes)
            if puts:
                # an upsert, not INSERT OR REPLACE: the document keeps its rowid, which its full-text entry is keyed by
                c.executemany(
                    f"INSERT INTO {d} VALUES ({','.join('?' * (6 + len(LISTING_COLUMNS)))}) ON CONFLICT (collection, key) "
                    f"DO UPDATE SET {_UPDATE}",
                    [(p.collection, p.key, p.author, p.ref, p.doc, *listing_values(p.listing), p.search) for p in puts],
                )
            self._insert_tracking(c, tracking)

    def clear_documents(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._clear_in(c)

    def _clear_in(self, c: Any) -> None:
        c.execute(f"DELETE FROM {self.documents_table}")
        self._clear_digests(c)
        c.execute("DELETE FROM tracking WHERE application_name=?", (self.application_name,))


def scan_statement(table: str, collection: str, ref: bytes | None, author: bytes | None) -> tuple[str, list[Any]]:
    """Return (statement, parameters) selecting a collection's documents, optionally by ref and/or author, by key."""
    statement = f"SELECT * FROM {table} WHERE collection=?"
    params: list[Any] = [collection]
    if ref is not None:
        statement += " AND ref=?"
        params.append(ref)
    if author is not None:
        statement += " AND author=?"
        params.append(author)
    # "+key" when filtered: SQLite (no statistics) would otherwise walk the whole collection by its primary key to
    # spare the sort, not the (collection, author | ref, ...) index: all 8,000 follows for one group's (25-45 ms at
    # 300k events, on every group page), where the index finds the few rows to sort.
    return statement + (" ORDER BY +key" if ref is not None or author is not None else " ORDER BY key"), params
