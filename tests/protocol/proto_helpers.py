"""Shared builders for protocol tests: deterministic identities and logs, clusters on a MemoryNetwork."""

from __future__ import annotations

import random
from dataclasses import replace

from events import Event, Identity, create_event_from_value
from events.event import signing_message
from protocol import Gossip, MemoryNetwork, MemoryReplica, PeerBook, ReplicationPolicy, SyncAgent


def identity(n: int) -> Identity:
    """Return the deterministic identity number `n`."""
    return Identity.from_seed(bytes([n]) * 32)


def make_log(ident: Identity, count: int, *, start: Event | None = None, kind: str = "callout", tag: str = "") -> list[Event]:
    """Return `count` signed events of `ident` continuing after `start`."""
    events: list[Event] = []
    previous = start
    for i in range(count):
        seq = 1 if previous is None else previous.seq + 1
        event = create_event_from_value(
            ident, kind=kind, value={"title": f"{tag}event {seq}", "n": i}, timestamp=1_700_000_000_000 + seq, previous=previous
        )
        events.append(event)
        previous = event
    return events


def unsign(event: Event) -> Event:
    """Return the event with a signature that does not verify (right length, wrong bytes)."""
    return replace(event, signature=bytes(64))


def resign_wrong(event: Event, other: Identity) -> Event:
    """Return the event signed by someone else (a forgery)."""
    return replace(event, signature=other.sign(signing_message(event.header_bytes)))


class Cluster:
    """N agents on one MemoryNetwork with MemoryReplicas; `links` gives each its neighbours."""

    def __init__(
        self, size: int, links: dict[int, set[int]], *, seed: int = 1, fanout: int = 3, announce: bool = True, policies=None
    ):
        self.network = MemoryNetwork(seed=seed)
        self.identities = [identity(100 + i) for i in range(size)]
        self.replicas = [MemoryReplica() for _ in range(size)]
        self.agents: list[SyncAgent] = []
        self.clock_now = 0.0
        for i in range(size):
            address = self.addr(i)
            transport = self.network.transport(address)
            book = PeerBook(own_url=address, rng=random.Random(seed * 1000 + i))
            for j in sorted(links.get(i, ())):
                book.add(self.addr(j))
            policy = (policies or {}).get(i) or ReplicationPolicy.everyone(own=self.identities[i].public_key)
            self.agents.append(
                SyncAgent(
                    transport,
                    self.replicas[i],
                    self.identities[i].public_key,
                    policy=policy,
                    book=book,
                    gossip=Gossip(fanout=fanout, rng=random.Random(seed * 7919 + i)),
                    clock=lambda: self.clock_now,
                    announce=announce,
                    on_error=self.network.failures.append,
                )
            )

    @staticmethod
    def addr(i: int) -> str:
        return f"http://node{i}.test"

    async def publish(self, i: int, events: list[Event]) -> None:
        """Store local events at node i and push them."""
        result = await self.replicas[i].ingest(events)
        assert len(result.stored) == len(events)
        await self.agents[i].publish(events)

    async def sync_round(self) -> None:
        """Every node syncs with each of its neighbours once."""
        for agent in self.agents:
            for peer in agent.book.urls():
                await agent.sync_with(peer, greet=True)  # greeted: the hello agrees on protocol 2
        await self.network.deliver_messages()

    async def frontiers(self) -> list:
        return [await agent.frontier() for agent in self.agents]


def random_topology(size: int, degree: int, seed: int) -> dict[int, set[int]]:
    """Return an undirected connected random graph: a random spanning tree plus random extra edges."""
    rng = random.Random(seed)
    links: dict[int, set[int]] = {i: set() for i in range(size)}
    order = list(range(size))
    rng.shuffle(order)
    for k in range(1, size):
        a, b = order[k], order[rng.randrange(k)]
        links[a].add(b)
        links[b].add(a)
    while sum(len(v) for v in links.values()) < size * degree:
        a, b = rng.sample(range(size), 2)
        links[a].add(b)
        links[b].add(a)
    return links


def line(size: int) -> dict[int, set[int]]:
    """Return a line topology 0 - 1 - ... - size-1."""
    return {i: {j for j in (i - 1, i + 1) if 0 <= j < size} for i in range(size)}
