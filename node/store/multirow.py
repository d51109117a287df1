"""SQLite inserts of many rows as a few multi-row statements, not one step per row.

Python's sqlite3 releases the GIL around every step of a statement, so `executemany` gives it up and takes it
back once per row. Alone that is cheap, but while another thread of the process runs Python (the import decides
its next batch while the writer thread writes this one, node/commands/bundles.py) taking it back waits up to the
interpreter's switch interval (5 ms) each time: 20,000 rows took 76 s instead of 0.1 s beside a busy thread
(measured; docs/BENCHMARKS.md). One `INSERT ... VALUES (...), (...), ...` of thousands of rows is one step,
which runs without the GIL for its whole length, beside the other thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any

MAX_ROWS = 8_000
"""Rows per statement at most (fewer if SQLite's bound-parameter limit is lower than MAX_ROWS x the row's width)."""


def insert_rows(cursor: Any, head: str, width: int, rows: Sequence[tuple], tail: str = "") -> None:
    """Run `{head} VALUES (?, ...), (?, ...) ... {tail}` over `rows` (each `width` values), in as few statements as
    SQLite binds at once. `cursor` is the library's SQLiteCursor (or a sqlite3 cursor)."""
    if not rows:
        return
    raw: sqlite3.Cursor = getattr(cursor, "sqlite_cursor", cursor)
    limit = raw.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    step = max(1, min(MAX_ROWS, limit // width))
    group = "(" + ",".join("?" * width) + ")"
    for start in range(0, len(rows), step):
        chunk = rows[start : start + step]
        statement = f"{head} VALUES {','.join([group] * len(chunk))} {tail}"
        raw.execute(statement, list(chain.from_iterable(chunk)))
