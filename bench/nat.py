"""NAT case of bench/sync.py: one reachable node, 8 outbound-only nodes subscribed to it (docs/PROTOCOL.md §16).

All nodes are real aiohttp servers with SQLite files in this process; the outbound-only ones claim no URL and
reach the hub only by their subscription. Anti-entropy runs every 10 minutes, so only pushes and announcements
over the subscriptions count. A callout is published at the hub `rounds` times; each time, the seconds until all
8 hold it. Then one callout from an outbound-only node to the hub. Returns the medians.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo's `events`, not bench/events.py

from aiohttp import web

from node.app import create_app
from node.datadir import DataDir
from node.federation import FEDERATION, FederationConfig, federation_setup
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from protocol.subscription import subscriber_address

INTERVAL = 600.0
CALLOUT = {"title": "Bodies at the door", "text": "7am", "needs": ["people"]}


class NatNode:
    """One in-process node; `subscribe` makes it outbound-only (no URL claimed, a subscription to each URL)."""

    def __init__(self, path: Path, name: str):
        self.data = DataDir.at(path)
        self.data.init(name)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.name = name
        self.peers: list[str] = []
        self.subscribe: tuple[str, ...] = ()

    @property
    def group(self) -> bytes:
        return self.data.load_identity().public_key

    async def start(self) -> None:
        self.service = NodeService(
            store=open_store(self.data.path),
            identity=self.data.load_identity(),
            settings=self.data.settings(),
            data_dir=self.data,
            own_head=OwnHead(only_copy=True),
        )
        await self.service.publish("group.profile", {"name": self.name})
        config = FederationConfig(
            own_url=self.url,
            peers=tuple(self.peers),
            subscribe=self.subscribe,
            reachable=not self.subscribe,
            interval=INTERVAL,
            peer_exchange=False,
        )
        self.app = create_app(self.service, extras=[federation_setup(config)])
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    async def holds(self, event_id: bytes) -> bool:
        return await self.service.astore.get(event_id) is not None


async def _until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} not within {timeout} s")
        await asyncio.sleep(0.002)


async def nat_propagation(root: Path, homes: int = 8, rounds: int = 5) -> dict:
    """Return the median seconds for a hub's callout to reach `homes` subscribed nodes, and for one home's to reach the hub."""
    hub = NatNode(root / "nat-hub", "Hub")
    others = [NatNode(root / f"nat-home-{i}", f"Home {i}") for i in range(homes)]
    for home in others:
        home.subscribe = (hub.url,)
        hub.peers.append(subscriber_address(home.group))  # the hub accepted them (as an invitation does)
    await asyncio.gather(hub.start(), *(h.start() for h in others))
    federation = hub.app[FEDERATION]
    try:

        async def settled() -> bool:
            heads = [len(await n.service.astore.heads()) for n in (hub, *others)]
            busy = any(n.app[FEDERATION].busy for n in (hub, *others))
            return len(federation.subscriptions.served) == homes and min(heads) == homes + 1 and not busy

        await _until(settled, 60, "subscriptions and their resume syncs")
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            event = await hub.service.publish("callout.published", CALLOUT)

            async def everywhere(event_id: bytes = event.id) -> bool:
                return all([await h.holds(event_id) for h in others])

            await _until(everywhere, 30, "the hub's callout at every home")
            times.append(time.perf_counter() - start)
            await _until(lambda: _quiet(hub, others), 30, "quiet")
        start = time.perf_counter()
        event = await others[0].service.publish("callout.published", CALLOUT)
        await _until(lambda: hub.holds(event.id), 30, "a home's callout at the hub")
        upward = time.perf_counter() - start
    finally:
        for node in (*others, hub):
            await node.runner.cleanup()
    return {"nat_propagation_s": statistics.median(times), "nat_propagation_max_s": max(times), "nat_upward_s": upward}


async def _quiet(hub: NatNode, others: list[NatNode]) -> bool:
    return not any(n.app[FEDERATION].busy for n in (hub, *others))
