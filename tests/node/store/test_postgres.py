"""The store suite on PostgreSQL: a schema unique to the test, dropped afterwards; skipped without a server URL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from node.store import EventStore, open_store

from .suite import StoreSuite

URL = os.environ.get("SOLNET_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="SOLNET_TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"),
]


class TestPostgresStore(StoreSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        self.schema_name = f"solnet_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        yield self.schema_name
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema_name)))

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)

    def spec(self, tmp_path: Path) -> dict[str, Any]:
        return {"data_dir": str(tmp_path), "url": URL, "schema": self.schema_name}

    def test_originator_id_column_is_text(self, store: EventStore):
        with psycopg.connect(URL) as conn:
            row = conn.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = 'stored_events' "
                "AND column_name = 'originator_id'",
                (self.schema_name,),
            ).fetchone()
        assert row == ("text",)
