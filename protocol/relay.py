"""Relaying for a SyncAgent: pushes new events and announces their heads to peers, and spreads fork proofs.

`Relay` sends through its agent (`SyncAgent.request`, so every reply keeps the peer's health record) and
reads the agent's policy, peer book and gossip at each call, since a node may swap its policy at any time.
The agent decides when to relay and runs these coroutines as its background tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from events import Event, ForkProof

from .errors import ProtocolError
from .messages import Ack, ForkProofs, FrontierEntry, Push

if TYPE_CHECKING:
    from .agent import SyncAgent


class Relay:
    """Spreads events and fork proofs from one agent to its peers; remembers which fork proofs each peer holds."""

    def __init__(self, agent: SyncAgent):
        self.agent = agent
        self.proofs_known: dict[str, set[bytes]] = {}  # per peer, the authors it holds (or was sent) fork proofs for

    async def events(self, events: list[Event], origin: str | None) -> None:
        """Push events (those the policy replicates) to the gossip's targets and announce their heads to the others."""
        agent = self.agent
        events = [e for e in events if agent.policy.replicates(e.author)]
        if not events:
            return
        candidates = agent.book.available(agent.clock())
        targets, others = agent.gossip.choose(candidates, events, exclude=[origin] if origin else [], relay=origin is not None)
        heads: dict[bytes, FrontierEntry] = {}
        for event in events:
            if event.author not in heads or heads[event.author].seq < event.seq:
                heads[event.author] = FrontierEntry(event.author, event.seq, event.id)
        jobs = [self._push_to(p, Push(tuple(agent.gossip.lacking(p, events)))) for p in targets]
        if agent.announce:
            jobs += [self._push_to(p, Push(heads=tuple(heads.values()))) for p in others]
        await asyncio.gather(*jobs)

    async def _push_to(self, peer: str, push: Push) -> None:
        try:
            await self.agent.request(peer, push, Ack)
        except ProtocolError:
            return
        self.agent.gossip.learn_events(peer, push.events)
        self.agent.gossip.learn_heads(peer, push.heads)

    async def proofs(self, proofs: Iterable[ForkProof]) -> None:
        """Send every available peer the fork proofs it is not known to hold."""
        proofs = list(proofs)
        jobs = []
        for peer in self.agent.book.available(self.agent.clock()):
            known = self.proofs_known.setdefault(peer, set())
            missing = tuple(p for p in proofs if p.author not in known)
            if missing:
                known.update(p.author for p in missing)
                jobs.append(self._send_proofs(peer, missing))
        await asyncio.gather(*jobs)

    async def _send_proofs(self, peer: str, proofs: tuple[ForkProof, ...]) -> None:
        try:
            await self.agent.request(peer, ForkProofs(proofs), Ack)
        except ProtocolError:
            self.proofs_known.get(peer, set()).difference_update(p.author for p in proofs)
