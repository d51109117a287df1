"""The accounts suite on SQLite: the tables sit in the data dir's store file, beside the events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from node.members import Scope
from node.store import EventStore, open_store
from node.store.sqlite import DB_FILENAME

from .suite import AccountsSuite


class TestSQLiteAccounts(AccountsSuite):
    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path / "data", database_url="")

    def test_the_tables_are_in_the_store_file_and_hold_no_secret(self, accounts, tmp_path: Path):
        member, secret = accounts.invite("Orla", "organiser")
        accounts.accept(secret, "a good password")
        _, key = accounts.add_token(member.id, frozenset({Scope.READ}), "bot")
        raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob(f"{DB_FILENAME}*"))
        assert b"bot" in raw  # (the file is read whole: what is absent below is truly not stored)
        assert secret.encode() not in raw and b"a good password" not in raw and key.encode() not in raw
        with sqlite3.connect(tmp_path / "data" / DB_FILENAME) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"members", "member_links", "member_tokens", "event_actors"} <= tables
