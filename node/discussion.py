"""Publishing into discussions: a reply names its thread, a position must fit its proposal's process.

Blocking, like node/queries.py (run through NodeService.query). Peers' events are not checked here: what does
not fit a proposal simply does not count (events/readmodel/process.py); this only stops the node's own group
from publishing what would not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.errors import PayloadError
from events.kinds import build_value
from events.readmodel.process import misfit, withdrawn_at
from events.readmodel.projection import COMMENTS, PROPOSALS
from events.readmodel.view import ViewReader

from .errors import RequestError

CHECKED = ("comment.posted", "position.taken")


def _misfit_field(reason: str) -> str:
    if "option" in reason:
        return "option"
    if "reason" in reason or "text" in reason:
        return "reason"
    return "position"


def prepare(view: ViewReader, kind: str, fields: Mapping[str, Any], author: bytes, now: int) -> Mapping[str, Any]:
    """Return the fields to publish for `kind`: a reply to a comment gets its thread's root; a position is checked.

    Raises RequestError naming the field when a position would not count on a proposal this node knows
    (wrong for its process, a block or objection without a reason, not asked, after its closing time, or withdrawn).
    """
    if kind not in CHECKED:
        return fields
    try:
        value = build_value(kind, fields)
    except PayloadError:
        return fields  # the publish itself says what is wrong, and with which field
    if kind == "comment.posted":
        parent = view.get(COMMENTS, value["on"])
        if parent is not None and "root" not in value:
            value["root"] = parent.doc.get("root") or parent.doc["on"]
        return value
    proposal = view.get(PROPOSALS, value["proposal"])
    if proposal is None:
        return value
    if withdrawn_at(proposal) is not None:
        raise RequestError("the proposal was withdrawn: positions taken now do not count", field="proposal")
    reason = misfit(proposal, author, value)
    if reason is not None:
        raise RequestError(reason, field=_misfit_field(reason))
    closes = proposal.doc.get("closes_at")
    if closes is not None and now > closes:
        raise RequestError("the proposal has closed: positions taken now do not count", field="position")
    return value
