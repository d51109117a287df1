"""The replica contract on the node's replica over PostgreSQL: a schema per test; skipped without a server URL."""

from __future__ import annotations

import pytest

from node.store import open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .replica_backends import NodeReplicaSuite

pytestmark = NEEDS_POSTGRES


class TestPostgresReplica(NodeReplicaSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        with fresh_schema("solnet_replica") as self.schema_name:
            yield self.schema_name

    def open_store(self, path):
        return open_store(path, database_url=URL, schema=self.schema_name)
