"""The store suite on SQLite: a real file in a temporary data dir."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from node.errors import StoreConfigError
from node.store import EventStore, open_store
from node.store.sqlite import DB_FILENAME

from .suite import StoreSuite


class TestSQLiteStore(StoreSuite):
    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path / "data", database_url="")

    def spec(self, tmp_path: Path) -> dict[str, Any]:
        return {"data_dir": str(tmp_path / "data"), "url": ""}


def test_sqlite_file_is_wal_with_full_sync(tmp_path: Path):
    store = open_store(tmp_path, database_url="")
    try:
        assert (tmp_path / DB_FILENAME).exists()
        with store.datastore.transaction(commit=False) as c:
            c.execute("PRAGMA synchronous")
            assert c.fetchone()[0] == 2  # FULL
        raw = sqlite3.connect(tmp_path / DB_FILENAME)
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        raw.close()
    finally:
        store.close()


def test_unusable_data_dir_or_url_is_a_config_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreConfigError):
        open_store(blocker / "data", database_url="")
    with pytest.raises(StoreConfigError):
        open_store(tmp_path, database_url="mysql://db/x")
