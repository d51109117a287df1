"""Who gets replicated: which new authors a node takes in, and from whom (docs/PROTOCOL.md §13, "Offers").

Trust flows only through peers someone chose. An author the node already stores, its own group and the
groups it follows are always taken (the ReplicationPolicy still excludes blocked ones). A *new* author
offered by an origin (a push, an announcement, a peer's frontier) is taken:
- in `trusted` mode (the default), only from a peer the operator chose (configured or accepted: `chosen`),
  and at most `per_hour` new authors per such peer per hour (a token bucket), so even a chosen peer that
  turns hostile adds a bounded number; offers from anyone else are held in a small quarantine per origin
  (at most `held_authors` authors, `held_events` events each and `held_bytes` of payload in all, for at most
  `origins` origins, oldest origin forgotten first: 16 MiB of payload at most by default), where an admin can
  accept them;
- in `open` mode (an open relay), from any origin, at most `per_hour` new authors per origin per hour.
Time is passed in through `clock`; the object holds no I/O. Nothing here penalises a sender: an offer that
is not taken is simply not stored, whoever made it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from events import Event

from .errors import ProtocolError
from .messages import FrontierEntry
from .policy import ReplicationPolicy

TRUSTED, OPEN = "trusted", "open"
ADMITTED_MEMORY = 65536  # new authors remembered as taken (so a push and the pull it starts count once)


@dataclass(slots=True)
class Held:
    """One author an origin offered and the node did not take: its highest offered head, and a few of its events."""

    author: bytes
    seq: int
    head: bytes
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class Quarantine:
    """What one origin offered that was not taken (bounded), and how many offers did not even fit."""

    authors: OrderedDict[bytes, Held] = field(default_factory=OrderedDict)
    dropped: int = 0
    held_bytes: int = 0  # payload bytes of the held events


class Admission:
    """Decides which new authors are taken from which origin; keeps per-origin quotas and the quarantine."""

    def __init__(
        self,
        *,
        mode: str = TRUSTED,
        per_hour: int = 1000,
        chosen: Callable[[str], bool] = lambda url: False,
        held_authors: int = 16,
        held_events: int = 8,
        held_bytes: int = 256 * 1024,
        origins: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ):
        if mode not in (TRUSTED, OPEN):
            raise ProtocolError(f"replication mode is {TRUSTED!r} or {OPEN!r}, not {mode!r:.40}", field="mode")
        self.mode = mode
        self.per_hour = per_hour
        self.chosen = chosen
        self.held_authors = held_authors
        self.held_events = held_events
        self.held_bytes = held_bytes
        self.origins = origins
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # origin -> (tokens, at)
        self._admitted: OrderedDict[bytes, None] = OrderedDict()
        self._accepted: set[bytes] = set()  # authors an admin accepted
        self.quarantine: OrderedDict[str, Quarantine] = OrderedDict()

    @classmethod
    def everyone(cls) -> Admission:
        """Return an open admission without quotas (the protocol's default: every author the policy replicates)."""
        return cls(mode=OPEN, per_hour=0)

    # --- deciding ------------------------------------------------------------------------------------------------

    def take_events(
        self, key: str, url: str | None, events: Sequence[Event], policy: ReplicationPolicy, known: Mapping[bytes, object]
    ) -> list[Event]:
        """Return the events whose authors may be stored from this origin; hold the others' first events."""
        offers = {e.author: e for e in events}
        taken = self._decide(key, url, [(a, e.seq, e.id) for a, e in offers.items()], policy, known)
        kept = []
        for event in events:
            if event.author in taken:
                kept.append(event)
            else:
                self._hold_event(url or key, event)
        return kept

    def take_entries(
        self,
        key: str,
        url: str | None,
        entries: Iterable[FrontierEntry],
        policy: ReplicationPolicy,
        known: Mapping[bytes, object],
    ) -> list[FrontierEntry]:
        """Return the frontier entries (heads on offer) whose authors may be pulled from this origin; hold the others."""
        entries = list(entries)
        taken = self._decide(key, url, [(e.author, e.seq, e.head) for e in entries], policy, known)
        return [e for e in entries if e.author in taken]

    def _decide(
        self,
        key: str,
        url: str | None,
        offers: list[tuple[bytes, int, bytes]],
        policy: ReplicationPolicy,
        known: Mapping[bytes, object],
    ) -> set[bytes]:
        taken: set[bytes] = set()
        origin = url or key
        trusted = self.mode == OPEN or (url is not None and self.chosen(url))
        for author, seq, head in offers:
            if not policy.replicates(author):
                continue
            if author in known or policy.chosen_author(author) or author in self._accepted or author in self._admitted:
                taken.add(author)
            elif trusted and self._spend(origin):
                taken.add(author)
                self._admitted[author] = None
                while len(self._admitted) > ADMITTED_MEMORY:
                    self._admitted.popitem(last=False)
            elif self.mode == TRUSTED:
                self._hold(origin, author, seq, head)
        return taken

    def _spend(self, origin: str) -> bool:
        if self.per_hour <= 0:
            return self.mode == OPEN  # an open admission without quota (the protocol default)
        now = self.clock()
        tokens, at = self._buckets.pop(origin, (float(self.per_hour), now))
        tokens = min(float(self.per_hour), tokens + (now - at) * self.per_hour / 3600.0)
        ok = tokens >= 1.0
        self._buckets[origin] = (tokens - 1.0 if ok else tokens, now)
        while len(self._buckets) > 4096:
            self._buckets.popitem(last=False)
        return ok

    # --- the quarantine ------------------------------------------------------------------------------------------

    def _hold(self, origin: str, author: bytes, seq: int, head: bytes) -> None:
        box = self.quarantine.pop(origin, None) or Quarantine()
        self.quarantine[origin] = box  # the most recent origin last: the oldest is forgotten first
        while len(self.quarantine) > self.origins:
            self.quarantine.popitem(last=False)
        held = box.authors.get(author)
        if held is None:
            if len(box.authors) >= self.held_authors:
                box.dropped += 1
                return
            box.authors[author] = Held(author, seq, head)
        elif seq > held.seq:
            held.seq, held.head = seq, head

    def _hold_event(self, origin: str, event: Event) -> None:
        box = self.quarantine.get(origin)
        held = box.authors.get(event.author) if box else None
        size = len(event.payload or b"")
        if (
            held is not None
            and box is not None
            and len(held.events) < self.held_events
            and box.held_bytes + size <= self.held_bytes
            and all(e.id != event.id for e in held.events)
        ):
            held.events.append(event)
            box.held_bytes += size

    def accept(self, origin: str, authors: Iterable[bytes] | None = None) -> list[Event]:
        """Accept what `origin` offered (only `authors` if given): they are taken from now on; return their held events."""
        box = self.quarantine.get(origin)
        if box is None:
            return []
        chosen = list(box.authors) if authors is None else [a for a in authors if a in box.authors]
        events: list[Event] = []
        for author in chosen:
            held = box.authors.pop(author).events
            box.held_bytes -= sum(len(e.payload or b"") for e in held)
            events += held
            self._accepted.add(author)
        if not box.authors:
            del self.quarantine[origin]
        return sorted(events, key=lambda e: (e.author, e.seq))

    def forget_accepted(self, stored: Iterable[bytes]) -> None:
        """Drop accepted authors now stored (the store's heads take them from then on)."""
        self._accepted.difference_update(stored)
