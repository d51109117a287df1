"""The replica contract on the node's replica over PostgreSQL: a schema per test; skipped without a server URL."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from psycopg import sql

from node.store import open_store

from .replica_backends import NodeReplicaSuite

URL = os.environ.get("SOLNET_TEST_DATABASE_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="SOLNET_TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)"),
]


class TestPostgresReplica(NodeReplicaSuite):
    @pytest.fixture(autouse=True)
    def schema(self):
        self.schema_name = f"solnet_replica_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        yield self.schema_name
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema_name)))

    def open_store(self, path):
        return open_store(path, database_url=URL, schema=self.schema_name)
