"""Fixtures for node tests: real nodes on SQLite files in temp dirs, served on loopback sockets."""

from __future__ import annotations

import pytest

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
