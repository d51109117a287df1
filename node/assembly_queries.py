"""The assemblies page: a page of assemblies, each with its first proposals, their tallies, positions and decisions.

Blocking, like node/queries.py. Every nested list is bounded (the first NESTED of each, by one indexed query
per parent); tallies count every position of a proposal in one grouped query for the whole page.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from events.identity import group_id_text
from events.kinds import friendly_value
from events.readmodel.joins import tally_from_counts
from events.readmodel.projection import ASSEMBLIES, DECISIONS, POSITIONS, PROPOSALS, REPORTS
from events.readmodel.view import Put

from .errors import NotFoundError
from .paging import Page, PageRequest, split_page
from .queries import doc_json, names_of, parse_event_id
from .store.listing_sql import Where
from .store.views import ViewStore

NESTED = 20  # proposals per assembly, positions and decisions per proposal, shown on the page
BLOCKERS = 50
ASSEMBLY_PAGE = PageRequest(20)  # blocking groups named per proposal (the tally counts them all)


def _proposals_json(view: ViewStore, proposals: list[Put], names: dict[bytes, str]) -> list[dict[str, Any]]:
    ids = [p.key for p in proposals]
    counts: dict[bytes, dict[str, int]] = {}
    for ref, position, _status, count, _qty in view.counts(POSITIONS, ids):
        if position is not None:
            counts.setdefault(ref, {})[position] = counts.setdefault(ref, {}).get(position, 0) + count
    all_positions = view.first_per_ref(POSITIONS, ids, NESTED)
    all_decisions = view.first_per_ref(DECISIONS, ids, NESTED)
    names.update(names_of(view, [x.author for xs in all_positions.values() for x in xs if x.author not in names]))
    out = []
    for p in proposals:
        positions = all_positions.get(p.key, [])
        decisions = all_decisions.get(p.key, [])
        blockers = view.tagged_authors(POSITIONS, p.key, "block", BLOCKERS) if counts.get(p.key, {}).get("block") else []
        item = {**doc_json(p), "author_name": names.get(p.author, "")}
        item["positions"] = [{**doc_json(x), "author_name": names.get(x.author, "")} for x in positions]
        tally = friendly_value(asdict(tally_from_counts(p.key, counts.get(p.key, {}), blockers)))
        tally["blocked_by"] = [group_id_text(b) for b in blockers]
        item["tally"] = tally
        item["decisions"] = [doc_json(d) for d in decisions]
        out.append(item)
    return out


def assemblies_json(
    view: ViewStore, request: PageRequest = ASSEMBLY_PAGE, *, starts_from: int | None = None, starts_before: int | None = None
) -> Page:
    """Return a page of assemblies (latest first) with their first proposals; the last page adds loose proposals.

    `starts_from` / `starts_before` (ms) keep only assemblies starting at or after / before that time.
    """
    where = Where(starts_from=starts_from, starts_before=starts_before)
    puts, after = split_page(view.page(ASSEMBLIES, where, request.after, request.limit + 1), request)
    proposals = view.first_per_ref(PROPOSALS, [a.key for a in puts], NESTED)
    decisions = view.first_per_ref(DECISIONS, [a.key for a in puts], NESTED)
    names = names_of(view, [a.author for a in puts] + [p.author for ps in proposals.values() for p in ps])
    every = [p for a in puts for p in proposals.get(a.key, [])]
    shown = dict(zip((p.key for p in every), _proposals_json(view, every, names), strict=True))
    result = []
    for a in puts:
        out = {**doc_json(a), "author_name": names.get(a.author, "")}
        out["proposals"] = [shown[p.key] for p in proposals.get(a.key, [])]
        out["decisions"] = [doc_json(d) for d in decisions.get(a.key, [])]
        result.append(out)
    if request.after is None and starts_before is None:  # (loose proposals go with the current assemblies)
        loose = view.page(PROPOSALS, Where(no_ref=True), None, NESTED)
        if loose:
            names.update(names_of(view, [p.author for p in loose]))
            shown = _proposals_json(view, loose, names)
            result.append({"id": None, "title": "Proposals outside an assembly", "proposals": shown, "decisions": []})
    return Page(result, after)


def get_assembly(view: ViewStore, assembly_id: str) -> dict[str, Any]:
    """Return one assembly with its agenda items (proposals linked to it, with tallies), its minutes (reports
    linked to it) and the decisions made at it (linked to it or to one of its proposals); raise NotFoundError."""
    put = view.get(ASSEMBLIES, parse_event_id(assembly_id))
    if put is None:
        raise NotFoundError(f"no assembly with id {assembly_id}", field="id")
    proposals = view.page(PROPOSALS, Where(ref=put.key), None, NESTED)
    minutes = view.page(REPORTS, Where(link=put.key), None, NESTED)
    decided = view.first_per_ref(DECISIONS, [put.key, *(p.key for p in proposals)], NESTED)
    names = names_of(view, [put.author, *(p.author for p in proposals), *(m.author for m in minutes)])
    out = {**doc_json(put), "author_name": names.get(put.author, "")}
    out["proposals"] = _proposals_json(view, proposals, names)
    out["minutes"] = [{**doc_json(m), "author_name": names.get(m.author, "")} for m in minutes]
    decisions = sorted((d for ds in decided.values() for d in ds), key=lambda d: (-d.doc["timestamp"], d.key))
    out["decisions"] = [{**doc_json(d), "author_name": names.get(d.author, "")} for d in decisions[:NESTED]]
    return out
