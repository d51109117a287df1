"""What one audit worker found, collected as it streams and merged across workers into the report."""

from __future__ import annotations

from dataclasses import dataclass, field

from events import Event, PayloadError, group_id_text
from events.chain import ChainHead
from events.kinds import KINDS, OWN_TARGETS, parse_event_payload

from . import report as r


@dataclass(slots=True)
class Findings:
    """Mutable per-worker collection of findings; `to_parts` returns them as report values."""

    groups: list[r.GroupSummary] = field(default_factory=list)
    forks: list[r.Fork] = field(default_factory=list)
    forked: set[bytes] = field(default_factory=set)
    gaps: list[r.Gap] = field(default_factory=list)
    invalid_rows: list[list] = field(default_factory=list)
    misordered_rows: list[r.Misordered] = field(default_factory=list)
    bad_items: list[r.BadItem] = field(default_factory=list)
    redactions: list[r.Redaction] = field(default_factory=list)
    vouched_rows: list[r.Vouched] = field(default_factory=list)
    payload_problems: list[r.PayloadProblem] = field(default_factory=list)
    rotations: list[r.KeyRotation] = field(default_factory=list)
    superseded: list[r.Superseded] = field(default_factory=list)
    _last_invalid: dict[str, list] = field(default_factory=dict)

    def invalid(self, group: str, seq: int, eid: bytes, index: int, code: str, reason: str, *, count: int = 1) -> None:
        """Record an invalid event; a run of consecutive seqs of one group with the same code folds into one."""
        last = self._last_invalid.get(group)
        if last is not None and last[4] == code and last[1] + last[6] == seq:
            last[6] += count
            return
        row = [group, seq, eid.hex(), index, code, reason, count]
        self.invalid_rows.append(row)
        self._last_invalid[group] = row

    def misordered(self, group: str, event: Event, index: int, code: str, reason: str) -> None:
        """Record a valid event held out of order or twice."""
        self.misordered_rows.append(r.Misordered(group, event.seq, event.id_hex, index, code, reason))

    def vouched(self, group: str, event: Event, voucher: str) -> None:
        """Record a valid event whose own signature is bad."""
        self.vouched_rows.append(r.Vouched(group, event.seq, event.id_hex, voucher))

    def gap(self, group: str, first: int, last: int) -> None:
        """Record missing seqs `first`..`last`."""
        self.gaps.append(r.Gap(group, first, last))

    def fork(self, group: str, author: bytes, seq: int, id_a: bytes, id_b: bytes, source: str) -> None:
        """Record a fork (ids in ascending order, like fork proofs)."""
        a, b = sorted((id_a, id_b))
        self.forks.append(r.Fork(group, seq, a.hex(), b.hex(), source))
        self.forked.add(author)

    def group(self, group: str, events: int, valid: int, head: ChainHead | None) -> None:
        """Record one author's summary."""
        self.groups.append(r.GroupSummary(group, events, valid, head.seq if head else 0, head.id.hex() if head else None))

    def redaction(self, event: Event) -> None:
        """Record a valid event whose payload is absent."""
        self.redactions.append(r.Redaction(group_id_text(event.author), event.seq, event.id_hex, event.kind))

    def payload_problem(self, event: Event, code: str, field_name: str | None, reason: str) -> None:
        """Record a valid event whose payload does not fit its kind, or whose kind is unknown."""
        self.payload_problems.append(
            r.PayloadProblem(group_id_text(event.author), event.seq, event.id_hex, event.kind, code, field_name, reason)
        )

    def rotation(self, group: str, seq: int, event_id: bytes, key: bytes, next_commitment: bytes) -> None:
        """Record a valid key rotation."""
        self.rotations.append(r.KeyRotation(group, seq, event_id.hex(), key.hex(), next_commitment.hex()))

    def superseded_branch(self, group: str, seq: int, event_id: bytes, index: int, rotation_seq: int, count: int) -> None:
        """Record a branch of `count` events from `seq` that the rotation at `rotation_seq` supersedes."""
        self.superseded.append(r.Superseded(group, seq, event_id.hex(), index, rotation_seq, count))

    def payload_problem_of(self, event: Event) -> None:
        """Record why a valid event with a payload changed no read model (nothing if its kind has no read model)."""
        if event.kind not in KINDS:  # not interpreted, whatever its bytes (docs/PROTOCOL.md §14)
            self.payload_problem(event, "unknown_kind", None, f"kind {event.kind!r} is not known to this auditor")
            return
        try:
            typed = parse_event_payload(event)
        except PayloadError as exc:
            self.payload_problem(event, "invalid_payload", exc.field, exc.message)
            return
        target = OWN_TARGETS.get(event.kind)  # a kind that changes an entity its own group created earlier
        if target is not None:
            ref = getattr(typed, target).hex()
            reason = f"{target} {ref} is not a {target} this group created earlier (or it was redacted)"
            self.payload_problem(event, "dangling_reference", target, reason)

    def invalid_events(self) -> list[r.InvalidEvent]:
        """Return the invalid-event findings as report values."""
        return [r.InvalidEvent(*row) for row in self.invalid_rows]
