"""Read-side queries of the pages that help find things: full-text search, the reports, a report, a group's doings.

Blocking: run them on the store's reader pool (NodeService.query), whose views leave out blocked groups in SQL.
"""

from __future__ import annotations

from typing import Any

from events.readmodel.projection import ASSEMBLIES, CALLOUTS, CAMPAIGNS, DECISIONS, POSITIONS, PROPOSALS, REPORTS
from events.readmodel.search import SEARCHED, QueryError, parse_query
from events.readmodel.view import Put

from .errors import NotFoundError, RequestError
from .paging import Page, PageRequest, encode_cursor
from .queries import SECTION, check_lang, list_docs, parse_event_id, parse_group, with_names
from .store.views import search_cursor

KIND_NAMES = {
    CALLOUTS: "callout",
    "campaigns": "campaign",
    REPORTS: "report",
    ASSEMBLIES: "assembly",
    PROPOSALS: "proposal",
    DECISIONS: "decision",
}
"""The searched collections, as the search form and results name them."""


def item_path(item: dict[str, Any]) -> str:
    """Return the page path that shows one searched document (JSON with its `collection`)."""
    collection, id_ = item["collection"], item["id"]
    if collection == CALLOUTS:
        return f"/callouts/{id_}"
    if collection == CAMPAIGNS:
        return f"/campaigns/{id_}"
    if collection == REPORTS:
        return f"/reports/{id_}"
    if collection == DECISIONS:
        return f"/decisions/{id_}"
    if collection == PROPOSALS:
        return f"/proposals/{id_}"
    return f"/assemblies/{id_}"


def search(
    view: Any,
    text: str,
    request: PageRequest,
    *,
    kind: str | None = None,
    author: str | None = None,
    lang: str | None = None,
) -> Page:
    """Return a page of the documents matching `text` (newest first), each with its `collection`, `path` and author's
    name; raise RequestError naming the bad parameter (q, in, author, lang)."""
    try:
        query = parse_query(text)
    except QueryError as exc:
        raise RequestError(exc.message, field="q") from None
    collections = SEARCHED
    if kind:
        by_name = {v: k for k, v in KIND_NAMES.items()}
        if kind not in by_name:
            raise RequestError(f"in must be one of {', '.join(KIND_NAMES.values())}", field="in")
        collections = (by_name[kind],)
    who = parse_group(author) if author else None
    puts: list[Put] = view.search(
        query, collections, author=who, after=request.after, limit=request.limit + 1, lang=check_lang(lang)
    )
    shown = puts[: request.limit]
    after = encode_cursor(search_cursor(shown[-1])) if len(puts) > request.limit else None
    items = []
    for put, item in zip(shown, with_names(view, shown), strict=True):
        item["collection"] = put.collection
        item["kind"] = KIND_NAMES[put.collection]
        item["path"] = item_path(item)
        items.append(item)
    return Page(items, after)


def get_report(view: Any, report_id: str) -> dict[str, Any]:
    """Return one report back with its author's name and its campaign's title; raise NotFoundError."""
    key = parse_event_id(report_id)
    put = view.get(REPORTS, key)
    if put is None:
        raise NotFoundError(f"no report back with id {key.hex()}", field="id")
    out = with_names(view, [put])[0]
    if put.ref is not None:
        campaign = view.get(CAMPAIGNS, put.ref)
        out["campaign_title"] = campaign.doc.get("title", "") if campaign else ""
    return out


def get_decision(view: Any, decision_id: str) -> dict[str, Any]:
    """Return one decision with its author's name and the titles of its proposal, assembly and campaign; raise
    NotFoundError."""
    key = parse_event_id(decision_id)
    put = view.get(DECISIONS, key)
    if put is None:
        raise NotFoundError(f"no decision with id {key.hex()}", field="id")
    out = with_names(view, [put])[0]
    for field, collection in (("proposal", PROPOSALS), ("assembly", ASSEMBLIES), ("campaign", CAMPAIGNS)):
        linked = view.get(collection, put.doc[field]) if put.doc.get(field) else None
        out[f"{field}_title"] = str(linked.doc.get("title", "")) if linked else ""
    return out


def titles_of(view: Any, collection: str, keys: list[bytes]) -> dict[str, str]:
    """Return the title of each document of `collection` with these keys, by hex id (missing ones left out)."""
    return {k.hex(): str(p.doc.get("title", "")) for k, p in view.by_keys(collection, keys).items()}


def group_doings(view: Any, group_id: str) -> dict[str, Any]:
    """Return the first page of a group's pledges (with their callouts' titles) and positions (with their proposals'
    titles), each with its next cursor: what the group page adds to the group's own publications."""
    pledges = list_docs(view, "pledges", SECTION, author=group_id)
    positions = list_docs(view, POSITIONS, SECTION, author=group_id)
    callouts = titles_of(view, CALLOUTS, [bytes.fromhex(p["callout"]) for p in pledges.items if p.get("callout")])
    proposals = titles_of(view, PROPOSALS, [bytes.fromhex(p["proposal"]) for p in positions.items if p.get("proposal")])
    for p in pledges.items:
        p["callout_title"] = callouts.get(p.get("callout", ""), "")
    for p in positions.items:
        p["proposal_title"] = proposals.get(p.get("proposal", ""), "")
    return {
        "pledges": pledges.items,
        "pledges_next": pledges.next,
        "positions": positions.items,
        "positions_next": positions.next,
    }


__all__ = ["KIND_NAMES", "get_report", "group_doings", "item_path", "search"]
