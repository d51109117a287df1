"""Each author's events in seq order, whatever order the source holds them in (docs/PROTOCOL.md §10).

An auditor takes each author's events in ascending seq order, events at one seq in source order. Streaming gives
that order whenever the source already has it (every export does); for a source that does not, the engine audits
the partition again and feeds it from this sorter: a throwaway SQLite file of the partition's events keyed by
(author, seq, item index), read back in key order. Disk, not memory, grows with the source.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from events import Event
from events.event import event_from_parts

_SCHEMA = """
CREATE TABLE events (author BLOB NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL,
                     header BLOB NOT NULL, signature BLOB NOT NULL, payload BLOB,
                     PRIMARY KEY (author, seq, idx)) WITHOUT ROWID;
"""


class EventSorter:
    """Collects (item index, event) pairs; `events()` yields them by (author, seq, index)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")

    def add(self, index: int, event: Event) -> None:
        """Keep `event`, the item at `index` of the source."""
        self._db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (event.header.author, event.header.seq, index, event.header_bytes, event.signature, event.payload),
        )

    def events(self) -> Iterator[tuple[int, Event]]:
        """Yield every event kept, with its item index, by (author, seq, index)."""
        sql = "SELECT idx, header, signature, payload FROM events ORDER BY author, seq, idx"
        for index, header, signature, payload in self._db.execute(sql):
            yield index, event_from_parts(header, signature, payload)

    def close(self) -> None:
        """Close and delete the file."""
        self._db.close()
        self.path.unlink(missing_ok=True)
