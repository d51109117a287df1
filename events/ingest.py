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
- `key_superseded` (§11.1): it differs from a stored event at its seq and a stored rotation at or below that seq
  (on the stored branch) supersedes it: the pre-rotation key's branch lost to the rotated one.

The auditor uses the same codes (it takes each author's events in seq order, as a batch is decided here).

Key rotation (docs/PROTOCOL.md §11, events/supersede.py): each author's events are verified from its key state at
the stored head (`StoredLog.key_change`), conflicts under the key in force at their seq; the key changes of stored
events are returned (`keys`) for the store to keep, and a valid rotation that differs from the stored event at its
seq and links below it supersedes the stored branch (`superseded`): the store drops that branch, then stores it.
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
from .keystate import ROTATION_KIND, KeyState
from .supersede import KEY_KINDS, KEY_SUPERSEDED, KeyChange, Supersession, key_changes, valid_rotation

BAD_SIGNATURE = "bad_signature"
AFTER_BREAK = "after_break"
CONFLICT = "conflict"
UNPROVEN_CONFLICT = "unproven_conflict"
FORK_BRANCH = "fork_branch"

# Rejection codes that an honest relay can cause (it holds the other side of a fork); the rest mean forgery or lies.
FORK_CODES = frozenset({"broken_link", AFTER_BREAK, UNPROVEN_CONFLICT, FORK_BRANCH, KEY_SUPERSEDED})


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

    def key_heads(self, authors: list[bytes]) -> Mapping[bytes, tuple[KeyChange, KeyChange | None]]:
        """Return, for each of `authors` with a stored key change, its last key change and its last rotation."""
        ...

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        """Return the last stored key change (only rotations if `rotation`) of `author` at or below `seq`, or None."""
        ...


def key_state_at(log: StoredLog, author: bytes, seq: int) -> KeyState:
    """Return `author`'s key state after its stored event at `seq` (the inception state below any key event)."""
    change = log.key_change(author, seq) if seq > 0 else None
    return change.state if change is not None else KeyState.inception(author)


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
        with_heads = [a for a in groups if a in current]
        keyed = view.key_heads(with_heads) if with_heads else {}
        stored_before = len(out.stored)
        pending = []
        for author, evs in groups.items():
            pending += _decide_author(out, author, evs, mode, current.get(author), keyed.get(author), known, view)
        if pending:
            decided = out.stored[stored_before:]
            current.update((e.author, ChainHead.of(e)) for e in decided)
            view = _Decided(view, decided, out)
    return IngestResult(
        tuple(out.stored),
        out.duplicates,
        tuple(out.forks),
        tuple(out.forked),
        tuple(out.rejected),
        tuple(out.bad_signatures),
        tuple(out.keys),
        tuple(out.superseded),
    )


@dataclass(slots=True)
class _Outcome:
    stored: list[Event] = field(default_factory=list)
    duplicates: int = 0
    forks: list[ForkProof] = field(default_factory=list)
    forked: list[Rejection] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    bad_signatures: list[Rejection] = field(default_factory=list)
    keys: list[KeyChange] = field(default_factory=list)
    superseded: list[Supersession] = field(default_factory=list)


class _Decided:
    """A StoredLog as it will be once the events already decided are stored (for second versions of a seq)."""

    def __init__(self, log: StoredLog, decided: Sequence[Event], out: _Outcome):
        self._log = log
        self._ids = {e.id for e in decided}
        self._events: dict[bytes, list[Event]] = {}
        for event in decided:
            self._events.setdefault(event.author, []).append(event)
        self._keys = list(out.keys)
        self._cut = {s.author: s.seq for s in out.superseded}  # stored events from there on are being dropped

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        rest = [i for i in event_ids if i not in self._ids]
        return (set(event_ids) - set(rest)) | (self._log.known(rest) if rest else set())

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        # what was stored ends where the decided events of this author begin
        later = [e for e in self._events.get(author, ()) if e.seq >= seq]
        cut = self._cut.get(author)
        stored = [e for e in self._log.stored_from(author, seq) if cut is None or e.seq < cut]
        return (stored + later)[:MAX_RUN]

    def forked(self, author: bytes) -> bool:
        return self._log.forked(author)  # proofs made in this decision are in its outcome

    def key_heads(self, authors: list[bytes]) -> Mapping[bytes, tuple[KeyChange, KeyChange | None]]:
        out = dict(self._log.key_heads(authors))
        for author in authors:
            last = self.key_change(author, 2**63 - 1, False)
            if last is not None:
                out[author] = (last, self.key_change(author, 2**63 - 1, True))
        return out

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> KeyChange | None:
        mine = [k for k in self._keys if k.author == author and k.seq <= seq and (k.rotated or not rotation)]
        if mine:
            return mine[-1]
        cut = self._cut.get(author)
        return self._log.key_change(author, seq if cut is None else min(seq, cut - 1), rotation)


def _rejection(author: bytes, p: Problem) -> Rejection:
    return Rejection(author, p.seq, p.event_id, p.code, p.message)


def _decide_author(
    out: _Outcome,
    author: bytes,
    evs: list[Event],
    mode: Mode,
    head: ChainHead | None,
    keyed: tuple[KeyChange, KeyChange | None] | None,
    known: set[bytes],
    log: StoredLog,
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
        ed25519.load_public_key(author)
    except EventError as exc:
        out.rejected += [Rejection(author, e.seq, e.id, exc.code, f"author key is not acceptable: {exc}") for e in unique]
        return later
    head_keys = keyed[0].state if keyed is not None else KeyState.inception(author)
    rotated = keyed[1] if keyed is not None else None
    first_new = 0
    for i, event in enumerate(unique):
        if head is None or event.seq > head.seq:
            break
        first_new = i + 1
        if event.id in known:
            out.duplicates += 1
            continue
        before = key_state_at(log, author, event.seq - 1)
        below = _superseded_below(out, event, before, rotated, log)
        if below is not None:  # a rotation takes over from this seq: the rest are new events after `below`
            head, head_keys, first_new = below, before, i
            break
        if event.header.kind == ROTATION_KIND and valid_rotation(before, event) is not None:
            continue  # a rotation that cannot supersede: decided (and reported) by _superseded_below
        if rotated is not None and rotated.seq <= event.seq and _superseded(unique, i, rotated, log):
            message = f"the rotation at seq {rotated.seq} supersedes the pre-rotation key's events at or after it"
            out.rejected.append(Rejection(author, event.seq, event.id, KEY_SUPERSEDED, message))
            continue
        key = ed25519.load_public_key(before.key)
        _conflict(out, unique, i, key, log)
    new = unique[first_new:]
    if new:
        _decide_new(out, author, new, mode, head, head_keys)
    return later


def _signed(unique: list[Event], i: int, key: Any) -> bool:
    return signed_run(unique, i, key) is not None


def _superseded(unique: list[Event], i: int, rotation: KeyChange, log: StoredLog) -> bool:
    """Return whether unique[i]'s run, at or after the stored `rotation`, is signed by the key before it, not after."""
    old = ed25519.load_public_key(key_state_at(log, rotation.author, rotation.seq - 1).key)
    return not _signed(unique, i, ed25519.load_public_key(rotation.state.key)) and _signed(unique, i, old)


def _superseded_below(
    out: _Outcome, event: Event, before: KeyState, rotated: KeyChange | None, log: StoredLog
) -> ChainHead | None:
    """If `event` (different from the stored one at its seq) is a valid rotation from `before` that supersedes the
    stored branch, note it and return the stored event below it as a ChainHead; a valid rotation that cannot
    supersede is rejected here; anything else returns None."""
    after = valid_rotation(before, event) if event.header.kind == ROTATION_KIND else None
    if after is None:
        return None
    author, seq = event.author, event.seq
    if rotated is not None and rotated.seq >= seq:
        message = f"a second valid rotation at or below the stored one at seq {rotated.seq}: a fork no rule settles"
        out.rejected.append(Rejection(author, seq, event.id, UNPROVEN_CONFLICT, message))
        return None
    below = log.stored_from(author, seq - 1)[:1]
    if not below or below[0].seq != seq - 1 or event.header.prev != below[0].id:
        message = "a valid rotation on a branch that parts from the stored log below its seq"
        out.rejected.append(Rejection(author, seq, event.id, UNPROVEN_CONFLICT, message))
        return None
    assert after.commitment is not None
    out.superseded.append(Supersession(author, seq, event.id, after.key, after.commitment))
    return ChainHead.of(below[0])


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


def _decide_new(out: _Outcome, author: bytes, new: list[Event], mode: Mode, head: ChainHead | None, keys: KeyState) -> None:
    """Decide the events after the stored head with events.chain, from the author's key state `keys` there: valid
    ones are stored (with their key changes), the rest rejected."""
    verifier = ChainVerifier(author, mode, head, keys=keys)
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
    if verifier.rotations or any(e.header.kind in KEY_KINDS for e in released):
        out.keys += key_changes(keys, released)
