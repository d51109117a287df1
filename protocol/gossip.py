"""Gossip push decisions: whom to send new events to, and what each peer is known to hold already.

A node pushes a new event to `fanout` peers and relays events it learns to `fanout` peers that are
not known to have them, excluding the one it got them from. It learns what a peer holds from the
peer's frontier, from the events the peer pushed or served to it, and from pushes the peer acked.
The remaining neighbours get the heads only (a cheap announcement) and pull if they lack them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from events import Event

from .messages import Frontier, FrontierEntry


class Gossip:
    """Per-peer knowledge of held heads, and the choice of push targets."""

    def __init__(self, *, fanout: int = 3, relay_fanout: int = 0, rng: random.Random | None = None):
        self.fanout = fanout
        self.relay_fanout = relay_fanout
        self._rng = rng or random.Random()
        self._known: dict[str, dict[bytes, int]] = {}

    def learn(self, peer: str, author: bytes, seq: int) -> None:
        """Record that `peer` holds `author`'s log up to at least `seq`."""
        held = self._known.setdefault(peer, {})
        if held.get(author, 0) < seq:
            held[author] = seq

    def learn_events(self, peer: str, events: Iterable[Event]) -> None:
        """Record that `peer` holds these events (it sent them, or acked them)."""
        for event in events:
            self.learn(peer, event.author, event.seq)

    def learn_heads(self, peer: str, heads: Iterable[FrontierEntry]) -> None:
        """Record a peer's announced heads."""
        for entry in heads:
            self.learn(peer, entry.author, entry.seq)

    def learn_frontier(self, peer: str, frontier: Frontier) -> None:
        """Record everything a peer's frontier says it holds."""
        self.learn_heads(peer, frontier.entries)

    def forget(self, peer: str) -> None:
        """Drop what is known about a peer (it may have lost data, or left)."""
        self._known.pop(peer, None)

    def has(self, peer: str, author: bytes, seq: int) -> bool:
        """True iff `peer` is known to hold `author`'s event at `seq`."""
        return self._known.get(peer, {}).get(author, 0) >= seq

    def holder(self, author: bytes, seq: int) -> str | None:
        """Return a peer known to hold `author`'s event at `seq`, or None."""
        return next((peer for peer, held in self._known.items() if held.get(author, 0) >= seq), None)

    def lacking(self, peer: str, events: Iterable[Event]) -> list[Event]:
        """Return the events `peer` is not known to hold."""
        return [e for e in events if not self.has(peer, e.author, e.seq)]

    def choose(
        self, candidates: Sequence[str], events: Sequence[Event], exclude: Iterable[str] = (), *, relay: bool = False
    ) -> tuple[list[str], list[str]]:
        """Return (push targets, announce targets): `fanout` (`relay_fanout` if relaying) random lacking peers, the rest."""
        skip = set(exclude)
        lacking = [p for p in candidates if p not in skip and self.lacking(p, events)]
        self._rng.shuffle(lacking)
        count = self.relay_fanout if relay else self.fanout
        return lacking[:count], lacking[count:]
