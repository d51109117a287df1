"""Relaying: pushes new events and announces their heads to peers, and spreads fork proofs.

`Relay` sends through a PeerClient (so every reply keeps the peer's health record), chooses targets with
the Gossip, and asks for the replication policy at each call, since a node may swap its policy at any time.
The SyncAgent decides when to relay and runs these coroutines as its background tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from events import Event, ForkProof

from .client import PeerClient
from .errors import ProtocolError
from .gossip import Gossip
from .messages import Ack, ForkProofs, FrontierEntry, Push
from .policy import ReplicationPolicy


class Relay:
    """Spreads events and fork proofs to a node's peers; remembers which fork proofs each peer holds."""

    def __init__(self, client: PeerClient, gossip: Gossip, policy: Callable[[], ReplicationPolicy], *, announce: bool = True):
        self.client = client
        self.gossip = gossip
        self.policy = policy
        self.announce = announce
        self._proofs_known: dict[str, set[bytes]] = {}  # per peer, the authors it holds (or was sent) fork proofs for

    def peer_holds_proofs(self, peer: str, authors: Iterable[bytes]) -> None:
        """Record that `peer` holds (or was sent) fork proofs for these authors, so they are not sent to it again."""
        self._proofs_known.setdefault(peer, set()).update(authors)

    async def events(self, events: list[Event], origin: str | None) -> None:
        """Push events (those the policy replicates) to the gossip's targets and announce their heads to the others.

        `origin` is the peer they came from (None for a node's own new events): it is skipped, and relayed
        events go to the gossip's `relay_fanout` peers instead of `fanout`.
        """
        policy = self.policy()
        events = [e for e in events if policy.replicates(e.author)]
        if not events:
            return
        candidates = self.client.book.available(self.client.clock())
        targets, others = self.gossip.choose(candidates, events, exclude=[origin] if origin else [], relay=origin is not None)
        heads: dict[bytes, FrontierEntry] = {}
        for event in events:
            if event.author not in heads or heads[event.author].seq < event.seq:
                heads[event.author] = FrontierEntry(event.author, event.seq, event.id)
        jobs = [self._push_to(p, Push(tuple(self.gossip.lacking(p, events)))) for p in targets]
        if self.announce:
            jobs += [self._push_to(p, Push(heads=tuple(heads.values()))) for p in others]
        await asyncio.gather(*jobs)

    async def _push_to(self, peer: str, push: Push) -> None:
        try:
            await self.client.request(peer, push, Ack)
        except ProtocolError:
            return
        self.gossip.learn_events(peer, push.events)
        self.gossip.learn_heads(peer, push.heads)

    async def proofs(self, proofs: Iterable[ForkProof]) -> None:
        """Send every available peer the fork proofs it is not known to hold."""
        proofs = list(proofs)
        jobs = []
        for peer in self.client.book.available(self.client.clock()):
            known = self._proofs_known.setdefault(peer, set())
            missing = tuple(p for p in proofs if p.author not in known)
            if missing:
                known.update(p.author for p in missing)
                jobs.append(self._send_proofs(peer, missing))
        await asyncio.gather(*jobs)

    async def _send_proofs(self, peer: str, proofs: tuple[ForkProof, ...]) -> None:
        try:
            await self.client.request(peer, ForkProofs(proofs), Ack)
        except ProtocolError:
            self._proofs_known.get(peer, set()).difference_update(p.author for p in proofs)
