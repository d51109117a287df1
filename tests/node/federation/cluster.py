"""Real nodes in one process: each an aiohttp server on a loopback socket with its own SQLite data dir."""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from events import Event
from node.app import create_app
from node.datadir import DataDir
from node.federation import FEDERATION, Federation, FederationConfig, federation_setup
from node.federation.scheduler import HEALTH_FILE
from node.http_errors import UNEXPECTED
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from node.web import setup_web


def bind_loopback(port: int = 0) -> socket.socket:
    """Return a listening TCP socket on 127.0.0.1 (port 0: any free one).

    It listens at once: a peer that connects while this node is still starting waits in the backlog until the
    server accepts, instead of being refused and backed off (a race the nodes of one cluster would otherwise run).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


class Node:
    """One node: data dir, service, app, server; can be stopped and started again on the same port and data."""

    def __init__(self, path: Path, name: str, index: int, config: dict[str, Any]):
        self.path = path
        self.name = name
        self.index = index
        self.config = config
        self.data = DataDir.at(path)
        _, self.token = self.data.init(name)
        self.sock = bind_loopback()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.peers: list[str] = []
        self.public_url: str | None = None  # the URL it gives peers, when not its own socket's (e.g. a TcpRelay's)
        self.runner: web.AppRunner | None = None
        self.service: NodeService | None = None
        self.app: web.Application | None = None
        self.failures: list[Any] = []
        self.only_copy = True  # False: start as `solnet serve` does, publishing only once a peer confirmed our head
        self.extras: list[Any] = []  # more app setups (the web page, the mailer), made afresh at each start
        self.web = False  # True: serve the web page too

    @property
    def federation(self) -> Federation:
        assert self.app is not None, f"{self.name} is not running"
        return self.app[FEDERATION]  # type: ignore[return-value]

    @property
    def running(self) -> bool:
        return self.runner is not None

    async def start(self) -> None:
        """Open the store and serve (federation on) at this node's URL."""
        if self.sock is None:
            self.sock = bind_loopback(self.port)
        data = self.data
        self.service = NodeService(
            store=open_store(data.path),
            identity=data.load_identity(),
            settings=data.settings(),
            data_dir=data,
            own_head=OwnHead(only_copy=self.only_copy),
        )
        config = FederationConfig(
            own_url=self.public_url or self.url,
            peers=tuple(self.peers),
            seed=self.index,
            health_file=self.path / HEALTH_FILE,
            **self.config,
        )
        extras = [federation_setup(config), *([setup_web] if self.web else []), *(make() for make in self.extras)]
        self.app = create_app(self.service, extras=extras)
        if self.only_copy and await self.service.astore.head(self.service.identity.public_key) is None:
            await self.service.publish("group.profile", {"name": self.name})  # as `solnet init` does
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    async def stop(self) -> None:
        """Stop serving and close the store (the port is kept for a restart)."""
        if self.runner is None:
            return
        assert self.app is not None
        self.failures += list(self.app[UNEXPECTED]) + list(self.federation.counters.errors)
        await self.runner.cleanup()
        self.runner = None
        self.sock = None

    async def publish(self, kind: str, fields: dict[str, Any]) -> Event:
        assert self.service is not None
        return await self.service.publish(kind, fields)

    async def heads(self) -> dict[bytes, Any]:
        assert self.service is not None
        return {a: (h.seq, h.id) for a, h in (await self.service.astore.heads()).items()}

    def check(self) -> None:
        """Fail if a handler or a gossip task raised."""
        if self.app is not None:
            self.failures += list(self.app[UNEXPECTED]) + list(self.federation.counters.errors)
            self.app[UNEXPECTED].clear()
            self.federation.counters.errors.clear()
        assert not self.failures, f"{self.name}: {self.failures!r}"


class Cluster:
    """N real nodes; `link` wires peers; `wait_until` / `wait_quiet` await conditions with a timeout."""

    def __init__(self, root: Path, **config: Any):
        self.root = root
        # Every node here is on loopback: learnt peer URLs name 127.0.0.1, so private ranges are allowed explicitly
        # (an attack test turns it off for the node under attack).
        self.config = {"interval": 0.3, "allow_private_peers": True, **config}
        self.nodes: list[Node] = []

    def add(self, name: str | None = None, **config: Any) -> Node:
        index = len(self.nodes)
        node = Node(self.root / f"node{index}", name or f"Group {index}", index, {**self.config, **config})
        self.nodes.append(node)
        return node

    def link(self, i: int, j: int) -> None:
        """Make nodes i and j peers of each other (before they start)."""
        self.nodes[i].peers.append(self.nodes[j].url)
        self.nodes[j].peers.append(self.nodes[i].url)

    async def start(self, *indices: int) -> None:
        await asyncio.gather(*(self.nodes[i].start() for i in (indices or range(len(self.nodes)))))

    async def stop(self) -> None:
        for node in self.nodes:
            await node.stop()

    def running(self) -> list[Node]:
        return [n for n in self.nodes if n.running]

    async def wait_until(self, condition, timeout: float = 20.0, what: str = "condition") -> None:
        """Poll an async or plain condition every 20 ms until it holds; fail after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for node in self.running():
                node.check()
            value = condition()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"{what} not reached after {timeout}s")
            await asyncio.sleep(0.02)

    async def same_heads(self, nodes: list[Node] | None = None) -> bool:
        nodes = nodes or self.running()
        heads = [await n.heads() for n in nodes]
        return all(h == heads[0] for h in heads)

    async def wait_quiet(self, nodes: list[Node] | None = None, timeout: float = 20.0, *, same: bool = True) -> None:
        """Wait until the nodes hold the same heads (unless not `same`: forks) and none has sync work under way, twice."""
        streak = 0

        async def quiet() -> bool:
            nonlocal streak
            idle = not any(n.federation.busy for n in (nodes or self.running()))
            streak = streak + 1 if idle and (not same or await self.same_heads(nodes)) else 0
            return streak >= 2

        await self.wait_until(quiet, timeout, "quiet network with equal frontiers")

    async def has_group(self, node: Node, other: Node) -> bool:
        """True iff `node` stores some of `other`'s own group log."""
        assert node.service is not None and other.service is not None
        return await node.service.astore.head(other.service.identity.public_key) is not None

    async def has_event(self, node: Node, event_id: bytes) -> bool:
        assert node.service is not None
        return await node.service.astore.get(event_id) is not None


class TcpRelay:
    """A TCP relay on loopback in front of one node's port: `cut` drops its connections and refuses new ones.

    Both nodes keep running while the link is cut, so a partition looks to each side exactly like a
    network failure: connections reset, requests fail, the PeerBook backs off.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.open = True
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        """Drop every connection through the relay and refuse new ones until `heal`."""
        self.open = False
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def heal(self) -> None:
        self.open = True

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while self.open and (data := await src.read(1 << 16)):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                if self.open:
                    dst.close()
                else:
                    dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
        self._writers.difference_update((writer, up_writer))


def random_connected(size: int, degree: int, rng: random.Random) -> set[tuple[int, int]]:
    """Return edges of a random connected graph: a random spanning tree plus extra edges up to ~degree per node."""
    order = list(range(size))
    rng.shuffle(order)
    edges = {tuple(sorted((order[i], order[rng.randrange(i)]))) for i in range(1, size)}
    while len(edges) < size * degree // 2:
        a, b = rng.sample(range(size), 2)
        edges.add(tuple(sorted((a, b))))
    return edges  # type: ignore[return-value]


def with_settings_peers(data: DataDir, peers: list[str]) -> None:
    data.save(replace(data.settings(), peers=tuple(peers)))
