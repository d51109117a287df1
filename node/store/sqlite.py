"""SQLite backend: eventsourcing's SQLite recorders extended with the node's tables, one file in the data dir."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
)

from . import readscope
from .base import EventStore
from .key_states import KEYS_TABLE, SUPERSEDED_TABLE, KeyStateTables, create_statements, superseded_index
from .multirow import insert_rows
from .pinned import PinnedReads
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
from .sqlite_views import SQLiteViewRecorder
from .views import ViewStore

DB_FILENAME = "solnet.sqlite3"
# The event-id index on SQLite: event id -> notification id (the events table's rowid), WITHOUT ROWID. Keys are
# random 32-byte ids, so every batch dirties leaf pages all over this B-tree and each commit writes them
# again; rows of (id, integer) instead of (id, group id text, seq) are 40 rather than ~95 bytes, so fewer
# pages are rewritten per commit. Files made before this layout have INDEX_TABLE, which create_table migrates.
ID_TABLE = "event_ids"
LOCK_TIMEOUT_S = 15
_CHUNK = 500  # stay well under SQLite's bound-parameter limit


CACHE_KIB = 32 * 1024  # page cache per connection: the event-id index takes random keys, so keep its pages hot
# WAL pages after which a commit also checkpoints, on the read models' connections (the library's default,
# 1,000 pages = 4 MiB, stays on the events' connections). Documents are indexed by random keys, so each
# read-model commit rewrites most leaf pages of those indexes; a checkpoint copies each page once however
# often it was rewritten since the last one, so checkpointing every ~40 MiB instead of every 4 MiB cuts
# catch-up CPU by about a tenth. Not for the events: their commits fsync the WAL (synchronous=FULL), and
# while the WAL file grows each of those fsyncs also has to flush the file's new size, which cost more
# wall time in ingest than the fewer checkpoints saved (measured; see docs/BENCHMARKS.md).
VIEWS_WAL_AUTOCHECKPOINT_PAGES = 10_000


_HOLDER = ("", -1)  # (originator id, version) of the row that holds a rowid during a cut (see _hold_rowid)


class _Pool(SQLiteConnectionPool):
    def __init__(self, *, db_name: str, lock_timeout: int, synchronous: str, autocheckpoint: int | None):
        super().__init__(db_name=db_name, lock_timeout=lock_timeout)
        self.synchronous = synchronous
        self.autocheckpoint = autocheckpoint

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        conn._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn._sqlite_conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        if self.autocheckpoint is not None:
            conn._sqlite_conn.execute(f"PRAGMA wal_autocheckpoint={int(self.autocheckpoint)}")
        return conn


class NodeSQLiteDatastore(PinnedReads, SQLiteDatastore):
    """The library's datastore with text originator ids, WAL, and a deliberate synchronous setting on every connection.

    Events: synchronous=FULL. In WAL mode NORMAL may lose the last commits on power loss, and losing our
    own published event is not harmless: peers may already hold it, and the next publish would reuse its
    seq and so fork our own log. FULL syncs the WAL at each commit; ingest commits a whole batch at once,
    so the cost is per batch, not per event.
    Read models (`synchronous="NORMAL"`): they are rebuilt from the log, and their tracking row commits with
    them, so a commit lost on power loss is simply projected again. A later FULL commit of events syncs the
    WAL up to and including any earlier read-model frames, so NORMAL never weakens the events' durability.
    """

    def __init__(
        self,
        db_name: str,
        *,
        lock_timeout: int = LOCK_TIMEOUT_S,
        synchronous: str = "FULL",
        autocheckpoint: int | None = None,
    ):
        super().__init__(db_name, lock_timeout=lock_timeout, originator_id_type="text")
        self.pool = _Pool(db_name=db_name, lock_timeout=lock_timeout, synchronous=synchronous, autocheckpoint=autocheckpoint)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        """The library's transaction; within a read scope (node/store/readscope.py) its statements stop when the
        read is past its deadline or stopped: a progress handler on the connection, checked from inside this thread,
        aborts the running statement (no other thread touches the connection, so it cannot hit another read).
        Reads inside `pinned_reads()` share that block's transaction."""
        if not commit and (pinned := self._pinned()) is not None:
            with self._shared(pinned) as curs:
                yield curs
            return
        scope = readscope.current()
        if scope is None:
            with super().transaction(commit=commit) as curs:
                yield curs
            return
        scope.check()
        with self.get_connection(commit=commit) as conn:
            raw = conn._sqlite_conn
            raw.set_progress_handler(scope.progress, readscope.PROGRESS_STEPS)
            try:
                with conn.transaction(commit=commit) as curs:
                    yield curs
            finally:
                raw.set_progress_handler(None, 0)


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class SQLiteLogRecorder(KeyStateTables, LogRecorder, SQLiteApplicationRecorder):
    """SQLiteApplicationRecorder plus the event-id index, log heads, fork proofs and key changes, in the same transactions."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = EVENTS_TABLE):
        super().__init__(datastore, events_table_name)
        t = self.events_table_name
        self._ph, self._keys_name, self._superseded_name, self._events_name = "?", KEYS_TABLE, SUPERSEDED_TABLE, t
        self._heads_name = HEADS_TABLE
        self.upsert_head_tail = (
            "ON CONFLICT (originator_id) DO UPDATE SET seq=excluded.seq, event_id=excluded.event_id, "
            f"timestamp=excluded.timestamp WHERE excluded.seq > {HEADS_TABLE}.seq"
        )
        self.insert_fork_statement = f"INSERT INTO {FORKS_TABLE} VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING"
        self.select_state_by_id_statement = (
            f"SELECT s.state FROM {ID_TABLE} i JOIN {t} s ON s.rowid = i.notification_id WHERE i.event_id = ?"
        )
        self.update_state_statement = f"UPDATE {t} SET state=? WHERE originator_id=? AND originator_version=?"
        self.select_notification_states_statement = f"SELECT rowid, state FROM {t} WHERE rowid > ? ORDER BY rowid LIMIT ?"

    def construct_create_table_statements(self) -> list[str]:
        statements = super().construct_create_table_statements()
        statements += [
            f"CREATE TABLE IF NOT EXISTS {ID_TABLE} (event_id BLOB PRIMARY KEY, notification_id INTEGER NOT NULL) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {HEADS_TABLE} (originator_id TEXT PRIMARY KEY, author BLOB NOT NULL, "
            "seq INTEGER NOT NULL, event_id BLOB NOT NULL, timestamp INTEGER NOT NULL) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {FORKS_TABLE} (originator_id TEXT NOT NULL, seq INTEGER NOT NULL, "
            "id_a BLOB NOT NULL, id_b BLOB NOT NULL, proof BLOB NOT NULL, PRIMARY KEY (id_a, id_b)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {FORKS_TABLE}_originator ON {FORKS_TABLE} (originator_id)",
            f"CREATE INDEX IF NOT EXISTS {HEADS_TABLE}_author ON {HEADS_TABLE} (author, seq, event_id, timestamp)",
            *create_statements(KEYS_TABLE, SUPERSEDED_TABLE, "BLOB", "INTEGER", "TEXT"),
            superseded_index(SUPERSEDED_TABLE, f"{SUPERSEDED_TABLE}_log"),
        ]
        return statements

    def _read(self, statement: str, params: Sequence[Any]) -> list[tuple]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [tuple(r) for r in c.fetchall()]

    def _newest_rowid(self, c: SQLiteCursor) -> int:
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        return c.fetchone()[0] or 0

    def _hold_rowid(self, c: SQLiteCursor, newest: int) -> None:
        """Keep the notification ids of the rows a cut dropped from being given out again in this transaction.

        SQLite gives a new row the largest rowid + 1, so when a rotation drops the newest rows, the rotated branch
        would get their notification ids again; whoever follows the log by id (the frontier index, the external
        watcher) has read those ids already and would never see the new rows. A row held at the old largest rowid
        while the events go in, and deleted before the commit, makes theirs larger; nobody ever reads it.
        """
        if self._newest_rowid(c) < newest:
            c.execute(
                f"INSERT INTO {self.events_table_name} (rowid, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, '', x'')",
                (newest, *_HOLDER),
            )

    def _drop_index_rows(self, c: Any, originator_id: str, seq: int) -> None:
        c.execute(
            f"DELETE FROM {ID_TABLE} WHERE notification_id IN (SELECT rowid FROM {self.events_table_name} "
            "WHERE originator_id = ? AND originator_version >= ?)",
            (originator_id, seq),
        )

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        c.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (INDEX_TABLE,))
        if c.fetchone() is not None:  # a file from before ID_TABLE: move its rows over, in the same transaction
            c.execute(
                f"INSERT OR IGNORE INTO {ID_TABLE} SELECT i.event_id, s.rowid FROM {INDEX_TABLE} i JOIN "
                f"{self.events_table_name} s ON s.originator_id = i.originator_id "
                "AND s.originator_version = i.originator_version"
            )
            c.execute(f"DROP TABLE {INDEX_TABLE}")

    def _insert_events(self, c: SQLiteCursor, stored_events: EventRows, **kwargs: Any) -> Sequence[int] | None:
        newest = self._newest_rowid(c) if kwargs.get("cuts") else None
        self._write_key_rows(c, kwargs)  # a superseded branch goes before the rotated one takes its positions
        if newest is not None:
            self._hold_rowid(c, newest)
        notification_ids = self._insert_event_rows(c, stored_events)
        if newest is not None:
            c.execute(f"DELETE FROM {self.events_table_name} WHERE originator_id = ? AND originator_version = ?", _HOLDER)
        index = kwargs.get("index") or ()
        if index:
            # index[i] is stored_events[i]'s row (LogRecorder); sorted by id, so the B-tree is walked once from left
            # to right instead of hopping between leaves
            rows = sorted(zip([r.event_id for r in index], notification_ids, strict=True))
            insert_rows(c, f"INSERT INTO {ID_TABLE}", 2, rows)
        heads = kwargs.get("heads") or ()
        if heads:
            rows = [(h.originator_id, h.author, h.seq, h.event_id, h.timestamp) for h in heads]
            insert_rows(c, f"INSERT INTO {HEADS_TABLE}", 5, rows, self.upsert_head_tail)
        forks = kwargs.get("forks") or ()
        if forks:
            c.executemany(self.insert_fork_statement, [(f.originator_id, f.seq, f.id_a, f.id_b, f.proof) for f in forks])
        return notification_ids

    def _insert_event_rows(self, c: SQLiteCursor, stored_events: EventRows) -> list[int]:
        """Insert the events' rows (the library's columns) in multi-row statements (node/store/multirow.py); return
        their notification ids (rowids).

        The library's SQLiteApplicationRecorder runs one execute per event to read each `lastrowid` (a quarter of an
        import's writer thread went there). Within this write transaction no one else inserts, and SQLite gives a new
        row the largest rowid + 1, so the batch's rowids run consecutively to the last one inserted; checked against
        the first row's rowid (past the 2**63-1 ceiling SQLite picks rowids at random: then each is read back).
        """
        if not stored_events:
            return []
        rows = stored_events  # (EventRows: tuples in the columns' order)
        insert_rows(c, f"INSERT INTO {self.events_table_name}", 4, rows)
        c.execute(
            f"SELECT last_insert_rowid(), (SELECT rowid FROM {self.events_table_name} WHERE originator_id = ? "
            "AND originator_version = ?)",
            rows[0][:2],
        )
        last, first = c.fetchone()
        if last - first + 1 == len(rows):
            return list(range(first, last + 1))
        statement = f"SELECT rowid FROM {self.events_table_name} WHERE originator_id = ? AND originator_version = ?"
        ids = []
        for row in rows:
            c.execute(statement, row[:2])
            ids.append(c.fetchone()[0])
        return ids

    def select_notification_states(self, after: int, limit: int) -> list[tuple[int, bytes]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_notification_states_statement, (after, limit))
            return [(r[0], r[1]) for r in c.fetchall()]

    def select_heads(self, originator_ids: Sequence[str] | None = None) -> list[HeadRow]:
        rows: list[Any] = []
        with self.datastore.transaction(commit=False) as c:
            if originator_ids is None:
                c.execute(f"SELECT * FROM {HEADS_TABLE} ORDER BY originator_id")
                rows = c.fetchall()
            else:
                for chunk in _chunks(list(originator_ids)):
                    c.execute(f"SELECT * FROM {HEADS_TABLE} WHERE originator_id IN ({','.join('?' * len(chunk))})", chunk)
                    rows += c.fetchall()
        return [HeadRow(r["originator_id"], r["author"], r["seq"], r["event_id"], r["timestamp"]) for r in rows]

    def select_heads_after(self, after: str, limit: int) -> list[HeadRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {HEADS_TABLE} WHERE originator_id > ? ORDER BY originator_id LIMIT ?", (after, limit))
            rows = c.fetchall()
        return [HeadRow(r["originator_id"], r["author"], r["seq"], r["event_id"], r["timestamp"]) for r in rows]

    def select_head_range(self, lo: bytes, hi: bytes | None, limit: int) -> list[HeadRow]:
        upper, params = ("", (lo, limit)) if hi is None else (" AND author < ?", (lo, hi, limit))
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id, author, seq, event_id, timestamp FROM {HEADS_TABLE} INDEXED BY {HEADS_TABLE}_author "
                f"WHERE author >= ?{upper} ORDER BY author LIMIT ?",
                params,
            )
            return [HeadRow(r[0], r[1], r[2], r[3], r[4]) for r in c.fetchall()]

    def select_known_ids(self, event_ids: Sequence[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(list(event_ids)):
                c.execute(f"SELECT event_id FROM {ID_TABLE} WHERE event_id IN ({','.join('?' * len(chunk))})", chunk)
                found.update(r[0] for r in c.fetchall())
        return found

    def select_ids_between(self, lo: bytes, hi: bytes, limit: int) -> list[bytes]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT event_id FROM {ID_TABLE} WHERE event_id BETWEEN ? AND ? ORDER BY event_id LIMIT ?", (lo, hi, limit)
            )
            return [bytes(r[0]) for r in c.fetchall()]

    def select_state_by_id(self, event_id: bytes) -> bytes | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_state_by_id_statement, (event_id,))
            row = c.fetchone()
        return None if row is None else row[0]

    def update_state(self, originator_id: str, originator_version: int, state: bytes) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.update_state_statement, (state, originator_id, originator_version))
            return c.sqlite_cursor.rowcount == 1

    def select_fork_rows(self, originator_id: str | None = None) -> list[ForkRow]:
        with self.datastore.transaction(commit=False) as c:
            if originator_id is None:
                c.execute(f"SELECT * FROM {FORKS_TABLE} ORDER BY originator_id, seq, id_a, id_b")
            else:
                c.execute(f"SELECT * FROM {FORKS_TABLE} WHERE originator_id=? ORDER BY seq, id_a, id_b", (originator_id,))
            rows = c.fetchall()
        return [ForkRow(r["originator_id"], r["seq"], r["id_a"], r["id_b"], r["proof"]) for r in rows]

    def select_forked_among(self, originator_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(list(originator_ids)):
                marks = ",".join("?" * len(chunk))
                c.execute(f"SELECT DISTINCT originator_id FROM {FORKS_TABLE} WHERE originator_id IN ({marks})", chunk)
                found.update(r[0] for r in c.fetchall())
        return found

    def select_totals(self) -> tuple[int, int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COUNT(*), COALESCE(SUM(seq), 0), (SELECT COUNT(*) FROM {FORKS_TABLE}) FROM {HEADS_TABLE}")
            logs, events, proofs = c.fetchone()
        return int(logs), int(events), int(proofs)

    def select_forked_originators(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT originator_id FROM {FORKS_TABLE} ORDER BY originator_id")
            return [r[0] for r in c.fetchall()]


class SQLiteEventStore(EventStore):
    """The event store in one SQLite file (WAL); safe for several processes on the same file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.datastore = NodeSQLiteDatastore(str(self.path))
        self.views_datastore = NodeSQLiteDatastore(
            str(self.path), synchronous="NORMAL", autocheckpoint=VIEWS_WAL_AUTOCHECKPOINT_PAGES
        )
        recorder = SQLiteLogRecorder(self.datastore)
        with self._translated("creating the event tables"):
            recorder.create_table()
        super().__init__(recorder)

    def view_store(self, name: str = "views") -> ViewStore:
        """Return the read-model store `name` in this store's database (tables created if missing)."""
        recorder = SQLiteViewRecorder(self.views_datastore, name)
        with self._translated("creating the read-model tables"):
            recorder.create_table()
        return ViewStore(recorder, name)

    def close(self) -> None:
        self.views_datastore.close()
        self.datastore.close()
