"""The store as the protocol sees it (`Replica`), the outcome of ingesting events, and a complete in-memory replica."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from events import ChainError, ChainHead, ChainVerifier, Event, EventError, ForkProof, Mode, ed25519, fork_proof_from_events
from events.event import signature_valid
from events.fork import MAX_RUN

# Rejection codes that an honest relay can cause (it holds the other side of a fork); the rest mean forgery or lies.
FORK_CODES = frozenset({"broken_link", "conflict", "forked", "after_break"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event that was not stored, and why (`code` as in events.errors, or conflict/forked/unvouched)."""

    author: bytes
    seq: int
    event_id: bytes
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What ingesting a set of events did: newly stored events, duplicates, new fork proofs, rejections."""

    stored: tuple[Event, ...] = ()
    duplicates: int = 0
    forks: tuple[ForkProof, ...] = ()
    rejected: tuple[Rejection, ...] = ()

    def merge(self, other: IngestResult) -> IngestResult:
        """Return the sum of two results."""
        return IngestResult(
            self.stored + other.stored,
            self.duplicates + other.duplicates,
            self.forks + other.forks,
            self.rejected + other.rejected,
        )

    @property
    def misbehaviour(self) -> tuple[Rejection, ...]:
        """Rejections that an honest peer cannot cause (bad signatures, broken chains other than forks)."""
        return tuple(r for r in self.rejected if r.code not in FORK_CODES)


@runtime_checkable
class Replica(Protocol):
    """A node's event store as the protocol uses it. Every method may do I/O, so every method is async.

    Guarantees an implementation must keep: `ingest` stores only valid events (events.chain rules,
    continuing after the stored head), never overwrites a stored event, and reports a conflicting
    signed event at a stored seq as a fork proof; a blocked author is filtered out before `ingest`.
    """

    async def heads(self) -> Mapping[bytes, ChainHead]:
        """Return the newest stored event of every author."""
        ...

    async def read_log(self, author: bytes, from_seq: int, limit: int) -> list[Event]:
        """Return up to `limit` stored events of `author` with seq >= `from_seq`, in seq order."""
        ...

    async def ingest(self, events: Sequence[Event]) -> IngestResult:
        """Check and store `events` (any authors, any order); return what happened to each."""
        ...

    async def flush(self) -> None:
        """Bring state derived from the log (a node's read models) up to date with what `ingest` stored.

        `ingest` may defer that work; the agent calls `flush` when a pull or a push is done, so a burst of
        batches is derived once rather than batch by batch.
        """
        ...

    async def fork_proofs(self, authors: Iterable[bytes] | None = None) -> list[ForkProof]:
        """Return the stored fork proofs (one per forked author), for `authors` only when given."""
        ...

    async def add_fork_proof(self, proof: ForkProof) -> bool:
        """Store a verified fork proof; return True iff it is the first one held for its author."""
        ...


def _signed_run(events: Sequence[Event]) -> list[Event] | None:
    """Return the shortest prefix (at most MAX_RUN) of a linked run that ends in a verifying signature."""
    if not events:
        return None
    key = ed25519.load_public_key(events[0].author)
    for i, event in enumerate(events[:MAX_RUN]):
        if signature_valid(event, key):
            return list(events[: i + 1])
    return None


def _linked_run(first: Event, by_seq: Mapping[int, Event]) -> list[Event]:
    run = [first]
    while (nxt := by_seq.get(run[-1].seq + 1)) is not None and nxt.header.prev == run[-1].id and len(run) < MAX_RUN:
        run.append(nxt)
    return run


class MemoryReplica:
    """A complete Replica kept in memory: per-author logs checked with events.chain.ChainVerifier."""

    def __init__(self) -> None:
        self._logs: dict[bytes, list[Event]] = {}
        self._proofs: dict[bytes, ForkProof] = {}

    async def heads(self) -> dict[bytes, ChainHead]:
        """Return the newest stored event of every author."""
        return {author: ChainHead.of(log[-1]) for author, log in self._logs.items()}

    async def read_log(self, author: bytes, from_seq: int, limit: int) -> list[Event]:
        """Return up to `limit` stored events of `author` from `from_seq` on."""
        log = self._logs.get(author, [])
        start = max(from_seq, 1) - 1
        return log[start : start + max(limit, 0)]

    async def flush(self) -> None:
        """Nothing is derived from the logs here."""

    async def fork_proofs(self, authors: Iterable[bytes] | None = None) -> list[ForkProof]:
        """Return the stored fork proofs, for `authors` only when given."""
        if authors is None:
            return list(self._proofs.values())
        return [self._proofs[a] for a in authors if a in self._proofs]

    async def add_fork_proof(self, proof: ForkProof) -> bool:
        """Store a verified fork proof; True iff it is the first for its author."""
        if proof.author in self._proofs:
            return False
        self._proofs[proof.author] = proof
        return True

    def event_count(self) -> int:
        """Return how many events are stored (all authors)."""
        return sum(len(log) for log in self._logs.values())

    async def ingest(self, events: Sequence[Event]) -> IngestResult:
        """Check and store `events`; never overwrite; conflicting signed events become fork proofs."""
        by_author: dict[bytes, dict[bytes, Event]] = defaultdict(dict)
        for event in events:
            by_author[event.author][event.id] = event
        result = IngestResult()
        for author, unique in by_author.items():
            ordered = sorted(unique.values(), key=lambda e: (e.seq, e.id))
            result = result.merge(self._ingest_author(author, ordered))
        return result

    def _ingest_author(self, author: bytes, ordered: list[Event]) -> IngestResult:
        log = self._logs.get(author, [])
        try:
            verifier = ChainVerifier(author, Mode.HEAD, ChainHead.of(log[-1]) if log else None)
        except EventError as exc:
            return IngestResult(rejected=tuple(Rejection(author, e.seq, e.id, exc.code, str(exc)) for e in ordered))
        duplicates = 0
        conflicts: list[Event] = []
        fresh: list[Event] = []
        for event in ordered:
            if event.seq <= len(log):
                if log[event.seq - 1].id == event.id:
                    duplicates += 1
                else:
                    conflicts.append(event)
            else:
                fresh.append(event)
        rejected: list[Rejection] = []
        released: list[Event] = []
        for i, event in enumerate(fresh):
            try:
                released.extend(verifier.feed(event))
            except ChainError as exc:
                rejected.append(Rejection(author, event.seq, event.id, exc.code, str(exc)))
                rejected.extend(Rejection(author, e.seq, e.id, "after_break", "follows a broken link") for e in fresh[i + 1 :])
                break
        released.extend(verifier.finish())
        rejected.extend(Rejection(author, p.seq, p.event_id, "unvouched", p.message) for p in verifier.rejected)
        if released:
            self._logs.setdefault(author, log).extend(released)
        forks: list[ForkProof] = []
        if conflicts:
            proof, why = self._prove_fork(author, conflicts, ordered, log)
            if proof is not None and author not in self._proofs:
                self._proofs[author] = proof
                forks.append(proof)
            rejected.extend(Rejection(author, e.seq, e.id, why, "conflicts with the stored event at this seq") for e in conflicts)
        return IngestResult(tuple(released), duplicates, tuple(forks), tuple(rejected))

    def _prove_fork(
        self, author: bytes, conflicts: list[Event], ordered: list[Event], log: list[Event]
    ) -> tuple[ForkProof | None, str]:
        """Return a fork proof from the first conflict whose run is signed, or None and why not."""
        if author in self._proofs:
            return self._proofs[author], "forked"
        incoming = {e.seq: e for e in ordered}
        for first in conflicts:
            theirs = _signed_run(_linked_run(first, incoming))
            ours = _signed_run(log[first.seq - 1 : first.seq - 1 + MAX_RUN])
            if theirs is not None and ours is not None:
                return fork_proof_from_events(ours, theirs), "conflict"
        return None, "unvouched"
