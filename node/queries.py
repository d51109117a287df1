"""Read-side queries over the read models, shared by the JSON API, the CLI and the web page.

Blocking: run them on the store's reader pool. They return JSON-ready dicts (ids as hex, groups as `sn_…`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from events.identity import IdentityError, group_id_text, parse_group_id
from events.kinds import NEEDS, URGENCIES, friendly_value
from events.readmodel.joins import callout_summary, proposal_tally
from events.readmodel.projection import (
    ASSEMBLIES,
    CALLOUTS,
    CAMPAIGNS,
    DECISIONS,
    GROUPS,
    PLEDGES,
    POSITIONS,
    PROPOSALS,
    REPORTS,
)
from events.readmodel.view import Put, ViewReader

from .errors import NotFoundError, RequestError

CALLOUT_STATUSES = ("open", "fulfilled", "withdrawn", "all")
_URGENCY_RANK = {u: i for i, u in enumerate(reversed(URGENCIES))}


def doc_json(put: Put) -> dict[str, Any]:
    """Return a document as JSON: ids hex, authors and group references as `sn_…`, without its event log."""
    out: dict[str, Any] = {}
    for name, value in put.doc.items():
        if name == "log":
            continue
        if name in ("author", "group") and type(value) is bytes and len(value) == 32:
            out[name] = group_id_text(value)
        else:
            out[name] = friendly_value(value)
    out["author"] = group_id_text(put.author)
    return out


def parse_event_id(text: str, field: str = "id") -> bytes:
    """Return the 32 bytes of an event id given as 64 hex digits; raise RequestError naming `field`."""
    try:
        raw = bytes.fromhex(text)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise RequestError(f"{field} must be an event id of 64 hex digits", field=field)
    return raw


def parse_group(text: str, field: str = "author") -> bytes:
    """Return the public key named by a group id text; raise RequestError naming `field`."""
    try:
        return parse_group_id(text)
    except IdentityError:
        raise RequestError(f"{field} must be a group id (sn_…)", field=field) from None


def _names(view: ViewReader) -> dict[bytes, str]:
    return {p.author: p.doc.get("name", "") for p in view.scan(GROUPS)}


def callout_json(view: ViewReader, put: Put, names: dict[bytes, str] | None = None) -> dict[str, Any]:
    """Return a callout with its author's name, its pledges and their totals per need."""
    pledges = list(view.scan(PLEDGES, ref=put.key))
    names = names if names is not None else _names(view)
    out = doc_json(put)
    out["author_name"] = names.get(put.author, "")
    summary = callout_summary(put, pledges)
    out["totals"] = friendly_value(asdict(summary))
    out["pledges"] = [{**doc_json(p), "author_name": names.get(p.author, "")} for p in pledges]
    return out


def list_callouts(
    view: ViewReader,
    *,
    status: str = "open",
    need: str | None = None,
    area: str | None = None,
    campaign: str | None = None,
    author: str | None = None,
    since: int | None = None,
) -> list[dict[str, Any]]:
    """Return callouts matching the filters, most urgent first, then soonest, then newest."""
    if status not in CALLOUT_STATUSES:
        raise RequestError(f"status must be one of {', '.join(CALLOUT_STATUSES)}", field="status")
    if need is not None and need not in NEEDS:
        raise RequestError(f"need must be one of {', '.join(NEEDS)}", field="need")
    campaign_id = parse_event_id(campaign, "campaign") if campaign else None
    author_key = parse_group(author) if author else None
    puts = view.scan(CALLOUTS, ref=campaign_id, author=author_key)
    names = _names(view)
    area_lc = area.lower() if area else None
    chosen = []
    for put in puts:
        doc = put.doc
        if status != "all" and doc.get("status") != status:
            continue
        if need and need not in doc.get("needs", ()):
            continue
        if area_lc and area_lc not in (doc.get("where") or "").lower():
            continue
        if since is not None and (doc.get("ends_at") or doc.get("starts_at") or doc["timestamp"]) < since:
            continue
        chosen.append(put)
    chosen.sort(
        key=lambda p: (
            _URGENCY_RANK.get(p.doc.get("urgency", "normal"), 9),
            p.doc.get("starts_at") or 2**63,
            -p.doc["timestamp"],
        )
    )
    return [callout_json(view, p, names) for p in chosen]


def _get(view: ViewReader, collection: str, key: bytes, what: str) -> Put:
    put = view.get(collection, key)
    if put is None:
        raise NotFoundError(f"no {what} with id {key.hex()}", field="id")
    return put


def get_callout(view: ViewReader, callout_id: str) -> dict[str, Any]:
    """Return one callout with pledges; raise NotFoundError."""
    return callout_json(view, _get(view, CALLOUTS, parse_event_id(callout_id), "callout"))


def list_docs(view: ViewReader, collection: str, *, author: str | None = None, ref: str | None = None) -> list[dict[str, Any]]:
    """Return every document of a collection (newest first), optionally by author or ref."""
    author_key = parse_group(author) if author else None
    ref_id = parse_event_id(ref, "ref") if ref else None
    puts = sorted(view.scan(collection, author=author_key, ref=ref_id), key=lambda p: -p.doc.get("timestamp", 0))
    names = _names(view)
    return [{**doc_json(p), "author_name": names.get(p.author, "")} for p in puts]


def get_campaign(view: ViewReader, campaign_id: str) -> dict[str, Any]:
    """Return a campaign with its callouts, reports back and decisions."""
    put = _get(view, CAMPAIGNS, parse_event_id(campaign_id), "campaign")
    names = _names(view)
    out = {**doc_json(put), "author_name": names.get(put.author, "")}
    out["callouts"] = [callout_json(view, p, names) for p in view.scan(CALLOUTS, ref=put.key)]
    out["reports"] = list_docs(view, REPORTS, ref=campaign_id)
    out["decisions"] = [d for d in list_docs(view, DECISIONS) if d.get("campaign") == campaign_id]
    return out


def list_groups(view: ViewReader, forked: set[bytes], known: dict[bytes, int] | None = None) -> list[dict[str, Any]]:
    """Return every group with a profile (and every author we hold events of), with its fork flag."""
    groups: dict[bytes, dict[str, Any]] = {}
    for put in view.scan(GROUPS):
        groups[put.author] = doc_json(put)
    for author in known or {}:
        groups.setdefault(author, {"author": group_id_text(author), "name": ""})
    for author, doc in groups.items():
        doc["group_id"] = group_id_text(author)
        doc["forked"] = author in forked
        doc["events"] = (known or {}).get(author)
    return sorted(groups.values(), key=lambda d: (d.get("name") or "~").lower())


def group_profile(view: ViewReader, author: bytes) -> dict[str, Any]:
    """Return a group's profile document as JSON, or {} if it has published none."""
    put = view.get(GROUPS, author)
    return doc_json(put) if put else {}


def get_group(view: ViewReader, group_id: str, forked: set[bytes], count: int | None) -> dict[str, Any]:
    """Return a group's profile, fork flag and what it has published."""
    author = parse_group(group_id, "group_id")
    put = view.get(GROUPS, author)
    if put is None and count is None:
        raise NotFoundError(f"no group {group_id}", field="group_id")
    out = doc_json(put) if put else {"author": group_id, "name": ""}
    out.update(group_id=group_id, forked=author in forked, events=count)
    out["campaigns"] = list_docs(view, CAMPAIGNS, author=group_id)
    out["callouts"] = [callout_json(view, p) for p in view.scan(CALLOUTS, author=author)]
    out["reports"] = list_docs(view, REPORTS, author=group_id)
    return out


def assemblies_json(view: ViewReader) -> list[dict[str, Any]]:
    """Return assemblies with their proposals, each with positions, tally and decisions."""
    names = _names(view)
    positions = list(view.scan(POSITIONS))
    decisions = list(view.scan(DECISIONS))
    proposals = list(view.scan(PROPOSALS))

    def proposal_json(p: Put) -> dict[str, Any]:
        mine = [x for x in positions if x.ref == p.key]
        out = {**doc_json(p), "author_name": names.get(p.author, "")}
        out["positions"] = [{**doc_json(x), "author_name": names.get(x.author, "")} for x in mine]
        out["tally"] = friendly_value(asdict(proposal_tally(p, mine)))
        out["tally"]["blocked_by"] = [group_id_text(bytes.fromhex(b)) for b in out["tally"]["blocked_by"]]
        out["decisions"] = [doc_json(d) for d in decisions if d.doc.get("proposal") == p.key]
        return out

    result = []
    for a in sorted(view.scan(ASSEMBLIES), key=lambda p: p.doc.get("starts_at", 0)):
        out = {**doc_json(a), "author_name": names.get(a.author, "")}
        out["proposals"] = [proposal_json(p) for p in proposals if p.doc.get("assembly") == a.key]
        out["decisions"] = [doc_json(d) for d in decisions if d.doc.get("assembly") == a.key and not d.doc.get("proposal")]
        result.append(out)
    loose = [proposal_json(p) for p in proposals if not p.doc.get("assembly")]
    if loose:
        result.append({"id": None, "title": "Proposals outside an assembly", "proposals": loose, "decisions": []})
    return result
