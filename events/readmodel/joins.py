"""Read-time joins across authors: links are kept as refs, so totals are computed when they are read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..kinds import NEEDS, POSITIONS
from ..kinds.registry import FOLLOWS
from .projection import follow_key
from .view import Put, ViewReader

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
    callout_id = _doc(callout)["id"]
    counts: dict[tuple[str | None, str | None], list[int]] = {}
    groups: set[bytes] = set()
    for item in pledges:
        pledge = _doc(item)
        if pledge.get("callout") != callout_id:
            continue
        row = counts.setdefault((pledge.get("need"), pledge.get("status")), [0, 0])
        row[0] += 1
        row[1] += pledge.get("quantity", 1)
        if pledge.get("status") in ACTIVE_PLEDGE:
            groups.add(pledge["author"])
    return summary_from_counts(callout, [(n, s, c, q) for (n, s), (c, q) in counts.items()], len(groups))


def summary_from_counts(
    callout: Put | dict[str, Any], counts: Iterable[tuple[str | None, str | None, int, int]], groups: int
) -> CalloutSummary:
    """Return a callout's pledge totals from (need, status, pledges, summed quantity) rows and its active pledgers' count.

    The one definition of the totals: `callout_summary` counts pledges in memory, the node counts them in SQL.
    """
    doc = _doc(callout)
    totals: dict[str, list[int]] = {need: [0, 0, 0] for need in doc.get("needs", ())}
    active = fulfilled = withdrawn = 0
    for need, status, count, quantity in counts:
        if status not in ACTIVE_PLEDGE or need is None:
            withdrawn += count
            continue
        total = totals.setdefault(need, [0, 0, 0])
        total[0] += count
        total[1] += quantity
        done = count if status == "fulfilled" else 0
        total[2] += done
        active += count
        fulfilled += done
    asked = tuple(doc.get("needs", ()))
    order = [*asked, *(n for n in NEEDS if n in totals and n not in asked)]
    needs = tuple(NeedTotal(n, *totals[n]) for n in order)
    return CalloutSummary(doc["id"], needs, active, fulfilled, withdrawn, groups, doc.get("quantity"))


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
    return tally_from_counts(proposal_id, counts, blockers)


def tally_from_counts(proposal_id: bytes, counts: dict[str, int], blockers: Iterable[bytes]) -> Tally:
    """Return a proposal's tally from its count per position and the groups that block."""
    return Tally(
        proposal_id,
        counts.get("agree", 0),
        counts.get("stand_aside", 0),
        counts.get("block", 0),
        tuple(sorted(blockers)),
    )


def graph_edges(view: ViewReader, author: bytes, state: str) -> set[bytes]:
    """Return the groups `author` currently has in `state` ("follow" or "block") by its own graph events."""
    return {p.doc["group"] for p in view.scan(FOLLOWS, author=author) if p.doc.get("state") == state}


def edge_state(view: ViewReader, author: bytes, target: bytes) -> str:
    """Return the state of `author`'s edge to `target` by its own graph events: "follow", "block" or "none".

    `target in graph_edges(view, author, state)` for one target, by one lookup of the edge's document (a group
    that follows thousands is not scanned for one group's page)."""
    put = view.get(FOLLOWS, follow_key(author, target))  # (the key names both ends: its doc's group is `target`)
    return put.doc.get("state", "none") if put is not None else "none"
