"""Choices for the id fields of forms (which campaign, callout, assembly...), read from the read models.

Blocking: run through NodeService.query.
"""

from __future__ import annotations

from typing import Any

from events.readmodel.projection import ASSEMBLIES, CALLOUTS, CAMPAIGNS, PLEDGES, PROPOSALS
from events.readmodel.view import ViewReader

from .. import queries

Options = dict[str, list[tuple[str, str]]]
_OWN_TARGET = {
    "campaign.updated": "campaign",
    "campaign.closed": "campaign",
    "callout.updated": "callout",
    "callout.withdrawn": "callout",
    "callout.fulfilled": "callout",
    "pledge.withdrawn": "pledge",
    "pledge.fulfilled": "pledge",
}
"""Kinds that change one of the node's own entities: only those are offered for their target field."""


def _label(doc: dict[str, Any], fallback: str) -> str:
    title = doc.get("title") or doc.get("offer") or fallback
    who = doc.get("author_name")
    return f"{title} ({who})" if who else str(title)


def form_options(view: ViewReader, kind: str, own_group: str) -> Options:
    """Return `{field: [(id hex, label), ...]}` for the id fields of `kind`: live entities, the node's own where required."""
    own_only = _OWN_TARGET.get(kind)
    author = own_group if own_only else None
    out: Options = {}

    def docs(collection: str, *, only_own: bool = False, status: str | None = None) -> list[dict[str, Any]]:
        found = queries.list_docs(view, collection, author=own_group if only_own else None)
        return [d for d in found if status is None or d.get("status") == status]

    out["campaign"] = [(d["id"], _label(d, "campaign")) for d in docs(CAMPAIGNS, only_own=author is not None, status="active")]
    out["callout"] = [(d["id"], _label(d, "callout")) for d in docs(CALLOUTS, only_own=author is not None, status="open")]
    out["pledge"] = [(d["id"], _label(d, "pledge")) for d in docs(PLEDGES, only_own=True, status="made")]
    out["assembly"] = [(d["id"], _label(d, "assembly")) for d in docs(ASSEMBLIES)]
    out["proposal"] = [(d["id"], _label(d, "proposal")) for d in docs(PROPOSALS)]
    return out
