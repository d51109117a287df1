"""The notifications' tables on PostgreSQL, in the store's schema; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.store import EventStore, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .store_suite import NotifySuite

pytestmark = NEEDS_POSTGRES


class TestPostgresNotify(NotifySuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_notify") as self.schema_name:
            yield self.schema_name

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)
