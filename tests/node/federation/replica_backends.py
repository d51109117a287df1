"""The replica contract on the node's replica (NodeReplica over a NodeService and its store), per backend."""

from __future__ import annotations

import contextlib

from node.datadir import DataDir
from node.federation.replica import NodeReplica
from node.own_head import OwnHead
from node.service import NodeService
from tests.protocol.replica_suite import ReplicaSuite

from ..conftest import Clock


class NodeReplicaSuite(ReplicaSuite):
    """ReplicaSuite on a NodeReplica; a subclass overrides `open_store`."""

    def open_store(self, path):
        raise NotImplementedError

    @contextlib.asynccontextmanager
    async def open_replica(self, tmp_path):
        data = DataDir.at(tmp_path / "node")
        identity, _token = data.init("Replica suite")
        service = NodeService(
            store=self.open_store(data.path),
            identity=identity,
            settings=data.settings(),
            data_dir=data,
            clock=Clock(),
            own_head=OwnHead(only_copy=True),
        )
        try:
            yield NodeReplica(service)
        finally:
            await service.close()
