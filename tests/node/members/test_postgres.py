"""The accounts suite on PostgreSQL: the tables sit in the store's schema; skipped without a server URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.store import EventStore, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .suite import AccountsSuite

pytestmark = NEEDS_POSTGRES


class TestPostgresAccounts(AccountsSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_accounts") as self.schema_name:
            yield self.schema_name

    def open_store(self, tmp_path: Path) -> EventStore:
        return open_store(tmp_path, database_url=URL, schema=self.schema_name)
