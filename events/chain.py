"""Chain checks: which events of one author's log are valid, in full or head-only mode.

Validity (docs/PROTOCOL.md, "Validity"): an event is valid iff it is well-formed, it links to the
author's previous valid event (seq + 1, prev = that event's id, timestamp not smaller), and it or a
later event linked to it carries a signature that verifies. A signature covers the header, whose
`prev` covers the previous header, so a good signature vouches for every event below it. Full mode
checks every signature and also reports vouched events whose own signature is bad; head-only mode
checks the newest signature of each run (walking back only when it fails). Both accept exactly the
same events.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from . import ed25519
from .errors import AuthorMismatchError, BrokenLinkError, ChainError, SeqGapError, TimestampRegressionError
from .event import Event, signature_valid
from .keystate import COMMIT_KIND, ROTATION_KIND, KeyState, Rotation, apply_key_event

KEY_KINDS = frozenset({COMMIT_KIND, ROTATION_KIND})


class Mode(enum.Enum):
    """How many signatures a chain check verifies."""

    FULL = "full"
    HEAD = "head"


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest valid event of an author's log, as far as a verifier knows it."""

    author: bytes
    seq: int
    id: bytes
    timestamp: int

    @classmethod
    def of(cls, event: Event) -> ChainHead:
        if cls is not ChainHead:
            return cls(event.author, event.seq, event.id, event.header.timestamp)
        header = event.header
        return _chain_head(header.author, header.seq, event.id, header.timestamp)


# A verifier makes a ChainHead for every event fed: its slots are set through their descriptors rather than
# by the frozen __init__ (one object.__setattr__ call per field), the same value at about half the cost.
_new = object.__new__
_set_author, _set_seq, _set_id, _set_timestamp = (ChainHead.__dict__[f.name].__set__ for f in fields(ChainHead))


def _chain_head(author: bytes, seq: int, eid: bytes, timestamp: int) -> ChainHead:
    head = _new(ChainHead)
    _set_author(head, author)
    _set_seq(head, seq)
    _set_id(head, eid)
    _set_timestamp(head, timestamp)
    return head


@dataclass(frozen=True, slots=True)
class Problem:
    """Why an event is not valid, or (for `bad_signature` in full mode) was valid only by a later signature."""

    seq: int
    event_id: bytes
    code: str
    message: str


def check_link(head: ChainHead | None, event: Event, author: bytes) -> None:
    """Raise ChainError unless `event` may follow `head` in `author`'s log."""
    header = event.header
    if header.author != author:
        raise AuthorMismatchError("event is by another author", field="author", event_id=event.id.hex())
    if head is None:
        if header.seq != 1:
            raise SeqGapError(f"log starts at seq {header.seq}, not 1", field="seq", event_id=event.id.hex())
        return
    if header.seq != head.seq + 1:
        raise SeqGapError(f"seq {header.seq} does not follow {head.seq}", field="seq", event_id=event.id.hex())
    if header.prev != head.id:
        raise BrokenLinkError(f"prev of seq {header.seq} is not the id of seq {head.seq}", field="prev", event_id=event.id.hex())
    if header.timestamp < head.timestamp:
        raise TimestampRegressionError(
            f"timestamp {header.timestamp} is before the previous event's {head.timestamp}",
            field="timestamp",
            event_id=event.id.hex(),
        )


@dataclass(slots=True)
class ChainVerifier:
    """Checks one author's events as they stream in and releases them once a signature vouches for them.

    `feed` returns the events that became valid; events whose validity still waits on a later signature
    are held (at most `checkpoint` of them in head-only mode while signatures verify). `finish` settles
    the held events: valid if some held event's signature verifies, otherwise unvouched and rejected.

    Without `keys` the verifier applies version 1 (a `key.rotate` is a chain_error). With the author's
    KeyState at `head` it applies key rotation (docs/PROTOCOL.md §11, events/keystate.py): signatures are
    checked under the key in force, a rotation's own signature is checked in both modes and vouches for
    every held event below it, and `keys` / `rotations` follow the valid events.
    """

    author: bytes
    mode: Mode = Mode.FULL
    head: ChainHead | None = None
    checkpoint: int = 1024
    pending: list[Event] = field(default_factory=list)
    bad_signatures: list[Problem] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    _tip: ChainHead | None = None
    _key: object = None
    keys: KeyState | None = None
    rotations: list[Rotation] = field(default_factory=list)
    _tip_keys: KeyState | None = None
    _changes: list[tuple[int, KeyState, Rotation | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = ed25519.load_public_key(self.author)
        self._tip = self.head
        self._tip_keys = self.keys
        if self.keys is not None and self.keys.key != self.author:
            self._key = ed25519.load_public_key(self.keys.key)

    @property
    def key(self) -> object:
        """Return the loaded public key in force at the last event fed (the author's until a rotation)."""
        return self._key

    def feed(self, event: Event) -> list[Event]:
        """Check `event` against the last one fed; return the events that this made valid."""
        if self._link(event):  # a rotation whose own signature verified: it vouches for everything held
            self.pending.append(event)
            return self._release(len(self.pending))
        if self.mode is Mode.FULL:
            if signature_valid(event, self._key):
                if not self.pending and not self._changes:  # the usual case: nothing held, just this one is valid
                    self.head = self._tip
                    return [event]
                self.pending.append(event)
                return self._release(len(self.pending))
            self.pending.append(event)
            self.bad_signatures.append(Problem(event.seq, event.id, "bad_signature", "signature does not verify"))
            return []
        self.pending.append(event)
        if len(self.pending) >= self.checkpoint and signature_valid(event, self._key):
            return self._release(len(self.pending))
        return []

    def advance(self, event: Event) -> None:
        """Check that `event` links to the last one fed and make it the head, checking no signature.

        For a caller that verifies the newest advanced event's signature itself and, if that fails, checks the
        log again with `feed` (the auditor's head-only fast path): until then the head is not known to be valid.
        """
        self._link(event)
        self.head = self._tip
        for _, keys, rotation in self._changes:
            self.keys = keys
            if rotation is not None:
                self.rotations.append(rotation)
        self._changes.clear()

    def _link(self, event: Event) -> bool:
        """Raise ChainError unless `event` may follow the last event fed; then make it the tip; True iff it rotated."""
        tip, header = self._tip, event.header
        # the usual case tested inline; check_link says what is wrong (or passes the first event of a log)
        if (
            tip is None
            or header.seq != tip.seq + 1
            or header.prev != tip.id
            or header.timestamp < tip.timestamp
            or header.author != self.author
        ):
            check_link(tip, event, self.author)
        rotated = False
        if header.kind in KEY_KINDS:
            if self._tip_keys is None:
                if header.kind == ROTATION_KIND:
                    raise ChainError(
                        "key rotation is not applied by this verifier (version 1; docs/PROTOCOL.md §11)",
                        field="kind",
                        event_id=event.id.hex(),
                    )
            else:
                state, rotation = apply_key_event(self._tip_keys, event)
                self._tip_keys = state
                self._changes.append((header.seq, state, rotation))
                if rotation is not None:
                    self._key = ed25519.load_public_key(state.key)
                    rotated = True
        self._tip = _chain_head(header.author, header.seq, event.id, header.timestamp)
        return rotated

    def finish(self) -> list[Event]:
        """Settle held events: return those a signature vouches for; the rest are rejected as unvouched."""
        released: list[Event] = []
        if self.mode is Mode.HEAD:
            for i in range(len(self.pending) - 1, -1, -1):
                if signature_valid(self.pending[i], self._key):
                    released = self._release(i + 1)
                    break
        for event in self.pending:
            self.rejected.append(Problem(event.seq, event.id, "bad_signature", "no signature at or after this event verifies"))
        unvouched = {event.id for event in self.pending}
        self.bad_signatures = [p for p in self.bad_signatures if p.event_id not in unvouched]
        self.pending = []
        self._tip = self.head
        self._tip_keys, self._changes = self.keys, []  # a commitment held and not vouched for is void
        return released

    def _release(self, count: int) -> list[Event]:
        released = self.pending[:count]
        # Releasing everything held (the usual case) makes the newest fed event the head: reuse it.
        self.head = self._tip if count == len(self.pending) else ChainHead.of(released[-1])
        del self.pending[:count]
        if self._changes:
            last = released[-1].header.seq
            while self._changes and self._changes[0][0] <= last:
                _, self.keys, rotation = self._changes.pop(0)
                if rotation is not None:
                    self.rotations.append(rotation)
        return released


@dataclass(frozen=True, slots=True)
class ChainResult:
    """Outcome of checking a sequence of one author's events."""

    valid: tuple[Event, ...]
    head: ChainHead | None
    rejected: tuple[Problem, ...]
    bad_signatures: tuple[Problem, ...]
    keys: KeyState | None = None
    rotations: tuple[Rotation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.bad_signatures


def verify_chain(
    events: Iterable[Event],
    author: bytes,
    mode: Mode = Mode.FULL,
    head: ChainHead | None = None,
    keys: KeyState | None = None,
) -> ChainResult:
    """Check `events` (in seq order, continuing after `head`) and return the valid ones and the problems.

    With `keys` (the author's key state at `head`) key rotation applies (docs/PROTOCOL.md §11).
    """
    verifier = ChainVerifier(author, mode, head, keys=keys)
    valid: list[Event] = []
    iterator = iter(events)
    for event in iterator:
        try:
            valid.extend(verifier.feed(event))
        except ChainError as exc:
            verifier.rejected.append(Problem(event.header.seq, event.id, exc.code, str(exc)))
            for later in iterator:
                verifier.rejected.append(Problem(later.header.seq, later.id, "after_break", "follows a broken link"))
            break
    valid.extend(verifier.finish())
    rejected = sorted(verifier.rejected, key=lambda p: p.seq)
    return ChainResult(
        tuple(valid), verifier.head, tuple(rejected), tuple(verifier.bad_signatures), verifier.keys, tuple(verifier.rotations)
    )
