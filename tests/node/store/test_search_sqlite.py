"""The search suite on SQLite (FTS5)."""

from __future__ import annotations

from pathlib import Path

from node.store import EventStore, open_store

from .search_suite import SearchSuite


class TestSQLiteSearch(SearchSuite):
    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path)
