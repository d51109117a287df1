"""The read-model recorder on PostgreSQL: documents, their listing columns and group digests, written with the tracking row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from .group_digests import PostgresGroupDigestTables, postgres_statements
from .listing_sql import (
    LISTING_COLUMNS,
    MAX_KEYS,
    Columns,
    column_definitions,
    first_per_ref_lateral_statement,
    index_statements,
    listing_values,
)
from .readmodel_version import VersionTable
from .recorder import (
    DocumentRow,
    ViewRecorder,
)
from .search_sql import postgres_index_name, postgres_index_statement, postgres_search_statement
from .views import check_view_name

TRACKING_TABLE = "notification_tracking"
_COLUMNS = Columns(ph="%s", text='text COLLATE "C"', integer="bigint", blob="bytea")


def _q(template: str, schema: str, **tables: str) -> SQL:
    """Return `template` with {schema} and the named tables filled in as quoted identifiers."""
    return SQL(template).format(schema=Identifier(schema), **{k: Identifier(v) for k, v in tables.items()})


class PostgresViewRecorder(VersionTable, PostgresGroupDigestTables, ViewRecorder, PostgresTrackingRecorder):
    """PostgresTrackingRecorder plus one documents table, written with the tracking row in one transaction."""

    search_statement = staticmethod(postgres_search_statement)

    placeholder = "%s"

    def __init__(self, datastore: PostgresDatastore, name: str):
        self.documents_table = f"{check_view_name(name)}_documents"
        self.view_name = name
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        s = self.datastore.schema
        self.listing_table = f'"{s}"."{self.documents_table}"'  # both names are checked lowercase identifiers
        entries, groups = f"{name}_digest_entries", f"{name}_group_digests"
        self._ph, self._docs_name = "%s", f'"{s}"."{self.documents_table}"'
        self._entries_name, self._groups_name = f'"{s}"."{entries}"', f'"{s}"."{groups}"'
        self._version_name = f'"{s}"."{name}_version"'
        d = {"docs": self.documents_table, "tracking": self.tracking_table_name}
        self.sql_create_statements += [
            _q(
                "CREATE TABLE IF NOT EXISTS {schema}.{docs} (collection text NOT NULL, key bytea NOT NULL, "
                f"author bytea NOT NULL, ref bytea, doc bytea NOT NULL, {column_definitions(_COLUMNS)}, "
                "search tsvector, PRIMARY KEY (collection, key))",
                s,
                **d,
            ),
            *(SQL(statement) for statement in index_statements(self.listing_table, self.documents_table)),
            SQL(postgres_index_statement(self.listing_table, self.documents_table)),  # type: ignore[arg-type]
            *(SQL(statement) for statement in postgres_statements(s, self.documents_table, entries, groups)),  # type: ignore[arg-type]
            SQL(self._version_statement()),  # type: ignore[arg-type]  # built from checked identifiers only
        ]
        self.select_docs_sql = _q("SELECT * FROM {schema}.{docs} WHERE collection = %s", s, **d)
        self.upsert_doc_sql = _q(
            "INSERT INTO {schema}.{docs} VALUES (" + ", ".join(["%s"] * (5 + len(LISTING_COLUMNS))) + ", "
            "to_tsvector('simple', %s::text)) "
            "ON CONFLICT (collection, key) DO UPDATE SET author = excluded.author, ref = excluded.ref, doc = excluded.doc, "
            + ", ".join(f"{c} = excluded.{c}" for c in (*LISTING_COLUMNS, "search")),
            s,
            **d,
        )
        self.delete_doc_sql = _q("DELETE FROM {schema}.{docs} WHERE collection = %s AND key = %s", s, **d)
        self.clear_docs_sql = _q("DELETE FROM {schema}.{docs}", s, **d)
        self.clear_tracking_sql = _q("DELETE FROM {schema}.{tracking} WHERE application_name = %s", s, **d)

    @staticmethod
    def _row(r: DictRow) -> DocumentRow:
        return DocumentRow(
            r["collection"], bytes(r["key"]), bytes(r["author"]), None if r["ref"] is None else bytes(r["ref"]), bytes(r["doc"])
        )

    def select_document(self, collection: str, key: bytes) -> DocumentRow | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.select_docs_sql + SQL(" AND key = %s"), (collection, key))
            r = curs.fetchone()
        return None if r is None else self._row(r)

    def select_documents(self, collection: str, ref: bytes | None, author: bytes | None) -> list[DocumentRow]:
        statement = self.select_docs_sql
        params: list[Any] = [collection]
        if ref is not None:
            statement += SQL(" AND ref = %s")
            params.append(ref)
        if author is not None:
            statement += SQL(" AND author = %s")
            params.append(author)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement + SQL(" ORDER BY key"), params)
            return [self._row(r) for r in curs.fetchall()]

    def write_documents(
        self, puts: Sequence[DocumentRow], deletes: Sequence[tuple[str, bytes]], tracking: Tracking, settle: bool = True
    ) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._write_digests(curs, puts, deletes, settle)
            if deletes:
                curs.executemany(self.delete_doc_sql, list(deletes))
            if puts:
                curs.executemany(
                    self.upsert_doc_sql,
                    [(p.collection, p.key, p.author, p.ref, p.doc, *listing_values(p.listing), p.search) for p in puts],
                )
            self._insert_tracking(curs, tracking)

    def select_first_per_ref(
        self, collection: str, refs: Sequence[bytes], n: int, hidden: Sequence[bytes] = ()
    ) -> list[DocumentRow]:
        """See ViewRecorder.select_first_per_ref: one LATERAL statement per MAX_KEYS refs, planned once (not one arm each)."""
        rows = self._select_chunked(first_per_ref_lateral_statement, collection, refs, n, hidden, size=MAX_KEYS)
        return [self._document(r) for r in rows]

    def _select(self, statement: str, params: Sequence[object]) -> list[tuple]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)  # type: ignore[arg-type]
            return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r.values()) for r in curs.fetchall()]

    # A bulk projection drops the GIN index too: a GIN insert per searched document costs more than one build.
    def drop_list_indexes(self) -> None:
        super().drop_list_indexes()
        self._run_ddl([f"DROP INDEX IF EXISTS {self._qualified_index(postgres_index_name(self.documents_table))}"])

    def create_list_indexes(self) -> None:
        super().create_list_indexes()
        self._run_ddl([postgres_index_statement(self.listing_table, self.documents_table)])

    def _run_ddl(self, statements: Sequence[str]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for statement in statements:
                curs.execute(SQL(statement))  # type: ignore[arg-type]  # built from checked identifiers only

    def _qualified_index(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{name}"'

    def analyze(self) -> None:
        # Without statistics the planner guesses the documents table's size and picks sequential scans for the
        # callout lists (190-434 ms at 300k events before, 57-91 ms after; docs/BENCHMARKS.md).
        self._run_ddl([f"ANALYZE {self._docs_name}, {self._entries_name}, {self._groups_name}"])

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                (self.datastore.schema, self.documents_table),
            )
            old = curs.fetchone() is not None
            if old:
                curs.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                    "AND column_name = 'lang'",
                    (self.datastore.schema, self.documents_table),
                )
                if curs.fetchone() is None:
                    # read models from before the listing, search or lang columns (the newest): dropped, so the
                    # projector builds them again (the version row, older too, then clears their digests)
                    curs.execute(SQL("DROP TABLE {0}").format(SQL(self.listing_table)))  # type: ignore[arg-type]
                    curs.execute(self.clear_tracking_sql, (self.view_name,))
        super().create_table()

    def clear_documents(self, application_name: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._clear_in(curs)

    def _clear_in(self, c: Any) -> None:
        c.execute(self.clear_docs_sql)
        self._clear_digests(c)
        c.execute(self.clear_tracking_sql, (self.view_name,))

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        super()._create_table(curs)
        self._upgrade_version(curs)
        self._fill_digests(curs)

    def _snapshot(self, c: Cursor[DictRow]) -> None:
        c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
