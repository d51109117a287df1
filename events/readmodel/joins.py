"""Read-time joins across authors: links are kept as refs, so totals are computed when they are read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..kinds import NEEDS, POSITIONS
from .view import Put

ACTIVE_PLEDGE = ("made", "fulfilled")


@dataclass(frozen=True, slots=True)
class NeedTotal:
    """Active pledges for one need: how many, their summed quantity (1 each when not given), how many delivered."""

    need: str
    pledges: int
    quantity: int
    fulfilled: int


@dataclass(frozen=True, slots=True)
class CalloutSummary:
    """Pledge totals of one callout: per need (the callout's needs first), active, fulfilled, withdrawn, groups."""

    callout: bytes
    needs: tuple[NeedTotal, ...]
    pledges: int
    fulfilled: int
    withdrawn: int
    groups: int
    wanted: int | None


def _doc(item: Put | dict[str, Any]) -> dict[str, Any]:
    return item.doc if isinstance(item, Put) else item


def callout_summary(callout: Put | dict[str, Any], pledges: Iterable[Put | dict[str, Any]]) -> CalloutSummary:
    """Return the pledge totals of a callout document, counting only pledges whose `callout` is its id.

    Active pledges are those made or fulfilled; withdrawn ones are only counted in `withdrawn`. A need
    pledged that the callout does not ask for still gets its own total, after the callout's needs.
    """
    doc = _doc(callout)
    callout_id = doc["id"]
    counts: dict[str, list[int]] = {need: [0, 0, 0] for need in doc.get("needs", ())}
    active = fulfilled = withdrawn = 0
    groups: set[bytes] = set()
    for item in pledges:
        pledge = _doc(item)
        if pledge.get("callout") != callout_id:
            continue
        if pledge.get("status") not in ACTIVE_PLEDGE:
            withdrawn += 1
            continue
        total = counts.setdefault(pledge["need"], [0, 0, 0])
        total[0] += 1
        total[1] += pledge.get("quantity", 1)
        done = pledge["status"] == "fulfilled"
        total[2] += done
        active += 1
        fulfilled += done
        groups.add(pledge["author"])
    asked = tuple(doc.get("needs", ()))
    order = [*asked, *(n for n in NEEDS if n in counts and n not in asked)]
    needs = tuple(NeedTotal(n, *counts[n]) for n in order)
    return CalloutSummary(callout_id, needs, active, fulfilled, withdrawn, len(groups), doc.get("quantity"))


@dataclass(frozen=True, slots=True)
class Tally:
    """Current positions on one proposal: counts per position and the groups that block."""

    proposal: bytes
    agree: int
    stand_aside: int
    block: int
    blocked_by: tuple[bytes, ...]


def proposal_tally(proposal: Put | dict[str, Any], positions: Iterable[Put | dict[str, Any]]) -> Tally:
    """Return the tally of the positions (one per group, the latest) whose `proposal` is this proposal's id."""
    proposal_id = _doc(proposal)["id"]
    counts = dict.fromkeys(POSITIONS, 0)
    blockers: list[bytes] = []
    for item in positions:
        doc = _doc(item)
        if doc.get("proposal") != proposal_id:
            continue
        counts[doc["position"]] += 1
        if doc["position"] == "block":
            blockers.append(doc["author"])
    return Tally(proposal_id, counts["agree"], counts["stand_aside"], counts["block"], tuple(sorted(blockers)))
