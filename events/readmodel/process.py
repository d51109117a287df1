"""Proposal processes: which positions fit a proposal, its tally, and the outcome its process defines (docs/KINDS.md).

Pure functions of the proposal document and its position documents (events/readmodel/projection.py keeps one
position document per proposal and group, with every position the group took in its `log`), so every node
that holds the same events computes the same tally and outcome, whatever order they arrived in:
- a group's position is the newest of its positions on the proposal, by (timestamp, event id), taken no later
  than the cut (the proposal's closing time, for the outcome);
- a position that does not fit the process (wrong kind of position, a block or objection without a reason,
  advice without text, a vote for no option of the proposal) or comes from a group that was not asked counts
  for nothing;
- a proposal without a process is decided as consensus was before processes (a block needs no reason);
- a withdrawn proposal counts no position taken after its withdrawal and has no outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..kinds.payloads import PROCESS_POSITIONS
from .view import Put

LEGACY = "consensus"  # what a proposal without a process is decided by
_ID, _TS, _KIND, _PAYLOAD = 0, 2, 3, 4  # fields of a log entry (events/readmodel/projection.py)
NEEDS_REASON = ("block", "object", "advice")
WITHDRAWN = "withdrawn"  # the status proposal.withdrawn ends a proposal in (events/kinds/assembling.py)


@dataclass(frozen=True, slots=True)
class Answer:
    """One group's counted position: who, which position, the option voted for, the reason, when (ms) and the event."""

    group: bytes
    position: str
    option: str | None
    reason: str | None
    timestamp: int
    event: bytes


@dataclass(frozen=True, slots=True)
class Tally:
    """The counted positions on a proposal: counts per position (or per option, for a vote), answers, who has not answered."""

    process: str
    counts: tuple[tuple[str, int], ...]
    answers: tuple[Answer, ...]  # by group key
    waiting: tuple[bytes, ...]  # asked groups without a counted position, by key (empty when every group is asked)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the process defines at closing: a result code, the groups behind it, and the decision it suggests."""

    result: str  # blocked, agreed, no_agreement, objected, consented, advised, concerns, supported, no_answers, chosen, tie
    groups: tuple[bytes, ...]  # who blocked or objected (by key)
    option: str | None  # the option chosen by a vote
    decision: str  # the decision.recorded outcome it suggests: adopted, rejected or deferred


def _doc(item: Put | dict[str, Any]) -> dict[str, Any]:
    return item.doc if isinstance(item, Put) else item


def process_of(proposal: Put | dict[str, Any]) -> str:
    """Return the proposal's process (consensus for a proposal tabled without one)."""
    return _doc(proposal).get("process") or LEGACY


def withdrawn_at(proposal: Put | dict[str, Any]) -> int | None:
    """Return when (ms) the proposal was withdrawn, or None if it was not."""
    doc = _doc(proposal)
    return doc.get("closed_at") if doc.get("status") == WITHDRAWN else None


def _cut(proposal: Put | dict[str, Any], until: int | None) -> int | None:
    """Return `until` (None: no limit) clamped to the withdrawal time: positions after a withdrawal never count."""
    gone = withdrawn_at(proposal)
    if gone is None:
        return until
    return gone if until is None else min(until, gone)


def misfit(proposal: Put | dict[str, Any], author: bytes, payload: dict[str, Any]) -> str | None:
    """Return why a position payload of `author` does not count on this proposal, or None if it fits."""
    doc = _doc(proposal)
    process, position = process_of(doc), payload.get("position")
    if position not in PROCESS_POSITIONS[process]:
        return f"a {process} proposal takes {', '.join(PROCESS_POSITIONS[process])}, not {position}"
    asked = doc.get("asked") or ()
    if asked and author not in asked:
        return "the proposal does not ask this group"
    if "process" in doc and position in NEEDS_REASON and not (payload.get("reason") or "").strip():
        return "advice needs its text" if position == "advice" else f"to {position} needs a reason"
    if process == "vote" and payload.get("option") not in (doc.get("options") or ()):
        return "a vote names one of the proposal's options"
    return None


def answer_of(proposal: Put | dict[str, Any], position: Put | dict[str, Any], until: int | None = None) -> Answer | None:
    """Return a group's counted position: its newest at or before `until` (None: any), if that one fits; else None."""
    doc = _doc(position)
    log = [e for e in doc.get("log", ()) if until is None or e[_TS] <= until]
    if not log:
        return None
    newest = max(log, key=lambda e: (e[_TS], e[_ID]))
    payload, author = newest[_PAYLOAD], doc["author"]
    if misfit(proposal, author, payload) is not None:
        return None
    return Answer(author, payload["position"], payload.get("option"), payload.get("reason"), newest[_TS], newest[_ID])


def tally(proposal: Put | dict[str, Any], positions: Iterable[Put | dict[str, Any]], until: int | None = None) -> Tally:
    """Return the tally of the positions on this proposal (others are ignored), each group's newest up to `until`
    (and never after the proposal's withdrawal)."""
    doc = _doc(proposal)
    until = _cut(doc, until)
    process = process_of(doc)
    answers: dict[bytes, Answer] = {}
    for item in positions:
        position = _doc(item)
        if position.get("proposal") != doc["id"]:
            continue
        answer = answer_of(doc, position, until)
        if answer is not None:
            answers[answer.group] = answer
    names = tuple(doc.get("options") or ()) if process == "vote" else PROCESS_POSITIONS[process]
    counts = dict.fromkeys(names, 0)
    for answer in answers.values():
        key = answer.option if process == "vote" else answer.position
        counts[key] = counts.get(key, 0) + 1
    waiting = tuple(sorted(g for g in doc.get("asked") or () if g not in answers))
    return Tally(process, tuple(counts.items()), tuple(answers[g] for g in sorted(answers)), waiting)


def closing_tally(proposal: Put | dict[str, Any], positions: Iterable[Put | dict[str, Any]]) -> Tally:
    """Return the tally at the proposal's closing time (the live tally if it has none)."""
    return tally(proposal, positions, _doc(proposal).get("closes_at"))


def is_closed(proposal: Put | dict[str, Any], now: int) -> bool:
    """True iff the proposal takes no more positions: it was withdrawn, or has a closing time and `now` (ms) is after it."""
    closes = _doc(proposal).get("closes_at")
    return withdrawn_at(proposal) is not None or (closes is not None and now > closes)


def outcome(proposal: Put | dict[str, Any], positions: Iterable[Put | dict[str, Any]]) -> Outcome | None:
    """Return the outcome the proposal's process defines from the positions counted at its closing time; None
    for a withdrawn proposal (it has none)."""
    if withdrawn_at(proposal) is not None:
        return None
    final = closing_tally(proposal, positions)
    counts = dict(final.counts)
    by = {name: tuple(a.group for a in final.answers if a.position == name) for name in ("block", "object")}
    process = final.process
    if not final.answers:
        return Outcome("no_answers", (), None, "deferred")
    if process == "consensus":
        if by["block"]:
            return Outcome("blocked", by["block"], None, "rejected")
        return Outcome("agreed", (), None, "adopted") if counts["agree"] else Outcome("no_agreement", (), None, "deferred")
    if process == "consent":
        return Outcome("objected", by["object"], None, "rejected") if by["object"] else Outcome("consented", (), None, "adopted")
    if process == "advice":
        return Outcome("advised", (), None, "deferred")
    if process == "sense_check":
        worried = tuple(a.group for a in final.answers if a.position == "thumbs_down")
        return Outcome("concerns", worried, None, "deferred") if worried else Outcome("supported", (), None, "adopted")
    best = max(counts.values())
    top = [name for name, count in counts.items() if count == best]
    return Outcome("chosen", (), top[0], "adopted") if len(top) == 1 else Outcome("tie", (), None, "deferred")


__all__ = [
    "Answer",
    "Outcome",
    "Tally",
    "answer_of",
    "closing_tally",
    "is_closed",
    "misfit",
    "outcome",
    "process_of",
    "tally",
    "withdrawn_at",
]
