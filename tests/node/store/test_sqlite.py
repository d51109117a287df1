"""The store suite on SQLite: a real file in a temporary data dir."""

from __future__ import annotations

import sqlite3
import stat
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


def test_store_files_are_readable_by_their_owner_only(tmp_path: Path):
    # the group's log is not world-readable (issue 13, item 6): the database and its -wal/-shm files are 0600
    from events import Identity

    directory = tmp_path / "new" / "data"
    store = open_store(directory)
    try:
        store.append_own(Identity.generate(), "report.published", b"\x80", 1_700_000_000_000)
        files = sorted(directory.glob(DB_FILENAME + "*"))
        assert {p.name for p in files} >= {DB_FILENAME, DB_FILENAME + "-wal"}
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [oct(p.stat().st_mode) for p in files]
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    finally:
        store.close()
