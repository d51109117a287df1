"""One author's log as an auditor sees it stream by: chain checks, gaps, reordering, forks and findings.

Events reach `AuthorLog.add` in ascending seq order (docs/PROTOCOL.md §10: events at one seq in source order);
an event with a smaller seq than the one before raises `Reorder`, and the engine feeds the partition again from
a sorted copy. The next expected seq goes to an `events.ChainVerifier` (which decides validity exactly as nodes
do); an event from further ahead follows a gap (or a rejected event) and cannot link; an event at a seq already
taken is a duplicate or, if different, a conflict decided by the rules of events.ingest (`vouches`,
`conflict_code`): a fork if a signature on its branch vouches for it within MAX_RUN events. Valid events are
handed to `on_valid` in seq order.

Both modes have a fast path (given a `SignatureBatch`): each event that links is handed to `on_valid` at
once, while it is still in the CPU's caches, and the signatures it relies on go to the batch, which checks
them a few hundred at a time: in full mode every event's, in head-only mode each log's newest one (at
`finish`). That gives the same result as checking each signature before handing the event on exactly when
every one of them verifies; when one does not, the batch raises `SignatureRecheck` and the engine audits
the partition again without the fast path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from events import ChainError, ChainHead, ChainVerifier, Event, KeyState, Mode, ed25519, group_id_text
from events.ed25519 import load_public_key
from events.event import SIGNING_PREFIX
from events.ingest import AFTER_BREAK, FORK_BRANCH, conflict_code, vouches
from events.keystate import ROTATION_KIND

from .findings import Findings
from .scratch import BLOCK, ID_SIZE

_BLOCK_BYTES = BLOCK * ID_SIZE


class Reorder(Exception):
    """An author's events are not in ascending seq order in the source: audit the partition again, each log sorted.

    Control flow inside the engine, like SignatureRecheck (docs/PROTOCOL.md §10: a reader takes each author's events
    in seq order, events at one seq in source order; streaming does exactly that while the source is so ordered).
    """


class SignatureRecheck(Exception):
    """The fast path relied on a signature that does not verify: audit the partition again, checking each in turn.

    Control flow inside the engine, not an error: `engine.run_partition` catches it, so it never reaches a caller.
    """


class SignatureBatch:
    """Signatures the fast path relies on, verified `size` at a time in one tight loop.

    Verifying in a batch rather than between the Python work of each event keeps both the verify code and
    the per-event work warm in the CPU's caches (measured: docs/BENCHMARKS.md, audit).
    """

    def __init__(self, size: int = 256):
        self.size = size
        self._events: list[Event] = []
        self._keys: list[object] = []

    def add(self, event: Event, key: object) -> None:
        """Take a signature to check; check the batch once it is full (raising SignatureRecheck if one fails)."""
        self._events.append(event)
        self._keys.append(key)
        if len(self._events) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Check every signature taken; raise SignatureRecheck if one does not verify."""
        events, keys = self._events, self._keys
        self._events, self._keys = [], []
        # signature_valid written out, the library's function bound once: nothing but the verify in this loop
        verify, prefix = ed25519.verify, SIGNING_PREFIX
        for event, key in zip(events, keys, strict=True):
            if not verify(key, event.signature, prefix + event.header_bytes):
                raise SignatureRecheck(group_id_text(event.author))


@dataclass(slots=True)
class _Branch:
    seq: int
    first: bytes
    other: bytes
    index: int
    tip: Event
    count: int
    proven: bool
    superseded: int = 0  # the seq of the rotation that supersedes this branch (§11.1), else 0


def _links(tip: Event | None, event: Event) -> bool:
    return tip is not None and event.seq == tip.seq + 1 and event.header.prev == tip.id and event.author == tip.author


class AuthorLog:
    """The audit state of one author's log; `add` each event in source order, then `finish` once."""

    def __init__(
        self,
        author: bytes,
        mode: Mode,
        findings: Findings,
        seen,
        on_valid: Callable[[Event], None],
        checkpoint: int,
        *,
        signatures: SignatureBatch | None = None,
    ):
        self.author = author
        self.signatures = signatures
        self.optimistic = signatures is not None
        self.full = mode is Mode.FULL
        self.group = group_id_text(author)
        self.mode = mode
        self.findings = findings
        self.seen = seen
        self.on_valid = on_valid
        self.verifier = ChainVerifier(author, mode, checkpoint=checkpoint, keys=KeyState.inception(author))
        self.key = load_public_key(author)  # the key in force at the tip (docs/PROTOCOL.md §11)
        self.key_changes: list[tuple[int, object, object]] = []  # linked rotations: (seq, new key, pre-rotation key)
        # the newest event that linked (tip) and the newest valid one (head); ChainHeads are made only at the end
        self.tip: Event | None = None
        self.head: Event | None = None
        self.pending_index: dict[bytes, int] = {}
        self.broken_at: int | None = None
        self.last_seq = 0
        self.branch: _Branch | None = None
        self.events = 0
        self.valid = 0
        # the ids of the newest linked events, from seq stored+1 on; full blocks go to `seen` (ScratchView)
        self.ids = bytearray()
        self.stored = 0

    def add(self, index: int, event: Event) -> None:
        """Take the next event of this author from the source."""
        self.events += 1
        branch = self.branch
        if branch is not None and _links(branch.tip, event):
            branch.tip = event
            branch.count += 1
            if not branch.proven and not branch.superseded and vouches(branch.count, event, self._key_at(event.seq)):
                self._prove(branch)
            return
        seq = event.header.seq
        if seq < self.last_seq:
            raise Reorder(self.group)
        self.last_seq = seq
        expected = 1 if self.tip is None else self.tip.header.seq + 1
        if seq == expected:
            self._feed(index, event)
            return
        if seq < expected:
            seen = self._seen_id(seq)
            if seen == event.id:
                self.findings.misordered(self.group, event, index, "duplicate", "the source holds this event more than once")
            else:
                self._conflict(index, event, seen)
            return
        if self.broken_at is not None:  # an event before it was rejected and nothing linked since
            reason = f"follows the invalid event at seq {self.broken_at}"
            self.findings.invalid(self.group, seq, event.id, index, AFTER_BREAK, reason)
            return
        # nothing at seq `expected` in the source (events come in seq order): a gap, and this event cannot link
        self.findings.gap(self.group, expected, seq - 1)
        self._feed(index, event)

    def _feed(self, index: int, event: Event) -> bool:
        try:
            if self.optimistic:
                self.verifier.advance(event)
                if self.full:
                    self.signatures.add(event, self.verifier.key)
                released = [event]
            else:
                released = self.verifier.feed(event)
        except ChainError as exc:
            if self.broken_at is None:
                self.broken_at = event.seq
            self.findings.invalid(self.group, event.seq, event.id, index, exc.code, exc.message)
            return False
        if event.header.kind == ROTATION_KIND:  # it linked, so it is a valid rotation (its own signature verified)
            self.key_changes.append((event.seq, self.verifier.key, self.key))
            self.key = self.verifier.key
        self.tip = event
        self.broken_at = None
        ids = self.ids
        ids += event.id  # (the id of seq tip.seq: events are fed in seq order)
        if len(ids) == _BLOCK_BYTES:
            self.seen.store_ids(self.author, self.stored // BLOCK, bytes(ids))
            self.stored += BLOCK
            ids.clear()
        if len(released) == 1 and released[0] is event:  # the usual case in full mode: valid at once
            self.on_valid(event)
            self.valid += 1
            self.head = event
            return True
        self.pending_index[event.id] = index
        if released:
            self._release(released)
        return True

    def _seen_id(self, seq: int) -> bytes | None:
        """Return the id of the linked event at `seq`, or None."""
        if seq > self.stored:
            at = (seq - self.stored - 1) * ID_SIZE
            return bytes(self.ids[at : at + ID_SIZE]) if 0 <= at < len(self.ids) else None
        return self.seen.stored_id(self.author, seq)

    def _release(self, released: list[Event]) -> None:
        if not released:
            return
        if self.mode is Mode.FULL and len(released) > 1:
            voucher = released[-1].id.hex()
            for event in released[:-1]:
                self.findings.vouched(self.group, event, voucher)
        pop, on_valid = self.pending_index.pop, self.on_valid
        for event in released:
            pop(event.id, None)
            on_valid(event)
        self.valid += len(released)
        self.head = released[-1]

    def _key_at(self, seq: int) -> object:
        """Return the key in force for the log's event at `seq` (the new key from a rotation's seq on)."""
        for at, key, _old in reversed(self.key_changes):
            if at <= seq:
                return key
        return self.key_changes[0][2] if self.key_changes else self.key

    def _conflict(self, index: int, event: Event, seen: bytes | None) -> None:
        self._close_branch()
        other = seen or b""
        branch = _Branch(event.seq, other, event.id, index, event, 1, False)
        self.branch = branch
        key = self._key_at(event.seq)
        if self.key_changes:  # as events.ingest decides: the log's latest rotation supersedes the old key's branches
            at, new, old = self.key_changes[-1]
            if at <= event.seq and not vouches(1, event, new) and vouches(1, event, old):
                branch.superseded = at
                return
        if vouches(1, event, key):
            self._prove(branch)

    def _prove(self, branch: _Branch) -> None:
        branch.proven = True
        self.findings.fork(self.group, self.author, branch.seq, branch.first, branch.other, "events")

    def _close_branch(self) -> None:
        branch, self.branch = self.branch, None
        if branch is None:
            return
        if branch.superseded:
            self.findings.superseded_branch(self.group, branch.seq, branch.other, branch.index, branch.superseded, branch.count)
            return
        # the first event at the seq is in the source's log: its side of the fork needs no proof here
        code = conflict_code(branch.proven, provable=True)
        if code == FORK_BRANCH:
            reason = f"on the other branch of the fork at seq {branch.seq}"
        else:
            reason = f"differs from the event {branch.first.hex()} at seq {branch.seq} and no signature on its branch verifies"
        self.findings.invalid(self.group, branch.seq, branch.other, branch.index, code, reason, count=branch.count)

    def finish(self) -> None:
        """Settle the log: release what a signature vouches for, report the rest (unvouched: bad_signature).

        On the fast path in head-only mode, the newest linked event's signature goes to the batch.
        """
        if self.optimistic and not self.full and self.head is not None:
            self.signatures.add(self.head, self.verifier.key)
        self._close_branch()
        self._release(self.verifier.finish())
        for rotation in self.verifier.rotations:
            self.findings.rotation(self.group, rotation.seq, rotation.event_id, rotation.key, rotation.next)
        for problem in self.verifier.rejected:
            index = self.pending_index.get(problem.event_id, -1)
            self.findings.invalid(self.group, problem.seq, problem.event_id, index, problem.code, problem.message)
        self.pending_index.clear()
        self.findings.group(self.group, self.events, self.valid, None if self.head is None else ChainHead.of(self.head))
