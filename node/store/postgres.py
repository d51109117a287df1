"""PostgreSQL backend: eventsourcing's PostgreSQL recorders (text originator ids) extended with the node's tables."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from ..errors import StoreConfigError
from .base import EventStore
from .key_states import KEYS_TABLE, SUPERSEDED_TABLE, KeyStateTables, create_statements, superseded_index
from .pg_datastore import NodePostgresDatastore
from .postgres_views import PostgresViewRecorder, _q
from .recorder import (
    EVENTS_TABLE,
    FORKS_TABLE,
    HEADS_TABLE,
    INDEX_TABLE,
    EventRows,
    ForkRow,
    HeadRow,
    LogRecorder,
)
from .translate import translated
from .views import ViewStore

MAX_OVERFLOW = 4
COPY_FROM = 1_000
"""Rows from which a write's events and their id index go in with COPY (one INSERT over arrays below: fewer round trips)."""
_event_id = operator.attrgetter("event_id")
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresLogRecorder(KeyStateTables, LogRecorder, PostgresApplicationRecorder):
    """PostgresApplicationRecorder plus the event-id index, log heads, fork proofs and key changes, in the same transactions."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = EVENTS_TABLE):
        super().__init__(datastore, events_table_name=events_table_name)
        s = self.datastore.schema
        self._ph, self._keys_name, self._superseded_name = "%s", f'"{s}"."{KEYS_TABLE}"', f'"{s}"."{SUPERSEDED_TABLE}"'
        self._events_name, self._heads_name = f'"{s}"."{self.events_table_name}"', f'"{s}"."{HEADS_TABLE}"'
        self.sql_create_statements += [
            SQL(statement)  # type: ignore[arg-type]
            for statement in (
                *create_statements(self._keys_name, self._superseded_name, "bytea", "bigint", 'text COLLATE "C"'),
                superseded_index(self._superseded_name, f"{SUPERSEDED_TABLE}_log"),
            )
        ]
        names = {"events": self.events_table_name, "index": INDEX_TABLE, "heads": HEADS_TABLE, "forks": FORKS_TABLE}
        self.sql_create_statements += [
            _q(
                "CREATE TABLE IF NOT EXISTS {schema}.{index} (event_id bytea PRIMARY KEY, originator_id text NOT NULL, "
                "originator_version bigint NOT NULL)",
                s,
                **names,
            ),
            _q(
                "CREATE TABLE IF NOT EXISTS {schema}.{heads} (originator_id text PRIMARY KEY, author bytea NOT NULL, "
                'seq bigint NOT NULL, event_id bytea NOT NULL, "timestamp" bigint NOT NULL)',
                s,
                **names,
            ),
            _q(
                "CREATE TABLE IF NOT EXISTS {schema}.{forks} (originator_id text NOT NULL, seq bigint NOT NULL, "
                "id_a bytea NOT NULL, id_b bytea NOT NULL, proof bytea NOT NULL, PRIMARY KEY (id_a, id_b))",
                s,
                **names,
            ),
            _q(
                "CREATE INDEX IF NOT EXISTS {forks_idx} ON {schema}.{forks} (originator_id)",
                s,
                forks_idx=FORKS_TABLE + "_originator",
                **names,
            ),
            _q(
                "CREATE INDEX IF NOT EXISTS {heads_idx} ON {schema}.{heads} (author)",
                s,
                heads_idx=HEADS_TABLE + "_author",
                **names,
            ),
        ]
        # A batch's rows go in as one statement per table over plain arrays (unnest): no statement per row, and no
        # composite type for psycopg to escape field by field (see insert_events for why not in pipeline mode). The
        # arrays are bound in binary (%b): with %s psycopg sends them as text, every bytea element hex-escaped, and
        # the server parses it back (an import batch's events statement: 0.6 s against 0.15 s, a quarter of the CPU).
        self.insert_event_rows_sql = _q(
            "INSERT INTO {schema}.{events} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::bytea[]) RETURNING notification_id",
            s,
            **names,
        )
        self.copy_events_sql = _q(
            "COPY {schema}.{events} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)", s, **names
        )
        self.select_copied_ids_sql = SQL(
            "SELECT currval(pg_get_serial_sequence({table}, 'notification_id')) AS last, (SELECT notification_id FROM "
            "{schema}.{events} WHERE originator_id = %s AND originator_version = %s) AS first"
        ).format(
            table=Literal(f'"{s}"."{self.events_table_name}"'), schema=Identifier(s), events=Identifier(self.events_table_name)
        )
        self.select_ids_in_order_sql = _q(
            "SELECT e.notification_id FROM unnest(%b::text[], %b::bigint[]) WITH ORDINALITY AS r(o, v, i) "
            "JOIN {schema}.{events} e ON e.originator_id = r.o AND e.originator_version = r.v ORDER BY r.i",
            s,
            **names,
        )
        self.copy_index_sql = _q("COPY {schema}.{index} FROM STDIN (FORMAT BINARY)", s, **names)
        self.insert_index_sql = _q(
            "INSERT INTO {schema}.{index} SELECT * FROM unnest(%b::bytea[], %b::text[], %b::bigint[])", s, **names
        )
        self.upsert_head_sql = _q(
            "INSERT INTO {schema}.{heads} AS h SELECT * FROM unnest(%b::text[], %b::bytea[], %b::bigint[], %b::bytea[], "
            "%b::bigint[]) ON CONFLICT (originator_id) DO UPDATE SET "
            'seq = excluded.seq, event_id = excluded.event_id, "timestamp" = excluded."timestamp" WHERE h.seq < excluded.seq',
            s,
            **names,
        )
        self.insert_fork_sql = _q("INSERT INTO {schema}.{forks} VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", s, **names)
        self.select_heads_sql = _q("SELECT * FROM {schema}.{heads}", s, **names)
        self.select_known_sql = _q("SELECT event_id FROM {schema}.{index} WHERE event_id = ANY(%s)", s, **names)
        self.select_between_sql = _q(
            "SELECT event_id FROM {schema}.{index} WHERE event_id BETWEEN %s AND %s ORDER BY event_id LIMIT %s", s, **names
        )
        self.select_state_sql = _q(
            "SELECT e.state FROM {schema}.{index} i JOIN {schema}.{events} e "
            "ON e.originator_id = i.originator_id AND e.originator_version = i.originator_version WHERE i.event_id = %s",
            s,
            **names,
        )
        self.update_state_sql = _q(
            "UPDATE {schema}.{events} SET state = %s WHERE originator_id = %s AND originator_version = %s", s, **names
        )
        self.select_forks_sql = _q("SELECT * FROM {schema}.{forks}", s, **names)

    def _insert_events(self, curs: Cursor[DictRow], stored_events: EventRows, **kwargs: Any) -> None:
        if kwargs.get("cuts"):
            self._lock_table(curs)  # the library's own lock, taken before the superseded branch is deleted
        self._write_key_rows(curs, kwargs)
        super()._insert_events(curs, stored_events, **kwargs)
        if not stored_events:  # a fork proof alone: the library inserts nothing and takes no lock
            self._insert_node_rows(curs, **kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: EventRows, **kwargs: Any) -> Sequence[int] | None:
        # The library's steps in the library's order, in one transaction, but not in pipeline mode: a batch of
        # ~20,000 events is one bind message of ~10 MB, and in pipeline mode psycopg then waited for the results
        # while the server still waited for the rest of the message (ClientRead; psycopg/psycopg#685). A batch is
        # a handful of statements, so the round trips the pipeline saved are nothing next to the rows.
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return None
            if len(stored_events) < COPY_FROM:
                self._insert_stored_events(curs, stored_events, **kwargs)
                return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            notification_ids = self._copy_stored_events(curs, stored_events)
            self._insert_node_rows(curs, **kwargs)
            return notification_ids

    def _copy_stored_events(self, curs: Cursor[DictRow], stored_events: EventRows) -> list[int]:
        """Insert a large batch's rows with COPY (binary) after the library's lock and notification; return their ids.

        COPY costs the server half of what the INSERT over arrays does per row (an import batch of 40,000 events:
        0.22 s against 0.45 s) but returns nothing. Under the library's EXCLUSIVE lock no one else draws from the
        notification id sequence, so the rows get consecutive ids ending at its current value; checked against the
        first row's id, and read back row by row if they did not (a sequence with a cache or an increment other
        than 1 would leave gaps)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        with curs.copy(self.copy_events_sql) as copy:
            copy.set_types(["text", "int8", "text", "bytea"])
            for row in stored_events:
                copy.write_row(row)  # (an EventRow: a tuple in the columns' order)
        first = stored_events[0]
        curs.execute(self.select_copied_ids_sql, (first.originator_id, first.originator_version))
        row = curs.fetchone()
        assert row is not None
        last, start = row["last"], row["first"]
        if last - start + 1 == len(stored_events):
            return list(range(start, last + 1))
        columns = ([s.originator_id for s in stored_events], [s.originator_version for s in stored_events])
        curs.execute(self.select_ids_in_order_sql, columns)
        return [r["notification_id"] for r in curs.fetchall()]

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: EventRows, **kwargs: Any) -> None:
        # The library's statement unnests an array of a composite type, which psycopg builds by escaping every
        # field as text (most of an import's client CPU); four plain arrays carry the same rows in the same order,
        # after the library's own table lock and notification, so the ids come back as the library reads them.
        self._lock_table(curs)
        self._notify_channel(curs)
        columns = ([s.originator_id for s in stored_events], [s.originator_version for s in stored_events])
        curs.execute(self.insert_event_rows_sql, (*columns, [s.topic for s in stored_events], [s.state for s in stored_events]))

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: EventRows, **kwargs: Any
    ) -> Sequence[int] | None:
        # Runs after the library has taken its table lock and inserted the events, in the same transaction,
        # so our rows never take locks in another order than the library's (and it prepares the lock once).
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._insert_node_rows(curs, **kwargs)
        return notification_ids

    def _insert_node_rows(self, curs: Cursor[DictRow], **kwargs: Any) -> None:
        index = kwargs.get("index") or ()
        if index:
            # by id, as on SQLite: the B-tree's leaves are visited once each, left to right, not at random (not
            # measured apart from the COPY change here: within the afternoon's noise, docs/BENCHMARKS.md)
            index = sorted(index, key=_event_id)
            if len(index) < COPY_FROM:
                columns = ([r.event_id for r in index], [r.originator_id for r in index], [r.seq for r in index])
                curs.execute(self.insert_index_sql, columns)
            else:
                with curs.copy(self.copy_index_sql) as copy:
                    copy.set_types(["bytea", "text", "int8"])
                    for r in index:
                        copy.write_row((r.event_id, r.originator_id, r.seq))
        heads = kwargs.get("heads") or ()
        if heads:
            rows = [(h.originator_id, h.author, h.seq, h.event_id, h.timestamp) for h in heads]
            curs.execute(self.upsert_head_sql, [list(column) for column in zip(*rows, strict=True)])
        forks = kwargs.get("forks") or ()
        if forks:
            curs.executemany(self.insert_fork_sql, [(f.originator_id, f.seq, f.id_a, f.id_b, f.proof) for f in forks])

    def _read(self, statement: str, params: Sequence[Any]) -> list[tuple]:
        return [tuple(r.values()) for r in self._fetch(statement, params)]

    def _drop_index_rows(self, c: Any, originator_id: str, seq: int) -> None:
        where = "WHERE originator_id = %s AND originator_version >= %s"
        c.execute(_q("DELETE FROM {schema}.{index} " + where, self.datastore.schema, index=INDEX_TABLE), (originator_id, seq))

    def _fetch(self, statement: Any, params: Sequence[Any] = ()) -> list[DictRow]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return curs.fetchall()

    def select_heads(self, originator_ids: Sequence[str] | None = None) -> list[HeadRow]:
        if originator_ids is None:
            rows = self._fetch(self.select_heads_sql + SQL(" ORDER BY originator_id"))
        else:
            rows = self._fetch(self.select_heads_sql + SQL(" WHERE originator_id = ANY(%s)"), (list(originator_ids),))
        return [HeadRow(r["originator_id"], bytes(r["author"]), r["seq"], bytes(r["event_id"]), r["timestamp"]) for r in rows]

    def select_heads_after(self, after: str, limit: int) -> list[HeadRow]:
        statement = self.select_heads_sql + SQL(" WHERE originator_id > %s ORDER BY originator_id LIMIT %s")
        rows = self._fetch(statement, (after, limit))
        return [HeadRow(r["originator_id"], bytes(r["author"]), r["seq"], bytes(r["event_id"]), r["timestamp"]) for r in rows]

    def select_head_range(self, lo: bytes, hi: bytes | None, limit: int) -> list[HeadRow]:
        if hi is None:
            rows = self._fetch(self.select_heads_sql + SQL(" WHERE author >= %s ORDER BY author LIMIT %s"), (lo, limit))
        else:
            rows = self._fetch(
                self.select_heads_sql + SQL(" WHERE author >= %s AND author < %s ORDER BY author LIMIT %s"), (lo, hi, limit)
            )
        return [HeadRow(r["originator_id"], bytes(r["author"]), r["seq"], bytes(r["event_id"]), r["timestamp"]) for r in rows]

    def select_known_ids(self, event_ids: Sequence[bytes]) -> set[bytes]:
        return {bytes(r["event_id"]) for r in self._fetch(self.select_known_sql, (list(event_ids),))}

    def select_ids_between(self, lo: bytes, hi: bytes, limit: int) -> list[bytes]:
        return [bytes(r["event_id"]) for r in self._fetch(self.select_between_sql, (lo, hi, limit))]

    def select_state_by_id(self, event_id: bytes) -> bytes | None:
        rows = self._fetch(self.select_state_sql, (event_id,))
        return bytes(rows[0]["state"]) if rows else None

    def update_state(self, originator_id: str, originator_version: int, state: bytes) -> bool:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.update_state_sql, (state, originator_id, originator_version))
            return curs.rowcount == 1

    def select_fork_rows(self, originator_id: str | None = None) -> list[ForkRow]:
        if originator_id is None:
            rows = self._fetch(self.select_forks_sql + SQL(" ORDER BY originator_id, seq, id_a, id_b"))
        else:
            rows = self._fetch(
                self.select_forks_sql + SQL(" WHERE originator_id = %s ORDER BY seq, id_a, id_b"), (originator_id,)
            )
        return [ForkRow(r["originator_id"], r["seq"], bytes(r["id_a"]), bytes(r["id_b"]), bytes(r["proof"])) for r in rows]

    def select_forked_among(self, originator_ids: Sequence[str]) -> set[str]:
        statement = _q(
            "SELECT DISTINCT originator_id FROM {schema}.{forks} WHERE originator_id = ANY(%s)",
            self.datastore.schema,
            forks=FORKS_TABLE,
        )
        return {r["originator_id"] for r in self._fetch(statement, (list(originator_ids),))}

    def select_totals(self) -> tuple[int, int, int]:
        statement = _q(
            "SELECT COUNT(*) AS logs, COALESCE(SUM(seq), 0)::bigint AS events, (SELECT COUNT(*) FROM {schema}.{forks}) AS proofs "
            "FROM {schema}.{heads}",
            self.datastore.schema,
            forks=FORKS_TABLE,
            heads=HEADS_TABLE,
        )
        [row] = self._fetch(statement)
        return int(row["logs"]), int(row["events"]), int(row["proofs"])

    def select_forked_originators(self) -> list[str]:
        rows = self._fetch(
            _q("SELECT DISTINCT originator_id FROM {schema}.{forks} ORDER BY 1", self.datastore.schema, forks=FORKS_TABLE)
        )
        return [r["originator_id"] for r in rows]


def datastore_from_url(url: str, *, schema: str = "public", pool_size: int = 4) -> PostgresDatastore:
    """Return a library PostgresDatastore (text originator ids) for a postgresql:// URL; the schema is created if missing."""
    if not _SCHEMA.fullmatch(schema):
        raise StoreConfigError(f"schema {schema!r:.70} is not a lowercase identifier", field="schema")
    try:
        params = conninfo_to_dict(url)
    except Exception as exc:  # psycopg raises ProgrammingError for a malformed URL
        raise StoreConfigError(f"not a usable PostgreSQL URL: {exc}", field="database_url") from None
    datastore = NodePostgresDatastore(
        dbname=str(params.get("dbname", "")),
        host=str(params.get("host", "localhost")),
        port=str(params.get("port", 5432)),
        user=str(params.get("user", "")),
        password=str(params.get("password", "")),
        schema=schema,
        pool_size=pool_size,
        # up to 8 connections: AsyncStore's 4 query threads and 2 sync threads and its writer each hold one at a
        # time, so a slow read on every reader thread still leaves the writer a connection (plus one spare)
        max_overflow=MAX_OVERFLOW,
        originator_id_type="text",
    )
    with translated(f"creating schema {schema}"), datastore.transaction(commit=True) as curs:
        curs.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(schema)))
    return datastore


@contextmanager
def _schema_lock(datastore: PostgresDatastore) -> Iterator[None]:
    """Hold a session advisory lock for the schema: nodes starting together must not race on CREATE statements."""
    with datastore.get_connection() as conn:
        key = SQL("SELECT pg_advisory_lock(hashtext({0}))").format(Literal(datastore.schema))
        conn.execute(key)
        try:
            yield
        finally:
            conn.execute(SQL("SELECT pg_advisory_unlock(hashtext({0}))").format(Literal(datastore.schema)))


class PostgresEventStore(EventStore):
    """The event store in a PostgreSQL database (one schema), safe for several node processes at once."""

    def __init__(self, url: str, *, schema: str = "public"):
        self.schema = schema
        self.datastore = datastore_from_url(url, schema=schema)
        with translated("creating the event tables"), _schema_lock(self.datastore):
            recorder = PostgresLogRecorder(self.datastore)
            recorder.create_table()
        super().__init__(recorder)

    def view_store(self, name: str = "views") -> ViewStore:
        """Return the read-model store `name` in this store's schema (tables created if missing)."""
        with translated("creating the read-model tables"), _schema_lock(self.datastore):
            recorder = PostgresViewRecorder(self.datastore, name)
            recorder.create_table()
        return ViewStore(recorder, name)

    def close(self) -> None:
        self.datastore.close()
