"""Sync decisions as plain objects: compare frontiers and pull in bounded batches (protocol/serving.py answers wants).

A pull is a `PullSession`: the caller asks it for the next `Want`, sends it, hands the reply to
`accept`, ingests what `accept` returns, and gives the result to `settle`, until `next_want` returns
None. The session holds no I/O. A cut connection just ends it; the next session starts again from
the replica's new heads, so nothing is lost but the events still held back (see below).

Events whose own signature is bad are valid when a later linked event's signature verifies
(events.chain). A batch may end inside such a run, so the session holds the trailing events after
the last verifying signature (`carry`) and hands them to the replica together with the next batch
that vouches for them. What is still held when the session ends is rejected as `bad_signature` (unvouched).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from events import ChainHead, Event, EventError, ed25519
from events.event import signature_valid
from events.fork import MAX_RUN
from events.ingest import AFTER_BREAK, BAD_SIGNATURE, CONFLICT, UNPROVEN_CONFLICT
from events.keystate import ROTATION_KIND
from events.kinds.schema import valid_payload_value
from events.supersede import KEY_SUPERSEDED

from .messages import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_WANT_ITEMS,
    MAX_WANT_LIMIT,
    EventBatch,
    Frontier,
    FrontierEntry,
    Want,
    WantItem,
)
from .policy import ReplicationPolicy
from .replica import IngestResult, Rejection

DEFAULT_BATCH_EVENTS = 500
DEFAULT_BATCH_BYTES = 1024 * 1024
MAX_CARRY = 1024


@dataclass(frozen=True, slots=True)
class SyncReport:
    """The outcome of one sync with a peer."""

    peer: str
    complete: bool
    stored: int = 0
    duplicates: int = 0
    forks: int = 0
    rejected: int = 0
    violations: tuple[str, ...] = ()
    error: str = ""


def frontier_of(
    heads: Mapping[bytes, ChainHead], forked: Sequence[bytes] = (), policy: ReplicationPolicy | None = None
) -> Frontier:
    """Return the Frontier message for a replica's heads (authors the policy excludes are left out)."""
    entries = [FrontierEntry(a, h.seq, h.id) for a, h in heads.items() if policy is None or policy.replicates(a)]
    return Frontier(tuple(entries), tuple(forked))


@dataclass(frozen=True, slots=True)
class FrontierDiff:
    """What to do about one peer: pull `wants`, check our ids at `checks`, probe `probes`, and what the peer lacks."""

    wants: tuple[WantItem, ...]
    checks: tuple[FrontierEntry, ...]
    probes: tuple[WantItem, ...]
    peer_lacks: tuple[FrontierEntry, ...]
    forks_to_fetch: tuple[bytes, ...]
    forks_to_send: tuple[bytes, ...]


def compare_frontiers(ours: Frontier, theirs: Frontier, policy: ReplicationPolicy | None = None) -> FrontierDiff:
    """Return the pull plan against a peer's frontier and the heads that the peer lacks.

    A peer head at a seq we also hold is a fork if its id differs from ours: equal seqs are compared
    here (`probes`), a lower seq needs our id at that seq (`checks`, resolved by the caller).
    """
    policy = policy or ReplicationPolicy()
    mine = ours.as_dict()
    wants, checks, probes, lacks = [], [], [], []
    for entry in theirs.entries:
        if not policy.replicates(entry.author):
            continue
        have = mine.get(entry.author)
        if have is None:
            wants.append(WantItem(entry.author, 1, min(entry.seq, MAX_WANT_LIMIT)))
        elif entry.seq > have.seq:
            wants.append(WantItem(entry.author, have.seq + 1, min(entry.seq - have.seq, MAX_WANT_LIMIT)))
        elif entry.seq == have.seq and entry.head != have.head:
            probes.append(WantItem(entry.author, entry.seq, 1))
        elif entry.seq < have.seq:
            checks.append(entry)
    peer_has = theirs.as_dict()
    for entry in ours.entries:
        other = peer_has.get(entry.author)
        if policy.replicates(entry.author) and (other is None or other.seq < entry.seq):
            lacks.append(entry)
    fetch = tuple(a for a in theirs.forked if a not in set(ours.forked) and policy.replicates(a))
    send = tuple(a for a in ours.forked if a not in set(theirs.forked))
    return FrontierDiff(tuple(wants), tuple(checks), tuple(probes), tuple(lacks), fetch, send)


def last_signed(events: Sequence[Event], key: bytes | None = None) -> int:
    """Return the index of the last event whose own signature verifies, or -1 (events of one author, in seq order).

    Signatures are checked under the key in force (docs/PROTOCOL.md §11): `key` (the replica's current key of the
    author; the author key if None) up to a `key.rotate`, whose own signature and those after it are checked under
    the key it names. Whether a rotation is valid (its commitment) is the replica's decision, at ingest.
    """
    if not events:
        return -1
    keys = [key or events[0].author] * len(events)
    for i, event in enumerate(events):
        if event.header.kind == ROTATION_KIND and (named := rotation_key(event)) is not None:
            keys[i:] = [named] * (len(events) - i)
    loaded: dict[bytes, object] = {}
    for i in range(len(events) - 1, -1, -1):
        if keys[i] not in loaded:
            try:
                loaded[keys[i]] = ed25519.load_public_key(keys[i])
            except EventError:
                loaded[keys[i]] = None
        if loaded[keys[i]] is not None and signature_valid(events[i], loaded[keys[i]]):
            return i
    return -1


def rotation_key(event: Event) -> bytes | None:
    """Return the new key a `key.rotate` event names, or None if its payload is absent or not of its schema."""
    try:
        value = valid_payload_value(event.kind, event.payload) if event.payload is not None else None
    except EventError:
        return None
    return value["key"] if value else None


@dataclass(slots=True)
class _Track:
    author: bytes
    cursor: int
    target: int
    head: ChainHead | None
    probe: WantItem | None = None
    asked: WantItem | None = None
    done: bool = False
    stale: bool = False  # settle changed the plan after `asked` went out: the reply to it is dropped unread
    dug: bool = False  # a `conflict` made it fetch the peer's branch from further down once (a rotation may be there)


class PullSession:
    """Pulls what a peer has and we lack, in batches bounded by count and bytes; see the module docstring."""

    def __init__(
        self,
        ours: Mapping[bytes, ChainHead],
        theirs: Frontier,
        *,
        policy: ReplicationPolicy | None = None,
        max_events: int = DEFAULT_BATCH_EVENTS,
        max_bytes: int = DEFAULT_BATCH_BYTES,
        max_items: int = 64,
        forked: Sequence[bytes] = (),
    ):
        self.policy = policy or ReplicationPolicy()
        self.max_events = min(max_events, MAX_BATCH_EVENTS)
        self.max_bytes = min(max_bytes, MAX_BATCH_BYTES)
        self.max_items = min(max_items, MAX_WANT_ITEMS)
        ours_frontier = frontier_of(ours, forked)
        self.diff = compare_frontiers(ours_frontier, theirs, self.policy)
        self._tracks: dict[bytes, _Track] = {}
        for item in self.diff.wants:
            self._tracks[item.author] = _Track(item.author, item.from_seq, item.from_seq + item.limit - 1, ours.get(item.author))
        for item in self.diff.probes:
            self._tracks[item.author] = _Track(item.author, 0, -1, ours.get(item.author), probe=item)
        self._carry: dict[bytes, list[Event]] = {}
        self.checks: list[FrontierEntry] = list(self.diff.checks)
        self.violations: list[str] = []
        self.rejected: list[Rejection] = []
        # Counts, not the events: a catch-up of millions of events must not keep them all alive until it ends.
        self.stored = 0
        self.duplicates = 0
        self.forks = 0
        self.superseded: set[bytes] = set()  # authors whose plan the latest `settle` changed
        self.unvouched_at_end = 0
        self.keys: dict[bytes, bytes] = {}  # the replica's current key of rotated authors (Replica.signing_keys)

    def authors(self) -> list[bytes]:
        """Return the authors this session may pull (whose current keys it needs, `keys`)."""
        return list(self._tracks)

    def check(self, entry: FrontierEntry, our_id: bytes | None) -> None:
        """Resolve one of `checks`: our event id at the peer's head seq; a different id means a fork, so probe it."""
        if our_id is not None and our_id != entry.head:
            self._tracks[entry.author] = _Track(entry.author, 0, -1, None, probe=WantItem(entry.author, entry.seq, MAX_RUN))

    def next_want(self) -> Want | None:
        """Return the next request to send, or None when the session is complete."""
        items: list[WantItem] = []
        for track in self._tracks.values():
            track.asked = None
            track.stale = False
            if len(items) >= self.max_items or track.done:
                continue
            if track.probe is not None:
                track.asked = track.probe
            elif track.cursor <= track.target:
                limit = min(track.target - track.cursor + 1, MAX_WANT_LIMIT)
                track.asked = WantItem(track.author, track.cursor, limit)
            else:
                continue
            items.append(track.asked)
        if not items:
            return None
        return Want(tuple(items), self.max_events, self.max_bytes)

    def accept(self, batch: EventBatch) -> list[Event]:
        """Check a reply against the outstanding want; return the events ready to ingest (the rest are held or dropped)."""
        received: dict[bytes, list[Event]] = {}
        for event in batch.events:
            track = self._tracks.get(event.author)
            if track is not None and track.stale:
                continue  # asked for before the replica's last verdict changed the plan for this author
            asked = track.asked if track else None
            got = received.setdefault(event.author, [])
            expected = (asked.from_seq + len(got)) if asked else None
            if asked is None or event.seq != expected or len(got) >= asked.limit:
                self.violations.append(f"unrequested event {event.id.hex()} (author {event.author.hex()[:16]} seq {event.seq})")
                continue
            got.append(event)
        served = [t.asked.author for t in self._tracks.values() if t.asked is not None and not t.stale]
        last_served = max((i for i, a in enumerate(sorted(served)) if received.get(a)), default=-1)
        ready: list[Event] = []
        for i, author in enumerate(sorted(served)):
            track = self._tracks[author]
            events = received.get(author, [])
            if not events:
                # Items are served in order; an empty one before a served one (or an empty reply) means the peer lacks it.
                if i < last_served or last_served < 0:
                    track.done = True
                continue
            if track.probe is not None:
                track.done = True
                ready.extend(events)
                continue
            run = self._carry.pop(author, []) + events
            head = track.head
            if head is not None and run[0].seq == head.seq + 1 and run[0].header.prev != head.id:
                # Another branch than ours: the replica says so (broken_link, then a fork probe) without checking a
                # signature, which may be under a key a rotation on that branch set (docs/PROTOCOL.md §11.1).
                ready.extend(run)
                track.cursor = events[-1].seq + 1
                continue
            cut = last_signed(run, self.keys.get(author)) + 1
            ready.extend(run[:cut])
            for event in reversed(run[:cut]):
                if event.header.kind == ROTATION_KIND and (named := rotation_key(event)) is not None:
                    self.keys[author] = named  # what the rest of the log is signed with, if the replica agrees
                    break
            if run[cut:]:
                self._carry[author] = run[cut:]
                if len(self._carry[author]) > MAX_CARRY:
                    self.violations.append(f"more than {MAX_CARRY} events of {author.hex()[:16]} without a verifying signature")
                    self._drop_carry(author, BAD_SIGNATURE)
                    track.done = True
            track.cursor = events[-1].seq + 1
        return ready

    def settle(self, result: IngestResult) -> None:
        """Take the replica's verdict on what `accept` returned: follow forks, stop pulling authors that lie.

        The caller may already have sent the next want (pipelining): a track whose plan changes here is
        marked stale, so what that want brings for it is dropped rather than taken for unrequested events.
        """
        self.stored += len(result.stored)
        self.duplicates += result.duplicates
        self.forks += len(result.forks)
        self.rejected.extend(result.rejected)
        self.superseded = set()
        for event in result.stored:
            track = self._tracks.get(event.author)
            if track is not None and (track.head is None or event.seq > track.head.seq):
                track.head = ChainHead.of(event)
        digging: set[bytes] = set()
        for rejection in result.rejected:
            track = self._tracks.get(rejection.author)
            boundary = track.head.seq + 1 if track and track.head else 1
            if rejection.code in (AFTER_BREAK, UNPROVEN_CONFLICT, KEY_SUPERSEDED) or rejection.author in digging:
                continue  # what a holder of the other branch causes
            if rejection.code == CONFLICT and track is not None and not track.dug:
                # Unsigned under the key in force at its seq here, but maybe signed by a key a rotation below it set
                # (docs/PROTOCOL.md §11.1): fetch the peer's branch from up to MAX_RUN seqs below, once.
                track.dug, track.done = True, False
                track.probe = WantItem(rejection.author, max(1, rejection.seq - MAX_RUN + 1), MAX_RUN)
                track.stale = track.asked is not None
                self.superseded.add(rejection.author)
                self._carry.pop(rejection.author, None)
                digging.add(rejection.author)
                continue
            if rejection.code == "broken_link" and rejection.seq == boundary and track is not None:
                if track.probe is None and not track.done:
                    # The peer's event after our head links elsewhere: its event at our head seq conflicts with ours.
                    track.probe = WantItem(rejection.author, boundary - 1, MAX_RUN)
                    track.stale = track.asked is not None
                    self.superseded.add(rejection.author)
                    self._carry.pop(rejection.author, None)
                continue
            self.violations.append(f"event {rejection.event_id.hex()} rejected: {rejection.code}")
            self._carry.pop(rejection.author, None)
            self.superseded.add(rejection.author)
            if track is not None:
                track.stale = track.stale or (track.asked is not None and not track.done)
                track.done = True

    def finish(self, complete: bool = True) -> list[Rejection]:
        """End the session; return every rejection, with the held events no signature vouched for.

        `complete`: the peer answered every want. Events it still leaves unvouched then are forgeries it
        served (counted in `unvouched_at_end`); after a cut connection they may just be the rest of a run.
        """
        if complete:
            self.unvouched_at_end = sum(len(held) for held in self._carry.values())
        for author in list(self._carry):
            self._drop_carry(author, BAD_SIGNATURE)
        return self.rejected

    def _drop_carry(self, author: bytes, code: str) -> None:
        for event in self._carry.pop(author, []):
            self.rejected.append(Rejection(author, event.seq, event.id, code, "no later signature vouched for this event"))
