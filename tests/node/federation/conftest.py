"""The `cluster` fixture: real nodes on loopback, stopped (and checked for handler failures) at the end."""

from __future__ import annotations

import pytest

from .cluster import Cluster


@pytest.fixture
async def cluster(tmp_path):
    """A Cluster of real nodes in temp dirs; add nodes, link them, start them; everything is stopped afterwards."""
    made = Cluster(tmp_path)
    try:
        yield made
    finally:
        await made.stop()
    for node in made.nodes:
        node.check()
