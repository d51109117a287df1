"""The replica contract on the node's replica over SQLite."""

from __future__ import annotations

from node.store import open_store

from .replica_backends import NodeReplicaSuite


class TestSQLiteReplica(NodeReplicaSuite):
    def open_store(self, path):
        return open_store(path)
