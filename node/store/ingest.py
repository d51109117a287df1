"""Deciding what a batch of peers' events does to the store: new, duplicate, fork proof or rejected.

The decision reads the store only through the callables it is given, so it is the same for every backend;
the store then writes the outcome in one transaction (and decides again if a concurrent writer got there first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from events import ed25519
from events.chain import ChainHead, ChainVerifier, Mode, Problem, check_link
from events.errors import ChainError, EventError
from events.event import Event, check_payload, signature_valid
from events.fork import MAX_RUN, ForkProof, fork_proof_from_events
from protocol.replica import Rejection


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What an ingest did: the events newly stored (with their notification ids), duplicates, forks, rejections."""

    stored: tuple[Event, ...] = ()
    notification_ids: tuple[int, ...] = ()
    duplicates: int = 0
    fork_proofs: tuple[ForkProof, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    bad_signatures: tuple[Rejection, ...] = ()

    def merged(self, other: IngestResult) -> IngestResult:
        """Return the combined outcome of this ingest and a following one."""
        return IngestResult(
            self.stored + other.stored,
            self.notification_ids + other.notification_ids,
            self.duplicates + other.duplicates,
            self.fork_proofs + other.fork_proofs,
            self.rejected + other.rejected,
            self.bad_signatures + other.bad_signatures,
        )


@dataclass(slots=True)
class Plan:
    """The outcome of deciding a batch, before it is written."""

    to_store: list[Event] = field(default_factory=list)
    new_heads: dict[bytes, ChainHead] = field(default_factory=dict)
    duplicates: int = 0
    fork_proofs: list[ForkProof] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    bad_signatures: list[Rejection] = field(default_factory=list)
    later: list[Event] = field(default_factory=list)  # second versions of a seq within the batch: decided after this write


def group_by_author(events: Iterable[Event]) -> dict[bytes, list[Event]]:
    """Return each author's events in seq order (authors in order of first appearance)."""
    groups: dict[bytes, list[Event]] = {}
    for event in events:
        groups.setdefault(event.author, []).append(event)
    for evs in groups.values():
        evs.sort(key=lambda e: e.seq)
    return groups


def _rejection(author: bytes, p: Problem) -> Rejection:
    return Rejection(author, p.seq, p.event_id, p.code, p.message)


def _signed_run(events: Sequence[Event], start: int) -> list[Event] | None:
    """Return the linked run events[start:k+1] ending at the first event whose own signature verifies (at most MAX_RUN)."""
    key = ed25519.load_public_key(events[start].author)
    run: list[Event] = []
    for event in events[start : start + MAX_RUN]:
        if run:
            try:
                check_link(ChainHead.of(run[-1]), event, event.author)
            except ChainError:
                return None
        run.append(event)
        if signature_valid(event, key):
            return run
    return None


def plan_ingest(
    groups: dict[bytes, list[Event]],
    mode: Mode,
    heads: dict[bytes, ChainHead],
    known: Callable[[list[bytes]], set[bytes]],
    stored_from: Callable[[bytes, int], list[Event]],
) -> Plan:
    """Decide a batch: `known(ids)` says which ids are stored, `stored_from(author, seq)` reads stored events from seq on."""
    plan = Plan()
    candidates = [e.id for evs in groups.values() for e in evs if (h := heads.get(e.author)) is not None and e.seq <= h.seq]
    known_ids = known(candidates) if candidates else set()
    for author, evs in groups.items():
        _plan_author(plan, author, evs, mode, heads.get(author), known_ids, stored_from)
    return plan


def _plan_author(
    plan: Plan,
    author: bytes,
    evs: list[Event],
    mode: Mode,
    head: ChainHead | None,
    known_ids: set[bytes],
    stored_from: Callable[[bytes, int], list[Event]],
) -> None:
    unique: list[Event] = []
    for event in evs:
        try:
            check_payload(event.header, event.payload, event.id)
        except EventError as exc:
            plan.rejected.append(Rejection(author, event.seq, event.id, exc.code, str(exc)))
            continue
        if unique and unique[-1].seq == event.seq:
            if unique[-1].id == event.id:
                plan.duplicates += 1
            else:
                plan.later.append(event)
            continue
        unique.append(event)
    try:
        ed25519.load_public_key(author)
    except EventError as exc:
        plan.rejected += [Rejection(author, e.seq, e.id, exc.code, f"author key is not acceptable: {exc}") for e in unique]
        return
    first_new = 0
    for i, event in enumerate(unique):
        if head is None or event.seq > head.seq:
            break
        first_new = i + 1
        if event.id in known_ids:
            plan.duplicates += 1
            continue
        proof = _fork_proof(unique, i, stored_from)
        if isinstance(proof, ForkProof):
            plan.fork_proofs.append(proof)
        else:
            plan.rejected.append(Rejection(author, event.seq, event.id, proof[0], proof[1]))
    new = unique[first_new:]
    if not new:
        return
    verifier = ChainVerifier(author, mode, head)
    released: list[Event] = []
    for i, event in enumerate(new):
        try:
            released += verifier.feed(event)
        except ChainError as exc:
            plan.rejected.append(Rejection(author, event.seq, event.id, exc.code, str(exc)))
            plan.rejected += [Rejection(author, e.seq, e.id, "after_break", "follows a broken link") for e in new[i + 1 :]]
            break
    released += verifier.finish()
    plan.rejected += [_rejection(author, p) for p in verifier.rejected]
    plan.bad_signatures += [_rejection(author, p) for p in verifier.bad_signatures]
    if released:
        plan.to_store += released
        plan.new_heads[author] = ChainHead.of(released[-1])


def _fork_proof(unique: list[Event], i: int, stored_from: Callable[[bytes, int], list[Event]]) -> ForkProof | tuple[str, str]:
    """Return the proof that unique[i] conflicts with the stored event at its seq, or (code, message) if none can be made."""
    event = unique[i]
    incoming = _signed_run(unique, i)
    if incoming is None:
        return ("bad_signature", "conflicts with the stored event at this seq but no signature vouches for it")
    stored = stored_from(event.author, event.seq)
    ours = _signed_run(stored, 0) if stored else None
    if ours is None:
        return ("unproven_conflict", "conflicts with the stored event at this seq; no signed stored run to prove it")
    try:
        return fork_proof_from_events(ours, incoming)
    except EventError as exc:
        return ("unproven_conflict", f"conflicts with the stored event at this seq: {exc}")
