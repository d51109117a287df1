"""Fixtures for node tests: real nodes on SQLite files in temp dirs, served on loopback sockets."""

from __future__ import annotations

import pytest

from events import Event, create_event_from_value
from events.kinds import build_value
from node.app import create_app
from node.datadir import DataDir
from node.http_errors import UNEXPECTED
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store


class Clock:
    """A settable clock in ms, so timestamps in tests are known."""

    def __init__(self, start: int = 1_760_000_000_000):
        self.now = start

    def __call__(self) -> int:
        self.now += 1000
        return self.now


def make_service(path, name: str = "Test group") -> tuple[NodeService, str]:
    """Return a NodeService over a fresh data dir at `path`, and its API token."""
    data = DataDir.at(path)
    identity, token = data.init(name)
    service = NodeService(
        store=open_store(data.path),
        identity=identity,
        settings=data.settings(),
        data_dir=data,
        clock=Clock(),
        own_head=OwnHead(only_copy=True),
    )
    return service, token


@pytest.fixture
def node_factory(tmp_path):
    """Make NodeServices in separate data dirs."""
    made = []

    def make(name: str = "Test group") -> tuple[NodeService, str]:
        service, token = make_service(tmp_path / f"node{len(made)}", name)
        made.append(service)
        return service, token

    return make


@pytest.fixture
async def api(aiohttp_client, node_factory):
    """A served node and a client for it; fails the test if any handler raised unexpectedly."""
    service, token = node_factory("Elm Street Tenants")
    app = create_app(service)
    client = await aiohttp_client(app)
    client.token = token
    client.service = service
    client.auth = {"Authorization": f"Bearer {token}"}
    yield client
    assert app[UNEXPECTED] == [], f"handler raised: {app[UNEXPECTED]!r}"


async def publish_as(service: NodeService, identity, kind: str, fields: dict) -> Event:
    """Sign an event of another group (`identity`) and store it at `service` as if a peer had sent it; return it.

    A node's own pledges must answer other groups' callouts (node/references.py), so tests that pledge make the
    callout another group's this way. The other group's profile (named "Other group") comes first."""
    head = await service.astore.head(identity.public_key)
    if head is None:
        profile = create_event_from_value(
            identity,
            kind="group.profile",
            value=build_value("group.profile", {"name": "Other group"}),
            timestamp=1,
            previous=None,
        )
        await service.ingest([profile])
        head = await service.astore.head(identity.public_key)
    [previous] = await service.astore.read_log(identity.public_key, head.seq, 1)
    event = create_event_from_value(
        identity, kind=kind, value=build_value(kind, fields), timestamp=previous.header.timestamp + 1, previous=previous
    )
    result = await service.ingest([event])
    assert not result.rejected, result
    return event


@pytest.fixture
async def cluster(tmp_path):
    """A Cluster of real nodes in temp dirs; add nodes, link them, start them; everything is stopped afterwards."""
    from .federation.cluster import Cluster

    made = Cluster(tmp_path)
    try:
        yield made
    finally:
        await made.stop()
    for node in made.nodes:
        node.check()
