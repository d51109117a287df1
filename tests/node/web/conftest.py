"""Fixtures of the web-page tests: a real node (SQLite file in a temp dir) behind the real app."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.app import create_app
from node.datadir import DataDir
from node.http_errors import UNEXPECTED
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from node.web import setup_web

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Node:
    """A node under test: its service, data dir and the API token `init` printed."""

    service: NodeService
    data: DataDir
    token: str

    async def count(self) -> int:
        """Return how many events the node's own group has published."""
        return (await self.service.info())["own_events"]


def make_node(path: Path, name: str) -> Node:
    """Return a fresh node called `name` in `path`, with its first profile not yet published."""
    data = DataDir.at(path)
    identity, token = data.init(name)
    service = NodeService(
        store=open_store(data.path), identity=identity, settings=data.settings(), data_dir=data, own_head=OwnHead(only_copy=True)
    )
    return Node(service, data, token)


@pytest.fixture
async def node(tmp_path: Path):
    n = make_node(tmp_path / "a", "Leith Tenants")
    await n.service.publish("group.profile", {"name": "Leith Tenants", "area": "Leith, Edinburgh"})
    yield n


@pytest.fixture
async def client(node: Node, aiohttp_client):
    app = create_app(node.service, extras=[setup_web])
    cl = await aiohttp_client(app)
    yield cl
    assert app[UNEXPECTED] == []


def csrf_of(html: str) -> str:
    """Return the CSRF token of the first form in a page."""
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def login(client: TestClient, secret: str) -> str:
    """Log in through the login form; return the CSRF token of the logged-in session."""
    page = await client.get("/login")
    resp = await client.post("/login", data={"csrf": csrf_of(await page.text()), "secret": secret, "next": "/"})
    assert resp.status == 200, await resp.text()  # the client follows the 303 to the feed
    return csrf_of(await (await client.get("/publish")).text())
