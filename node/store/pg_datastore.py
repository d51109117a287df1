"""The node's PostgreSQL datastore: the library's, with reads that stop at their deadline and pinned reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.postgres import PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Literal

from . import readscope
from .pinned import PinnedReads


class NodePostgresDatastore(PinnedReads, PostgresDatastore):
    """The library's datastore whose transactions, within a read scope (node/store/readscope.py), stop when the read
    is past its deadline (`statement_timeout`, set for the transaction, so the server enforces it) or is stopped
    (a cancel request from the thread that calls `interrupt`; the connection is then closed rather than pooled, so
    a cancel that arrives late can never hit the next user of the connection)."""

    @contextmanager
    def transaction(self, *, commit: bool = False) -> Iterator[Cursor[DictRow]]:
        if not commit and (pinned := self._pinned()) is not None:  # inside pinned_reads(): share its transaction
            with self._shared(pinned) as curs:
                yield curs
            return
        scope = readscope.current()
        if scope is None:
            with super().transaction(commit=commit) as curs:
                yield curs
            return
        scope.check()
        with self.get_connection() as conn:
            try:
                with scope.attached(conn.cancel), conn.transaction(force_rollback=not commit):
                    curs = conn.cursor()
                    remaining = scope.remaining()
                    if remaining is not None:
                        # SET, not set_config(): a SET takes no snapshot, so the transaction may still choose its
                        # isolation level (SET TRANSACTION must come before any query)
                        curs.execute(_SET_TIMEOUT.format(Literal(f"{max(int(remaining * 1000), 1)}ms")))
                    yield curs
            finally:
                if scope.stopped:
                    conn.close()


_SET_TIMEOUT = SQL("SET LOCAL statement_timeout = {}")
