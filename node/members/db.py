"""The node's own local tables (members, links, tokens, who did what) in the event store's database, either backend.

These rows are node-local: never events, never replicated, never in a bundle. They live in the same database as
the event store (the SQLite file in the data dir, or the PostgreSQL schema), reached through the store's own
datastore, so a backup of the database holds them too. Statements are written once with `?` placeholders and
portable types (TEXT, BIGINT); this module turns them into each backend's form and translates driver errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..store.base import EventStore
from ..store.translate import translated


class Tx:
    """One transaction's statements: rows come back as tuples whatever the backend."""

    def __init__(self, cursor: Any, postgres: bool, doing: str):
        self._cursor = cursor
        self._postgres = postgres
        self.doing = doing

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        self._cursor.execute(sql.replace("?", "%s") if self._postgres else sql, tuple(params))
        return self._cursor.rowcount

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one query; return its rows as tuples."""
        self.run(sql, params)
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in self._cursor.fetchall()]

    def row(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        """Run one query; return its first row, or None."""
        found = self.rows(sql, params)
        return found[0] if found else None


class LocalDb:
    """The node's local tables in its event store's database; `table(name)` gives a name to use in statements."""

    def __init__(self, store: EventStore):
        self._datastore = store.datastore  # type: ignore[attr-defined]  (each backend's store has one)
        self._schema = getattr(store, "schema", None)
        self.postgres = self._schema is not None

    def table(self, name: str) -> str:
        """Return `name` qualified by the PostgreSQL schema the store uses (as is on SQLite)."""
        return f'"{self._schema}".{name}' if self.postgres else name

    @contextmanager
    def tx(self, doing: str, *, write: bool = True) -> Iterator[Tx]:
        """Run a block of statements in one transaction (committed if `write` and no error); errors become StoreErrors."""
        with translated(doing), self._datastore.transaction(commit=write) as cursor:
            yield Tx(getattr(cursor, "sqlite_cursor", cursor), self.postgres, doing)  # (the library wraps SQLite's)

    def create(self, name: str, statements: Sequence[str]) -> None:
        """Create tables and indexes if missing (`{t}` in a statement is the qualified table name, `{schema}` the prefix)."""
        prefix = f'"{self._schema}".' if self.postgres else ""
        with self.tx(f"creating the {name} table") as tx:
            if self.postgres:  # nodes starting at once on one schema must not race on CREATE
                tx.run("SELECT pg_advisory_xact_lock(hashtext(?))", (f"{self._schema}.{name}",))
            for statement in statements:
                tx.run(statement.format(t=self.table(name), schema=prefix))

    def add_column(self, name: str, column: str, sql_type: str) -> None:
        """Add a nullable column to a table made before it existed (nothing if it has it already); old rows hold NULL."""
        with self.tx(f"adding {column} to the {name} table") as tx:
            if self.postgres:
                query = "SELECT 1 FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name = ?"
                if not tx.row(query, (self._schema, name, column)):  # (IF NOT EXISTS: nodes starting at once do not race)
                    tx.run(f"ALTER TABLE {self.table(name)} ADD COLUMN IF NOT EXISTS {column} {sql_type}")
            elif not tx.row(f"SELECT 1 FROM pragma_table_info('{name}') WHERE name = ?", (column,)):
                tx.run(f"ALTER TABLE {name} ADD COLUMN {column} {sql_type}")
