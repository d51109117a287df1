"""The replica contract on protocol.MemoryReplica."""

from __future__ import annotations

import contextlib

from replica_suite import ReplicaSuite

from protocol import MemoryReplica


class TestMemoryReplica(ReplicaSuite):
    @contextlib.asynccontextmanager
    async def open_replica(self, tmp_path):
        yield MemoryReplica()
