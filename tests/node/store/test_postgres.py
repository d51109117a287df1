"""The store suite on PostgreSQL: a schema unique to the test, dropped afterwards; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from node.store import EventStore, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .suite import StoreSuite

pytestmark = NEEDS_POSTGRES


class TestPostgresStore(StoreSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_test") as self.schema_name:
            yield self.schema_name

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
