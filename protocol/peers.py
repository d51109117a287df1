"""Peer bookkeeping: health per peer, backoff with jitter, a circuit breaker, penalties, and peer exchange.

Time is passed in (seconds, any monotonic origin) so every decision is a pure function of the calls
made. States: `healthy`; `backoff` after a failure (retry after an exponentially growing, jittered
delay); `open` after `open_after` consecutive failures (the circuit is open: only one trial request
once the delay has passed, i.e. half-open); `banned` after misbehaviour points reach `ban_points`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from .messages import MAX_PEERS, MAX_URL_LENGTH, PeerInfo, PeerList

HEALTHY, BACKOFF, OPEN, BANNED = "healthy", "backoff", "open", "banned"

# Misbehaviour points (a PeerBook bans at 10 by default; docs/PROTOCOL.md §13, "Peers").
MALFORMED_POINTS = 3
FORGED_POINTS = 5
REPLAY_POINTS = 2
UNREQUESTED_POINTS = 3


@dataclass(frozen=True, slots=True)
class PeerHealth:
    """What a node knows about one peer's health."""

    url: str
    group: bytes | None = None
    state: str = HEALTHY
    failures: int = 0
    last_success: float | None = None
    last_failure: float | None = None
    next_attempt: float = 0.0
    points: int = 0
    last_reason: str = ""
    chosen: bool = False  # the operator configured or accepted it (not learnt from a greeting or a peer list)


class PeerBook:
    """The peers a node knows, at most `cap` of them, with their health."""

    def __init__(
        self,
        *,
        own_url: str | None = None,
        cap: int = 64,
        base_delay: float = 1.0,
        max_delay: float = 600.0,
        open_after: int = 5,
        ban_points: int = 10,
        ban_seconds: float = 3600.0,
        rng: random.Random | None = None,
    ):
        self.own_url = own_url
        self.cap = cap
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.open_after = open_after
        self.ban_points = ban_points
        self.ban_seconds = ban_seconds
        self._rng = rng or random.Random()
        self._peers: dict[str, PeerHealth] = {}
        # Penalised senders that are not peers (a bare remote address, a URL nobody vouched for): they can be
        # banned, but they are never contact targets, never handed out, and at most `cap * 16` are remembered.
        self._strangers: dict[str, PeerHealth] = {}

    def add(self, url: str, group: bytes | None = None, *, chosen: bool = False, make_room: bool = False) -> bool:
        """Add a peer; return True iff it is new and there was room.

        A learnt peer (not `chosen`) takes room only among the `cap`, evicting a dead learnt one if need be
        (any learnt one if `make_room`: a subscriber, whose number the node bounds itself, docs/PROTOCOL.md §16).
        A chosen peer (the operator's) is always added, or upgraded if it was learnt: it evicts a learnt
        peer when the book is full, and chosen peers alone may exceed the cap (the operator bounds them).
        """
        if url == self.own_url or len(url) > MAX_URL_LENGTH:
            return False
        if url in self._peers:
            peer = self._peers[url]
            if group is not None and peer.group is None:
                peer = replace(peer, group=group)
            self._peers[url] = replace(peer, chosen=True) if chosen else peer
            return False
        if len(self._peers) >= self.cap and not self._evict(any_learnt=chosen or make_room) and not chosen:
            return False
        stranger = self._strangers.pop(url, None)  # its points and any ban come with it
        base = replace(stranger, group=group) if stranger else PeerHealth(url, group)
        self._peers[url] = replace(base, chosen=chosen)
        return True

    def is_chosen(self, url: str) -> bool:
        """True iff `url` is a peer the operator configured or accepted (what it offers is trusted; see policy)."""
        peer = self._peers.get(url)
        return peer is not None and peer.chosen

    def remove(self, url: str) -> None:
        """Forget a peer."""
        self._peers.pop(url, None)

    def urls(self) -> list[str]:
        """Return every known peer URL."""
        return list(self._peers)

    def health(self, url: str) -> PeerHealth:
        """Return the health record of a known peer, or of a penalised sender that is not a peer."""
        return self._peers[url] if url in self._peers else self._strangers[url]

    def may_contact(self, url: str, now: float) -> bool:
        """True iff the peer is known, not banned, and not waiting out a backoff delay."""
        peer = self._peers.get(url)
        return peer is not None and now >= peer.next_attempt

    def available(self, now: float) -> list[str]:
        """Return the peers that may be contacted now, healthiest first."""
        ready = [p for p in self._peers.values() if now >= p.next_attempt]
        ready.sort(key=lambda p: (p.state != HEALTHY, p.failures, p.url))
        return [p.url for p in ready]

    def record_success(self, url: str, now: float) -> None:
        """A request to the peer got a valid reply: close the circuit."""
        peer = self._peers.get(url)
        if peer is not None and peer.state != BANNED:
            self._peers[url] = replace(peer, state=HEALTHY, failures=0, last_success=now, next_attempt=0.0)

    def record_failure(self, url: str, now: float) -> None:
        """A request to the peer failed: back off (with jitter); open the circuit after repeated failures."""
        peer = self._peers.get(url)
        if peer is None or peer.state == BANNED:
            return
        failures = peer.failures + 1
        state = OPEN if failures >= self.open_after else BACKOFF
        self._peers[url] = replace(
            peer, state=state, failures=failures, last_failure=now, next_attempt=now + self.backoff(failures)
        )

    def backoff(self, failures: int) -> float:
        """Return the delay before the next attempt after `failures` consecutive failures ("equal jitter")."""
        delay = min(self.max_delay, self.base_delay * 2 ** min(failures - 1, 30))
        return delay / 2 + self._rng.uniform(0, delay / 2)

    def penalise(self, url: str, points: int, reason: str, now: float) -> bool:
        """Add misbehaviour points to a peer or any other sender; return True iff this banned it.

        A sender that is not a peer is remembered apart: penalising never makes it a contact target.
        """
        table = self._peers if url in self._peers else self._strangers
        peer = table.get(url)
        if peer is None:
            if len(self._strangers) >= self.cap * 16:
                del self._strangers[next(iter(self._strangers))]  # the oldest first
            peer = PeerHealth(url)
        total = peer.points + points
        if total >= self.ban_points:
            table[url] = replace(peer, state=BANNED, points=total, last_reason=reason, next_attempt=now + self.ban_seconds)
            return peer.state != BANNED
        table[url] = replace(peer, points=total, last_reason=reason)
        return False

    def is_banned(self, url: str, now: float) -> bool:
        """True iff the peer (or penalised sender) is banned and the ban has not run out (an expired ban is lifted here)."""
        table = self._peers if url in self._peers else self._strangers
        peer = table.get(url)
        if peer is None or peer.state != BANNED:
            return False
        if now >= peer.next_attempt:
            table[url] = replace(peer, state=HEALTHY, points=0, failures=0, next_attempt=0.0)
            return False
        return True

    def merge(self, peers: PeerList, accept: Callable[[str], bool] = lambda url: True) -> int:
        """Add the peers of a received list that `accept` lets in, as learnt peers (up to the cap); return how many were new."""
        return sum(self.add(p.url, p.group) for p in peers.peers if accept(p.url))

    def peer_list(self, limit: int = MAX_PEERS) -> PeerList:
        """Return a PeerList of the healthiest known peers (never banned ones), for peer exchange."""
        # A subscriber (`sub:` address, docs/PROTOCOL.md §16) is reached only over its own socket: never handed out.
        listed = (p for p in self._peers.values() if p.state != BANNED and p.url.startswith(("http://", "https://")))
        good = sorted(listed, key=lambda p: (p.failures, p.url))
        return PeerList(tuple(PeerInfo(p.url, p.group) for p in good[:limit]))

    def _evict(self, *, any_learnt: bool = False) -> bool:
        # Only learnt peers are ever evicted: a dead (open) one, or, to make room for a chosen one, the worst learnt.
        learnt = [p for p in self._peers.values() if not p.chosen]
        worst = max(learnt, key=lambda p: (p.state == OPEN, p.failures), default=None)
        if worst is None or (worst.state != OPEN and not any_learnt):
            return False
        del self._peers[worst.url]
        return True
