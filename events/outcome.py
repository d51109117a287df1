"""What an ingest decision yields: its codes, its rejections and its result (events.ingest decides; docs/PROTOCOL.md §13.3)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .chain import ChainHead
from .event import Event
from .fork import ForkProof
from .supersede import KEY_SUPERSEDED, KeyChange, Supersession

BAD_SIGNATURE = "bad_signature"
AFTER_BREAK = "after_break"
CONFLICT = "conflict"
UNPROVEN_CONFLICT = "unproven_conflict"
FORK_BRANCH = "fork_branch"

# Rejection codes that an honest relay can cause (it holds the other side of a fork); the rest mean forgery or lies.
FORK_CODES = frozenset({"broken_link", AFTER_BREAK, UNPROVEN_CONFLICT, FORK_BRANCH, KEY_SUPERSEDED})
BRANCH_CODES = frozenset({CONFLICT, UNPROVEN_CONFLICT, FORK_BRANCH})  # a conflict's, shared by its branch


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event that was not stored (or, in `bad_signatures`, a finding about a stored one), and why."""

    author: bytes
    seq: int
    event_id: bytes
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What ingesting a batch did: events newly stored (each author's in seq order), duplicates, new fork proofs
    (at most one per author, none for an author already forked), events on the other branch of a proven fork
    (`forked`, code fork_branch), rejections, and in full mode the stored events whose own signature is bad;
    the key changes of the stored events (`keys`) and the rotations that supersede a stored branch (`superseded`:
    drop the author's stored events from that seq on before storing)."""

    stored: tuple[Event, ...] = ()
    duplicates: int = 0
    forks: tuple[ForkProof, ...] = ()
    forked: tuple[Rejection, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    bad_signatures: tuple[Rejection, ...] = ()
    keys: tuple[KeyChange, ...] = ()
    superseded: tuple[Supersession, ...] = ()

    @property
    def misbehaviour(self) -> tuple[Rejection, ...]:
        """Rejections that an honest peer cannot cause (bad signatures, broken chains other than forks)."""
        return tuple(r for r in self.rejected if r.code not in FORK_CODES)

    def heads(self) -> dict[bytes, ChainHead]:
        """Return the new head of every author with stored events."""
        last = {event.header.author: event for event in self.stored}
        return {author: ChainHead.of(event) for author, event in last.items()}


@dataclass(slots=True)
class Outcome:
    """What a decision has found so far (made into an IngestResult at the end)."""

    stored: list[Event] = field(default_factory=list)
    duplicates: int = 0
    forks: list[ForkProof] = field(default_factory=list)
    forked: list[Rejection] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    bad_signatures: list[Rejection] = field(default_factory=list)
    keys: list[KeyChange] = field(default_factory=list)
    superseded: list[Supersession] = field(default_factory=list)
