"""A proposal's page: its process, live tally, who has not answered, positions' history, outcome once closed.

Blocking, like node/queries.py. A proposal's positions are one document per group (each with its history), read
in one indexed query of at most MAX_POSITIONS; the tally and outcome are events/readmodel/process.py's.
"""

from __future__ import annotations

from typing import Any

from events.identity import group_id_text
from events.kinds import friendly_value
from events.readmodel.process import Outcome, is_closed, outcome, tally
from events.readmodel.projection import ASSEMBLIES, DECISIONS, POSITIONS, PROPOSALS

from .errors import NotFoundError
from .paging import PageRequest
from .queries import doc_json, list_docs, names_of, parse_event_id
from .store.listing_sql import Where
from .store.views import ViewStore

MAX_POSITIONS = 1000  # groups whose positions one page counts (a proposal asks at most 100 by name)
HISTORY = 200  # position changes listed on the page
RESULTS = {
    "blocked": "Blocked by {groups}",
    "agreed": "Agreed",
    "no_agreement": "No agreement",
    "objected": "Objection from {groups}",
    "consented": "Consented (no objection)",
    "advised": "Advice given",
    "concerns": "Concerns from {groups}",
    "supported": "Supported",
    "no_answers": "Nobody answered",
    "chosen": "Chosen: {option}",
    "tie": "A tie",
}


def outcome_json(result: Outcome, names: dict[bytes, str], reasons: dict[bytes, str]) -> dict[str, Any]:
    """Return an outcome as JSON with its sentence ("Blocked by C") and the decision text it suggests."""
    who = ", ".join(names.get(g) or group_id_text(g) for g in result.groups)
    summary = RESULTS[result.result].format(groups=who, option=result.option)
    because = [f"{names.get(g) or group_id_text(g)}: {reasons[g]}" for g in result.groups if reasons.get(g)]
    return {
        "result": result.result,
        "groups": [group_id_text(g) for g in result.groups],
        "option": result.option,
        "summary": summary,
        "decision": result.decision,
        "decision_text": summary + (" (" + "; ".join(because) + ")" if because else "") + ".",
    }


def get_proposal(view: ViewStore, proposal_id: str, now: int) -> dict[str, Any]:
    """Return a proposal with its tally, the asked groups that have not answered, its positions' history, its
    decisions, and (after its closing time) the outcome its process defines; raise NotFoundError."""
    key = parse_event_id(proposal_id)
    put = view.get(PROPOSALS, key)
    if put is None:
        raise NotFoundError(f"no proposal with id {key.hex()}", field="id")
    positions = view.page(POSITIONS, Where(ref=key), None, MAX_POSITIONS)
    live = tally(put, positions)
    asked = list(put.doc.get("asked") or ())
    names = names_of(view, [put.author, *asked, *(p.author for p in positions)])
    out = {**doc_json(put), "author_name": names.get(put.author, ""), "process": live.process}
    out["asked"] = [{"group": group_id_text(g), "name": names.get(g, "")} for g in asked]
    out["tally"] = [{"position": name, "count": count} for name, count in live.counts]
    out["answers"] = [
        {
            **friendly_value({"position": a.position, "option": a.option, "reason": a.reason, "timestamp": a.timestamp}),
            "group": group_id_text(a.group),
            "name": names.get(a.group, ""),
            "event": a.event.hex(),
        }
        for a in live.answers
    ]
    out["waiting"] = [{"group": group_id_text(g), "name": names.get(g, "")} for g in live.waiting]
    history = sorted(((e, p.author) for p in positions for e in p.doc["log"]), key=lambda x: (x[0][2], x[0][0]))
    out["history"] = [
        {
            "event": e[0].hex(),
            "timestamp": e[2],
            "group": group_id_text(author),
            "name": names.get(author, ""),
            **friendly_value({k: v for k, v in e[4].items() if k != "proposal"}),
        }
        for e, author in history[-HISTORY:]
    ]
    out["closed"] = is_closed(put, now)
    out["outcome"] = None
    out["withdrawn"] = put.doc.get("status") == "withdrawn"
    result = outcome(put, positions) if out["closed"] else None
    if result is not None:
        reasons = {a.group: a.reason for a in tally(put, positions, put.doc.get("closes_at")).answers if a.reason}
        out["outcome"] = outcome_json(result, names, reasons)
    out["decisions"] = list_docs(view, DECISIONS, PageRequest(20), ref=proposal_id).items
    assembly = view.get(ASSEMBLIES, put.doc["assembly"]) if put.doc.get("assembly") else None
    out["assembly_title"] = assembly.doc.get("title") if assembly else None
    return out
