"""Range-based set reconciliation of two frontiers (peer protocol version 2; docs/PROTOCOL.md §15).

The set is every (author, seq, head) a replica stores. The initiator sends checks of key ranges
(`Reconcile`): its fingerprint of a range, or, where it knows the range differs and holds few entries there,
the 8-byte ids of those entries. The responder answers each: SAME; SPLIT (the fingerprints of the 16
children); or ITEMS (its entries the initiator lacks, and which of the initiator's ids it lacks itself).
The initiator descends where children differ until every range is resolved, so bytes and round trips
grow with the differences (and the log of the set size), not with the set. Both sides read the replica only
through `fingerprints`, `head_ranges` and `heads_of`, which a store serves from an index: no message loads
the whole frontier.

The responder keeps no state between requests. The initiator's `Reconciliation` is bounded: at most
`max_rounds` round trips, `max_entries` differing entries and MAX_PENDING ranges waiting; past a bound the
outcome is `complete=False` and the next sync starts again (what was pulled meanwhile then compares equal).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from events import ChainHead

from .errors import MessageError
from .message_types import Frontier, FrontierEntry
from .ranges import BRANCH, KEY_BITS, FrontierView, KeyRange, forked_digest, item_id
from .recon_messages import (
    ITEMS,
    MAX_CHECK_IDS,
    MAX_RANGE_ITEMS,
    MAX_RECON_FORKED,
    MAX_RECON_RANGES,
    MAX_REPLY_ITEMS,
    MAX_REPLY_SPLITS,
    MAX_REQUEST_IDS,
    SAME,
    SPLIT,
    RangeCheck,
    RangeResult,
    Reconcile,
    ReconcileReply,
)

LEAF_ITEMS = 16  # a differing range with at most this many entries is answered with them, never split
IDS_AT = 32  # a range known to differ where the initiator holds at most this many entries is checked by ids
MAX_ROUNDS = 1024
MAX_ENTRIES = 65536
MAX_PENDING = 65536
MAX_READ_ITEMS = 2 * MAX_REQUEST_IDS  # entries a responder reads for one reply


def sends_items(theirs: int, ours: int, bits: int) -> bool:
    """The responder's rule for a differing fingerprint check: answer with all its entries (True) or split it."""
    if bits >= KEY_BITS:
        return True
    return ours <= MAX_RANGE_ITEMS and (ours <= LEAF_ITEMS or 2 * theirs <= ours)


def _bitmap(flags: Sequence[bool]) -> bytes:
    data = bytearray((len(flags) + 7) // 8)
    for i, flag in enumerate(flags):
        if flag:
            data[i // 8] |= 1 << (i % 8)
    return bytes(data)


async def answer_reconcile(
    replica: FrontierView, request: Reconcile, forked: Sequence[bytes], keep: Callable[[bytes], bool] = lambda a: True
) -> ReconcileReply:
    """Return the reply to a reconcile request: results for as many of its checks, in order, as fit the bounds.

    Entries of authors `keep` refuses (the replication policy) are never listed; they still count as held.
    """
    own = await replica.fingerprints([c.range for c in request.checks])
    planned: list[tuple[RangeCheck, int]] = []
    reading = 0  # entries read for this reply: bounded, whatever the request
    for check, fp in zip(request.checks, own, strict=True):
        if check.ids is None and fp.count == check.count and fp.digest == check.digest:
            mode = SAME
        elif (check.ids is None and not sends_items(check.count, fp.count, check.range.bits)) or (
            check.ids is not None and fp.count > MAX_RANGE_ITEMS and check.range.bits < KEY_BITS
        ):
            mode = SPLIT
        else:
            mode = ITEMS
            if planned and reading + min(fp.count, MAX_RANGE_ITEMS) > MAX_READ_ITEMS:
                break
            reading += min(fp.count, MAX_RANGE_ITEMS)
        planned.append((check, mode))
    read = iter(await replica.head_ranges([c.range for c, mode in planned if mode == ITEMS], MAX_RANGE_ITEMS))
    results: list[RangeResult | KeyRange] = []  # a range stands for its split, filled in below
    items = splits = 0
    for check, mode in planned:
        result: RangeResult | KeyRange = (
            RangeResult(SAME) if mode == SAME else check.range if mode == SPLIT else _items(check, next(read), keep)
        )
        more_items = 0 if isinstance(result, KeyRange) else len(result.entries)
        more_splits = int(isinstance(result, KeyRange))
        if results and (items + more_items > MAX_REPLY_ITEMS or splits + more_splits > MAX_REPLY_SPLITS):
            break  # the rest is asked again in the next round trip
        items, splits = items + more_items, splits + more_splits
        results.append(result)
    split = [r for r in results if isinstance(r, KeyRange)]
    children = iter(await replica.fingerprints([child for r in split for child in r.children()]))
    done = [
        RangeResult(SPLIT, tuple((f.count, f.digest) for f in (next(children) for _ in range(BRANCH))))
        if isinstance(r, KeyRange)
        else r
        for r in results
    ]
    theirs_forked = None
    if request.forked is not None and request.forked != forked_digest(forked):
        theirs_forked = tuple(sorted(set(forked))[:MAX_RECON_FORKED])
    return ReconcileReply(tuple(done), theirs_forked)


def _items(check: RangeCheck, heads: list[ChainHead], keep: Callable[[bytes], bool]) -> RangeResult:
    if check.ids is None:
        return RangeResult(ITEMS, entries=tuple(FrontierEntry(h.author, h.seq, h.id) for h in heads if keep(h.author)))
    ours = {item_id(h): h for h in heads}
    theirs = set(check.ids)
    entries = tuple(FrontierEntry(h.author, h.seq, h.id) for i, h in ours.items() if i not in theirs and keep(h.author))
    missing = [i not in ours for i in check.ids]
    if not entries and not any(missing):
        return RangeResult(SAME)
    return RangeResult(ITEMS, entries=tuple(sorted(entries, key=lambda e: e.author)), missing=_bitmap(missing))


@dataclass(slots=True)
class ReconcileOutcome:
    """What a reconciliation found: the peer's differing entries (and ours for those authors), fork digests, cost."""

    theirs: list[FrontierEntry] = field(default_factory=list)
    ours: dict[bytes, ChainHead] = field(default_factory=dict)
    peer_lacks: list[ChainHead] = field(default_factory=list)  # complete only when asked for (`lacks=True`)
    forked: tuple[bytes, ...] | None = None  # the peer's forked authors, when their set differs from ours
    complete: bool = True
    rounds: int = 0


@dataclass(slots=True)
class _Sent:
    check: RangeCheck
    heads: list[ChainHead] | None = None  # ours in the range, for an ids check


class Reconciliation:
    """The initiator's side: which ranges to check next, and what the replies say; see the module docstring."""

    def __init__(
        self,
        replica: FrontierView,
        forked: Sequence[bytes] = (),
        *,
        lacks: bool = False,
        max_rounds: int = MAX_ROUNDS,
        max_entries: int = MAX_ENTRIES,
    ):
        self.replica = replica
        self.forked = tuple(forked)
        self.lacks = lacks
        self.max_rounds = max_rounds
        self.max_entries = max_entries
        self.outcome = ReconcileOutcome()
        self._pending: list[tuple[KeyRange, bool]] = [(KeyRange.root(), False)]  # (range, check by ids)
        self._sent: list[_Sent] = []

    @property
    def done(self) -> bool:
        """True when every range is resolved or a bound was reached."""
        return not self._pending or not self.outcome.complete

    async def next_request(self) -> Reconcile | None:
        """Return the next request (checks of the first pending ranges, within the bounds), or None when done."""
        if self._pending and self.outcome.rounds >= self.max_rounds:
            self.outcome.complete = False
        if self.done:
            return None
        batch = self._pending[:MAX_RECON_RANGES]
        fps = await self.replica.fingerprints([r for r, _ in batch])
        by_ids = [r for (r, ids), fp in zip(batch, fps, strict=True) if ids and fp.count <= MAX_CHECK_IDS]
        read = dict(zip(by_ids, await self.replica.head_ranges(by_ids, MAX_CHECK_IDS), strict=True))
        sent: list[_Sent] = []
        ids_total = 0
        for (r, _), fp in zip(batch, fps, strict=True):
            heads = read.get(r)
            if heads is None:
                sent.append(_Sent(RangeCheck(r, fp.count, fp.digest)))
                continue
            ids = sorted({item_id(h): h for h in heads})
            if ids_total + len(ids) > MAX_REQUEST_IDS:
                break
            ids_total += len(ids)
            sent.append(_Sent(RangeCheck(r, len(ids), ids=tuple(ids)), heads))
        self._sent = sent
        first = self.outcome.rounds == 0
        self.outcome.rounds += 1
        return Reconcile(tuple(s.check for s in sent), forked_digest(self.forked) if first else None)

    async def accept(self, reply: ReconcileReply) -> None:
        """Take the reply to the last request; raise MessageError if it does not answer it (a malformed reply)."""
        sent, self._sent = self._sent, []
        if len(reply.results) > len(sent):
            raise MessageError(f"reconcile reply has {len(reply.results)} results for {len(sent)} ranges", field="results")
        if reply.forked is not None:
            self.outcome.forked = reply.forked
        answered = list(zip(sent, reply.results, strict=False))
        for s, result in answered:
            if result.mode == ITEMS:
                await self._take_items(s, result)
            elif result.mode == SPLIT and s.check.range.bits >= KEY_BITS:
                raise MessageError("reconcile reply splits a range of one key", field="results")
        splits = [s.check.range for s, result in answered if result.mode == SPLIT]
        own = await self.replica.fingerprints([child for r in splits for child in r.children()])
        new: list[tuple[KeyRange, bool]] = []
        at = 0
        for s, result in answered:
            if result.mode != SPLIT:
                continue
            mine_children = own[at : at + BRANCH]
            for child, (count, digest), mine in zip(s.check.range.children(), result.children, mine_children, strict=True):
                if count == mine.count and digest == mine.digest:
                    continue
                if count == 0:
                    await self._lacks_in(child, mine.count)
                elif count > MAX_RANGE_ITEMS or (mine.count > IDS_AT and not sends_items(mine.count, count, child.bits)):
                    new.extend((c, False) for c in child.children())  # the peer would split it: ask one level down now
                else:
                    new.append((child, mine.count <= IDS_AT))
            at += BRANCH
        self._pending = new + self._pending[len(reply.results) :]
        if len(self._pending) > MAX_PENDING or len(self.outcome.theirs) >= self.max_entries:
            self.outcome.complete = False

    async def run(self, send: Callable[[Reconcile], Awaitable[ReconcileReply]]) -> ReconcileOutcome:
        """Reconcile through `send` (one round trip per call) until done; return the outcome."""
        while (request := await self.next_request()) is not None:
            await self.accept(await send(request))
        return self.outcome

    async def _take_items(self, s: _Sent, result: RangeResult) -> None:
        r, entries = s.check.range, result.entries
        if not all(r.contains(e.author) for e in entries):
            raise MessageError("reconcile reply lists an author outside its range", field="entries")
        if s.heads is not None:
            ids = s.check.ids or ()
            if len(result.missing) != (len(ids) + 7) // 8 or (ids and result.missing[-1] >> (len(ids) - 1) % 8 + 1):
                raise MessageError("reconcile reply's missing bitmap does not match the ids sent", field="missing")
            mine = {h.author: h for h in s.heads}
            by_id = {item_id(h): h for h in s.heads}
            if self.lacks:
                self.outcome.peer_lacks.extend(by_id[i] for n, i in enumerate(ids) if result.missing[n // 8] >> (n % 8) & 1)
        elif result.missing:
            raise MessageError("reconcile reply has a missing bitmap for a fingerprint check", field="missing")
        elif self.lacks and s.check.count <= self.max_entries:
            mine = {h.author: h for h in (await self.replica.head_ranges([r], s.check.count))[0]}
            listed = {e.author: e for e in entries}
            for head in mine.values():
                peer = listed.get(head.author)
                if peer is None or peer.seq != head.seq or peer.head != head.id:
                    self.outcome.peer_lacks.append(head)
        else:
            mine = dict(await self.replica.heads_of([e.author for e in entries]))
        for entry in entries:
            have = mine.get(entry.author)
            if have is None or have.seq != entry.seq or have.id != entry.head:
                self.outcome.theirs.append(entry)
                if have is not None:
                    self.outcome.ours[entry.author] = have

    async def _lacks_in(self, r: KeyRange, count: int) -> None:
        if self.lacks and count:
            self.outcome.peer_lacks.extend((await self.replica.head_ranges([r], count))[0])


async def reconcile_frontier(
    send: Callable[[Reconcile], Awaitable[ReconcileReply]],
    replica: FrontierView,
    forked: Sequence[bytes],
    malformed: Callable[[MessageError], None] = lambda exc: None,
) -> tuple[Frontier, dict[bytes, ChainHead]]:
    """Reconcile with a peer through `send`; return its differing entries and forked authors as a Frontier (what
    a pull session plans from), and our heads of those authors. A reply that does not answer is `malformed`."""
    session = Reconciliation(replica, forked)
    while (request := await session.next_request()) is not None:
        reply = await send(request)
        try:
            await session.accept(reply)
        except MessageError as exc:
            malformed(exc)
            raise
    found = session.outcome
    return Frontier(tuple(found.theirs), tuple(forked) if found.forked is None else found.forked), found.ours
