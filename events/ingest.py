"""The one ingest decision: what a batch of peers' events does to the stored logs (docs/PROTOCOL.md, "Ingest").

Pure: the stored logs are read only through a `StoredLog` and the heads passed in, and the outcome is one
`IngestResult`; the caller writes it (the memory replica at once, the node's store in one transaction, deciding
again if a concurrent writer took a position first). The auditor, which streams a whole source in its own
order, asks the same questions through `vouches`, `conflict_code` and the codes below.

Rejection codes, besides the chain's own (events.errors: `seq_gap`, `broken_link`, `timestamp_regression`,
`author_mismatch`, `chain_error`, `payload_mismatch`, `identity_error`):
- `bad_signature`: no signature at or after the event verifies (events.chain), so nothing vouches for it.
- `after_break`: it follows, in the batch, an event that does not link.
- `conflict`: it differs from the stored event at its seq and no signature on its run verifies (a forgery).
- `unproven_conflict`: it differs from the stored event at its seq and its run is signed, but the stored
  side has no verifying signature within MAX_RUN events, so no fork proof can be made.
- `fork_branch`: it differs from the stored event at its seq, both sides are signed: it is on the other
  branch of a proven fork (the proof is in `forks`, or one was already held). Reported in `forked`.
The auditor uses the same codes (it takes each author's events in seq order, as a batch is decided here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import ed25519
from .chain import ChainHead, ChainVerifier, Mode, Problem, check_link
from .errors import ChainError, EventError
from .event import Event, check_payload, signature_valid
from .fork import MAX_RUN, ForkProof, fork_proof_from_events

BAD_SIGNATURE = "bad_signature"
AFTER_BREAK = "after_break"
CONFLICT = "conflict"
UNPROVEN_CONFLICT = "unproven_conflict"
FORK_BRANCH = "fork_branch"

# Rejection codes that an honest relay can cause (it holds the other side of a fork); the rest mean forgery or lies.
FORK_CODES = frozenset({"broken_link", AFTER_BREAK, UNPROVEN_CONFLICT, FORK_BRANCH})


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
    (`forked`, code fork_branch), rejections, and in full mode the stored events whose own signature is bad."""

    stored: tuple[Event, ...] = ()
    duplicates: int = 0
    forks: tuple[ForkProof, ...] = ()
    forked: tuple[Rejection, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    bad_signatures: tuple[Rejection, ...] = ()

    @property
    def misbehaviour(self) -> tuple[Rejection, ...]:
        """Rejections that an honest peer cannot cause (bad signatures, broken chains other than forks)."""
        return tuple(r for r in self.rejected if r.code not in FORK_CODES)

    def heads(self) -> dict[bytes, ChainHead]:
        """Return the new head of every author with stored events."""
        last = {event.author: event for event in self.stored}
        return {author: ChainHead.of(event) for author, event in last.items()}


class StoredLog(Protocol):
    """What the decision reads of the stored logs besides their heads."""

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        """Return which of `event_ids` are stored."""
        ...

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        """Return up to MAX_RUN stored events of `author` from `seq` on, in seq order."""
        ...

    def forked(self, author: bytes) -> bool:
        """Return whether a fork proof of `author` is stored."""
        ...


def vouches(position: int, event: Event, key: Any) -> bool:
    """Return whether `event`, the `position`-th (from 1) of a run, signs for the run: within MAX_RUN and verifying."""
    return position <= MAX_RUN and signature_valid(event, key)


def signed_run(events: Sequence[Event], start: int, key: Any) -> list[Event] | None:
    """Return the linked run events[start:k+1] that ends at the first event that `vouches` for it, or None."""
    run: list[Event] = []
    for event in events[start : start + MAX_RUN]:
        if run:
            try:
                check_link(ChainHead.of(run[-1]), event, event.author)
            except ChainError:
                return None
        run.append(event)
        if vouches(len(run), event, key):
            return run
    return None


def conflict_code(signed: bool, provable: bool) -> str:
    """Return the code of an event that differs from the stored one at its seq (`signed`: its run is; `provable`:
    the stored side is signed too, or a fork of the author is already proven)."""
    if not signed:
        return CONFLICT
    return FORK_BRANCH if provable else UNPROVEN_CONFLICT


def group_by_author(events: Iterable[Event]) -> dict[bytes, list[Event]]:
    """Return each author's events in seq order, stable (authors in order of first appearance)."""
    groups: dict[bytes, list[Event]] = {}
    for event in events:
        groups.setdefault(event.author, []).append(event)
    for evs in groups.values():
        evs.sort(key=lambda e: e.seq)
    return groups


def decide(events: Iterable[Event], heads: Mapping[bytes, ChainHead], log: StoredLog, mode: Mode = Mode.HEAD) -> IngestResult:
    """Return what storing `events` (any authors, any order) after `heads` does; see the module docstring.

    A second version of a seq within the batch is decided after the first, as if that were already stored.
    """
    out = _Outcome()
    pending = list(events)
    view: StoredLog = log
    current = dict(heads)
    while pending:
        groups = group_by_author(pending)
        candidates = [e.id for evs in groups.values() for e in evs if (h := current.get(e.author)) is not None and e.seq <= h.seq]
        known = view.known(candidates) if candidates else set()
        stored_before = len(out.stored)
        pending = []
        for author, evs in groups.items():
            pending += _decide_author(out, author, evs, mode, current.get(author), known, view)
        if pending:
            decided = out.stored[stored_before:]
            current.update((e.author, ChainHead.of(e)) for e in decided)
            view = _Decided(view, decided)
    return IngestResult(
        tuple(out.stored), out.duplicates, tuple(out.forks), tuple(out.forked), tuple(out.rejected), tuple(out.bad_signatures)
    )


@dataclass(slots=True)
class _Outcome:
    stored: list[Event] = field(default_factory=list)
    duplicates: int = 0
    forks: list[ForkProof] = field(default_factory=list)
    forked: list[Rejection] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    bad_signatures: list[Rejection] = field(default_factory=list)


class _Decided:
    """A StoredLog as it will be once the events already decided are stored (for second versions of a seq)."""

    def __init__(self, log: StoredLog, decided: Sequence[Event]):
        self._log = log
        self._ids = {e.id for e in decided}
        self._events: dict[bytes, list[Event]] = {}
        for event in decided:
            self._events.setdefault(event.author, []).append(event)

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        rest = [i for i in event_ids if i not in self._ids]
        return (set(event_ids) - set(rest)) | (self._log.known(rest) if rest else set())

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        # what was stored ends where the decided events of this author begin
        later = [e for e in self._events.get(author, ()) if e.seq >= seq]
        return (self._log.stored_from(author, seq) + later)[:MAX_RUN]

    def forked(self, author: bytes) -> bool:
        return self._log.forked(author)  # proofs made in this decision are in its outcome


def _rejection(author: bytes, p: Problem) -> Rejection:
    return Rejection(author, p.seq, p.event_id, p.code, p.message)


def _decide_author(
    out: _Outcome, author: bytes, evs: list[Event], mode: Mode, head: ChainHead | None, known: set[bytes], log: StoredLog
) -> list[Event]:
    """Decide one author's events (in seq order) into `out`; return the second versions of a seq, decided later."""
    unique: list[Event] = []
    later: list[Event] = []
    for event in evs:
        try:
            check_payload(event.header, event.payload, event.id)
        except EventError as exc:
            out.rejected.append(Rejection(author, event.seq, event.id, exc.code, str(exc)))
            continue
        if unique and unique[-1].seq == event.seq:
            if unique[-1].id == event.id:
                out.duplicates += 1
            else:
                later.append(event)
            continue
        unique.append(event)
    try:
        key = ed25519.load_public_key(author)
    except EventError as exc:
        out.rejected += [Rejection(author, e.seq, e.id, exc.code, f"author key is not acceptable: {exc}") for e in unique]
        return later
    first_new = 0
    for i, event in enumerate(unique):
        if head is None or event.seq > head.seq:
            break
        first_new = i + 1
        if event.id in known:
            out.duplicates += 1
        else:
            _conflict(out, unique, i, key, log)
    new = unique[first_new:]
    if new:
        _decide_new(out, author, new, mode, head)
    return later


def _conflict(out: _Outcome, unique: list[Event], i: int, key: Any, log: StoredLog) -> None:
    """Decide unique[i], which differs from the stored event at its seq: fork proof, fork branch or rejection."""
    event = unique[i]
    author = event.author
    theirs = signed_run(unique, i, key)
    proof: ForkProof | None = None
    provable = theirs is not None and (any(p.author == author for p in out.forks) or log.forked(author))
    why = ""
    if theirs is not None and not provable:
        stored = log.stored_from(author, event.seq)
        ours = signed_run(stored, 0, key) if stored else None
        try:
            proof = fork_proof_from_events(ours, theirs) if ours is not None else None
        except EventError as exc:
            why = f": {exc}"
        provable = proof is not None
    code = conflict_code(theirs is not None, provable)
    if code == FORK_BRANCH:
        if proof is not None:
            out.forks.append(proof)
        out.forked.append(Rejection(author, event.seq, event.id, code, f"on the other branch of the fork at seq {event.seq}"))
    elif code == CONFLICT:
        message = "differs from the stored event at this seq and no signature on its run verifies"
        out.rejected.append(Rejection(author, event.seq, event.id, code, message))
    else:
        message = f"differs from the stored event at this seq; no signed stored run to prove it{why}"
        out.rejected.append(Rejection(author, event.seq, event.id, code, message))


def _decide_new(out: _Outcome, author: bytes, new: list[Event], mode: Mode, head: ChainHead | None) -> None:
    """Decide the events after the stored head with events.chain: valid ones are stored, the rest rejected."""
    verifier = ChainVerifier(author, mode, head)
    released: list[Event] = []
    for i, event in enumerate(new):
        try:
            released += verifier.feed(event)
        except ChainError as exc:
            out.rejected.append(Rejection(author, event.seq, event.id, exc.code, str(exc)))
            out.rejected += [Rejection(author, e.seq, e.id, AFTER_BREAK, "follows a broken link") for e in new[i + 1 :]]
            break
    released += verifier.finish()
    out.rejected += [_rejection(author, p) for p in verifier.rejected]
    out.bad_signatures += [_rejection(author, p) for p in verifier.bad_signatures]
    out.stored += released
