"""The notifications' tables on SQLite: in the data dir's store file, beside the events and the members."""

from __future__ import annotations

from pathlib import Path

from node.store import EventStore, open_store

from .store_suite import NotifySuite


class TestSQLiteNotify(NotifySuite):
    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path / "data", database_url="")
