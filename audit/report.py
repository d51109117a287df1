"""The audit report: frozen, JSON-able values; every finding names the group, the event and the reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

WARNINGS = frozenset({"unknown_kind", "invalid_payload", "dangling_reference"})
"""Payload-problem codes: reported, never violations (the events are valid, docs/PROTOCOL.md §8 and §10.2)."""


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One author's log as the source holds it: events read, events valid, and the newest valid event."""

    group: str
    events: int
    valid: int
    head_seq: int
    head_id: str | None
    digest: str | None = None  # its group digest (state digest version 2); None if it holds no document


@dataclass(frozen=True, slots=True)
class Fork:
    """Two different events signed by one group at one seq (`source`: "events" or "fork_proof")."""

    group: str
    seq: int
    event_a: str
    event_b: str
    source: str


@dataclass(frozen=True, slots=True)
class Gap:
    """Seqs `first`..`last` of a group's log are missing from the source (events after them cannot link)."""

    group: str
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class InvalidEvent:
    """An event that is not valid; `count` > 1 folds a run of consecutive seqs with the same reason."""

    group: str
    seq: int
    event_id: str
    index: int
    code: str
    reason: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class Misordered:
    """A valid event the source holds more than once (`duplicate`; later copies are ignored): not a violation."""

    group: str
    seq: int
    event_id: str
    index: int
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class BadItem:
    """A bundle item that is neither a well-formed event nor a valid fork proof."""

    index: int
    code: str
    field: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Redaction:
    """A valid event whose payload is absent (dropped); its header still verifies."""

    group: str
    seq: int
    event_id: str
    kind: str


@dataclass(frozen=True, slots=True)
class Vouched:
    """A valid event whose own signature is bad, made valid by the signature of a later linked event."""

    group: str
    seq: int
    event_id: str
    vouched_by: str


@dataclass(frozen=True, slots=True)
class PayloadProblem:
    """A valid event whose payload does not fit its kind's schema (`invalid_payload`) or whose kind is unknown."""

    group: str
    seq: int
    event_id: str
    kind: str
    code: str
    field: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """A valid key rotation of a group's log (docs/PROTOCOL.md §11): its seq, the new key and the next commitment."""

    group: str
    seq: int
    event_id: str
    key: str
    next: str


@dataclass(frozen=True, slots=True)
class Superseded:
    """Events on another branch at or after a rotation of the log, signed by the pre-rotation key (§11.1): the
    rotation supersedes them (`count` > 1 folds consecutive seqs of one branch). Evidence, not a violation."""

    group: str
    seq: int
    event_id: str
    index: int
    rotation_seq: int
    count: int = 1


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Everything an audit found, and the state digest of the replayed read models."""

    source: str
    source_kind: str
    mode: str
    node: str | None
    items: int
    events: int
    valid_events: int
    digest: str  # the state digest version 2 (docs/KINDS.md), which nodes show
    digest_v1: str | None = None  # version 1, when asked for (and for URL audits): reports and nodes from before version 2
    groups: tuple[GroupSummary, ...] = ()
    forks: tuple[Fork, ...] = ()
    gaps: tuple[Gap, ...] = ()
    invalid: tuple[InvalidEvent, ...] = ()
    misordered: tuple[Misordered, ...] = ()
    bad_items: tuple[BadItem, ...] = ()
    redactions: tuple[Redaction, ...] = ()
    vouched: tuple[Vouched, ...] = ()
    payload_problems: tuple[PayloadProblem, ...] = ()
    rotations: tuple[KeyRotation, ...] = ()
    superseded: tuple[Superseded, ...] = ()
    damage: str | None = None
    advertised_digest: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def violations(self) -> int:
        """Return how many findings break the log's integrity (docs/PROTOCOL.md §10.2): forks, gaps, invalid events,
        bad items, badly signed valid events (full mode), damage and a differing advertised digest. Redactions,
        duplicates and payload problems are reported but are not violations."""
        return (
            len(self.forks)
            + len(self.gaps)
            + len(self.invalid)
            + len(self.bad_items)
            + len(self.vouched)
            + (self.damage is not None)
            + (self.advertised_digest is not None and self.advertised_digest not in (self.digest, self.digest_v1))
        )

    @property
    def clean(self) -> bool:
        """True iff the audit found no violation."""
        return self.violations == 0

    def to_json(self) -> dict[str, Any]:
        """Return the report as plain JSON values (lists, dicts, str, int, bool, None)."""
        out = asdict(self)
        out["violations"] = self.violations
        out["clean"] = self.clean
        return out
