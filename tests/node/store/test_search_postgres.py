"""The search suite on PostgreSQL (tsvector, GIN): a schema unique to the test; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.store import EventStore, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .search_suite import SearchSuite

pytestmark = NEEDS_POSTGRES


class TestPostgresSearch(SearchSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_search") as self.schema_name:
            yield self.schema_name

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)
