"""Multi-row SQLite inserts: as many rows per statement as SQLite binds, all rows in order, the tail applied."""

from __future__ import annotations

import sqlite3

from node.store.multirow import MAX_ROWS, insert_rows


def _table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    return conn


def test_rows_go_in_chunks_within_the_parameter_limit():
    conn = _table()
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 7)  # 3 rows of 2 values per statement
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn.cursor(), "INSERT INTO t", 2, [(i, f"v{i}") for i in range(10)])
    assert conn.execute("SELECT k, v FROM t ORDER BY rowid").fetchall() == [(i, f"v{i}") for i in range(10)]
    assert [s.count("(") for s in statements if s.startswith("INSERT")] == [3, 3, 3, 1]


def test_the_tail_applies_to_every_row_and_nothing_runs_for_no_rows():
    conn = _table()
    insert_rows(conn.cursor(), "INSERT INTO t", 2, [(1, "a"), (2, "b")])
    upsert = "ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE excluded.v > t.v"
    insert_rows(conn.cursor(), "INSERT INTO t", 2, [(1, "z"), (2, "0"), (3, "c")], upsert)
    insert_rows(conn.cursor(), "INSERT INTO t", 2, [])
    assert conn.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [(1, "z"), (2, "b"), (3, "c")]


def test_a_high_limit_is_capped_at_max_rows():
    conn = _table()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn.cursor(), "INSERT INTO t", 2, [(i, "x") for i in range(MAX_ROWS + 1)])
    assert len([s for s in statements if s.startswith("INSERT")]) == 2
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (MAX_ROWS + 1,)
