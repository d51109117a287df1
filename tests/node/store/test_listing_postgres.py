"""The listing suite on PostgreSQL: a schema unique to the test; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.store import EventStore, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .listing_suite import ListingSuite

pytestmark = NEEDS_POSTGRES


class TestPostgresListing(ListingSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_listing") as self.schema_name:
            yield self.schema_name

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)
