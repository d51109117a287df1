"""The store as the protocol sees it (`Replica`) and a complete in-memory replica; ingest is decided by events.ingest."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from events import ChainHead, Event, ForkProof, Mode
from events.fork import MAX_RUN
from events.ingest import FORK_CODES, IngestResult, Rejection, decide
from events.supersede import KeyBook, KeyChange

from .ranges import Fingerprint, KeyRange, SortedHeads

__all__ = ["FORK_CODES", "IngestResult", "MemoryReplica", "Rejection", "Replica"]


@runtime_checkable
class Replica(Protocol):
    """A node's event store as the protocol uses it. Every method may do I/O, so every method is async.

    Guarantees an implementation must keep: `ingest` stores exactly what events.ingest.decide says
    (valid events continuing after the stored head, at most one new fork proof per author), never
    overwrites a stored event, and returns that decision; a blocked author is filtered out before `ingest`.
    """

    async def heads(self) -> Mapping[bytes, ChainHead]:
        """Return the newest stored event of every author."""
        ...

    async def read_log(self, author: bytes, from_seq: int, limit: int) -> list[Event]:
        """Return up to `limit` stored events of `author` with seq >= `from_seq`, in seq order."""
        ...

    async def heads_of(self, authors: Sequence[bytes]) -> Mapping[bytes, ChainHead]:
        """Return the newest stored event of each of `authors` that has one."""
        ...

    async def head_ranges(self, ranges: Sequence[KeyRange], limit: int) -> list[list[ChainHead]]:
        """Return, for each key range, up to `limit` heads of the authors in it, ascending (one call for many ranges)."""
        ...

    async def fingerprints(self, ranges: Sequence[KeyRange]) -> list[Fingerprint]:
        """Return the fingerprint of the stored heads in each range (protocol/ranges.py), without loading all heads."""
        ...

    async def ingest(self, events: Sequence[Event]) -> IngestResult:
        """Check and store `events` (any authors, any order); return what happened to each."""
        ...

    async def signing_keys(self, authors: Sequence[bytes]) -> Mapping[bytes, bytes]:
        """Return the key in force of each of `authors` whose log rotated (docs/PROTOCOL.md §11); others sign with
        their author key."""
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


class MemoryReplica:
    """A complete Replica kept in memory: per-author logs, ingest decided by events.ingest.decide."""

    def __init__(self, mode: Mode = Mode.HEAD) -> None:
        self.mode = mode
        self._logs: dict[bytes, list[Event]] = {}
        self._ids: set[bytes] = set()
        self._proofs: dict[bytes, ForkProof] = {}
        self._sorted = SortedHeads()  # the heads in author order, for reconciliation
        self._keys = KeyBook()
        self.superseded: list[Event] = []  # stored events a rotation superseded (docs/PROTOCOL.md §11.1), dropped

    async def heads(self) -> dict[bytes, ChainHead]:
        """Return the newest stored event of every author."""
        return {author: ChainHead.of(log[-1]) for author, log in self._logs.items()}

    async def read_log(self, author: bytes, from_seq: int, limit: int) -> list[Event]:
        """Return up to `limit` stored events of `author` from `from_seq` on."""
        log = self._logs.get(author, [])
        start = max(from_seq, 1) - 1
        return log[start : start + max(limit, 0)]

    async def heads_of(self, authors: Sequence[bytes]) -> dict[bytes, ChainHead]:
        """Return the newest stored event of each of `authors` that has one."""
        return await self._sorted.heads_of(authors)

    async def head_ranges(self, ranges: Sequence[KeyRange], limit: int) -> list[list[ChainHead]]:
        """Return, for each range, up to `limit` heads of the authors in it, ascending."""
        return await self._sorted.head_ranges(ranges, limit)

    async def fingerprints(self, ranges: Sequence[KeyRange]) -> list[Fingerprint]:
        """Return the fingerprint of the heads in each range."""
        return await self._sorted.fingerprints(ranges)

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

    async def signing_keys(self, authors: Sequence[bytes]) -> dict[bytes, bytes]:
        """Return the key in force of each of `authors` whose log rotated."""
        heads = self._keys.key_heads(authors)
        return {a: last.state.key for a, (last, rotation) in heads.items() if rotation is not None}

    def event_count(self) -> int:
        """Return how many events are stored (all authors)."""
        return sum(len(log) for log in self._logs.values())

    async def ingest(self, events: Sequence[Event]) -> IngestResult:
        """Check and store `events` by the one ingest decision (events.ingest); never overwrite."""
        heads = {a: ChainHead.of(self._logs[a][-1]) for a in {e.author for e in events} if a in self._logs}
        result = decide(events, heads, self, self.mode)
        for cut in result.superseded:  # drop the superseded branch first: the rotated one takes its seqs
            log = self._logs[cut.author]
            dropped, self._logs[cut.author] = log[cut.seq - 1 :], log[: cut.seq - 1]
            self.superseded += dropped
            self._ids.difference_update(e.id for e in dropped)
            self._keys.cut(cut.author, cut.seq)
        self._keys.add(result.keys)
        for event in result.stored:  # each author's in seq order, continuing after its head
            self._logs.setdefault(event.author, []).append(event)
            self._ids.add(event.id)
            self._sorted.put(ChainHead.of(event))
        for proof in result.forks:
            self._proofs.setdefault(proof.author, proof)
        return result

    # -- events.ingest.StoredLog -------------------------------------------------------------------------

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        """Return which of `event_ids` are stored."""
        return {i for i in event_ids if i in self._ids}

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        """Return up to MAX_RUN stored events of `author` from `seq` on."""
        log = self._logs.get(author, [])
        return log[max(seq, 1) - 1 : max(seq, 1) - 1 + MAX_RUN]

    def forked(self, author: bytes) -> bool:
        """Return whether a fork proof of `author` is held."""
        return author in self._proofs

    def key_heads(self, authors: list[bytes]) -> dict[bytes, tuple[KeyChange, KeyChange | None]]:
        """Return each of `authors`' last key change and last rotation (those with key changes)."""
        return self._keys.key_heads(authors)

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        """Return `author`'s last key change (only rotations if `rotation`) at or below `seq`, or None."""
        return self._keys.key_change(author, seq, rotation)
