"""The public pages: network feed, callout, campaigns, groups, assemblies and the node's health."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from events.identity import group_id_text
from events.kinds import NEEDS
from events.kinds.langtag import is_lang_tag
from events.readmodel.projection import CAMPAIGNS

from .. import queries
from ..api import PEER_DIRECTORY, SERVICE
from ..assembly_queries import assemblies_json
from ..errors import RequestError
from ..find_queries import group_doings
from ..i18n.post_languages import language_choices
from ..members import principal_of
from ..notify import notifications_of
from ..paging import Page, PageRequest, page_request
from .discussion_pages import thread_context
from .forms import build_form, field_message
from .language import request_language, request_translations
from .local_time import day_start_ms, today_start_ms
from .render import html_errors, node_zone, page
from .sync_words import peer_line, reach_note

routes = web.RouteTableDef()
FEED_FILTERS = ("need", "area", "campaign", "date", "author", "lang")
WEB_PAGE = 20  # items per page of a list page
CHOICES = 100  # campaigns offered in the feed's filter (the newest active ones)
_INFO_SHOWN = (
    "group_id",
    "name",
    "version",
    "events",
    "own_events",
    "groups",
    "forked_groups",
    "forked_group_count",
    "rotated_after_fork_groups",
    "fork_proofs",
    "state_digest",
    "state_digest_version",
    "backend",
)


def pledge_form(
    callout_id: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error=None,
    *,
    reader: str | None = None,
):
    """Return the pledge form shown on a callout's page (its callout field is fixed; its language a select in the
    reader's language, `reader`'s by default)."""
    values = {"lang": reader or "", **(values or {}), "callout": callout_id}
    return build_form("pledge.made", values, errors=errors, hidden=("callout",), form_error=error, reader=reader)


def _page(request: web.Request, default: int = WEB_PAGE) -> PageRequest:
    return page_request(None, request.query.get("cursor") or None, default=default)


def next_link(request: web.Request, cursor: str | None) -> str | None:
    """Return the URL of the next page (this page's query with the next cursor), or None on the last page."""
    if cursor is None:
        return None
    query = {k: v for k, v in request.query.items() if k != "cursor" and v}
    return str(request.rel_url.with_query({**query, "cursor": cursor}))


def now_ms() -> int:
    """Return the wall-clock time in ms (what "upcoming" and "past" are measured from)."""
    return int(time.time() * 1000)


def _past(request: web.Request) -> bool:
    """True iff the page asks for what is over (`?when=past`); anything else is the current list."""
    return request.query.get("when") == "past"


def _upcoming(request: web.Request) -> bool:
    """True iff the feed asks for the open callouts that are not over (`?when=upcoming`)."""
    return request.query.get("when") == "upcoming"


@routes.get("/")
@html_errors
async def feed(request: web.Request) -> web.Response:
    """Open callouts of every group, most urgent and soonest first, with filters, a page at a time; `?when=upcoming`
    keeps those not over (undated ones included), `?when=past` lists the callouts whose end (or start) has passed,
    whatever their status.

    Not over is not the default: it is checked on the rows the urgency order's index walks, so on a node whose open
    callouts have mostly ended a page walks past all of them (105 ms a page, 105 s cold, at 1M events: issue 17
    keeps it as a tab until the end time is part of an index that serves the order)."""
    service = request.app[SERVICE]
    filters = {name: request.query.get(name, "").strip() for name in FEED_FILTERS}
    errors: dict[str, str] = {}
    found = Page([], None)
    past, upcoming, now = _past(request), _upcoming(request), now_ms()
    try:
        since = day_start_ms(filters["date"], node_zone(request)) if filters["date"] else None
        found = await service.query(
            queries.list_callouts,
            _page(request),
            status="all" if past else "open",
            need=filters["need"] or None,
            area=filters["area"] or None,
            campaign=filters["campaign"] or None,
            author=filters["author"] or None,
            since=since,
            live_at=now if upcoming else None,
            over_at=now if past else None,
            lang=filters["lang"] or None,
        )
    except RequestError as exc:
        errors[exc.field or "need"] = field_message(exc.message, exc.field)
    campaigns = await service.query(queries.list_docs, CAMPAIGNS, PageRequest(CHOICES), status="active")
    last_visit = await _last_visit(request, now)
    context = {
        "last_visit": last_visit,
        "new_callouts": [c for c in found.items if last_visit and c.get("timestamp", 0) > last_visit],
        "callouts": found.items,
        "next_page": next_link(request, found.next),
        "first_page": "cursor" in request.query,
        "filters": filters,
        "filter_errors": errors,
        "needs": NEEDS,
        "post_languages": language_choices(request_language(request), filters["lang"] if is_lang_tag(filters["lang"]) else None),
        "campaigns": campaigns.items,
        "filtered": any(filters.values()),
        "past": past,
        "upcoming": upcoming,
        "when": "past" if past else "upcoming" if upcoming else "",
        "feed_query": urlencode({k: v for k, v in filters.items() if v and k != "date"}),
        "reach": reach_note(await _peers(request), request_translations(request)),
    }
    return page(request, "feed.html", context, status=400 if errors else 200)


async def _last_visit(request: web.Request, now: int) -> int:
    """Note a logged-in member's visit; return when their previous visit ended (ms; 0: unknown or not a member)."""
    me = principal_of(request)
    if me is None or me.member_id is None:
        return 0
    notes = notifications_of(request.app)
    return (await notes.call(notes.visit, me.member_id, now)).last_visit


@routes.get("/callouts/{id}")
@html_errors
async def callout(request: web.Request) -> web.Response:
    """One callout: what it asks, who pledged what (a page at a time), and (logged in) a pledge form."""
    service = request.app[SERVICE]
    found = await service.query(queries.get_callout, request.match_info["id"], _page(request))
    form = pledge_form(found["id"], reader=request_language(request))
    context = {"c": found, "form": form, "next_page": next_link(request, found["pledges_next"])}
    context["thread"] = await thread_context(request, found["id"])
    return page(request, "callout.html", context)


@routes.get("/campaigns")
@html_errors
async def campaigns(request: web.Request) -> web.Response:
    """Campaigns, newest first, a page at a time."""
    author = request.query.get("author") or None
    found = await request.app[SERVICE].query(queries.list_docs, CAMPAIGNS, _page(request), author=author)
    return page(request, "campaigns.html", {"campaigns": found.items, "next_page": next_link(request, found.next)})


@routes.get("/campaigns/{id}")
@html_errors
async def campaign(request: web.Request) -> web.Response:
    """One campaign with the first page of its callouts, reports back and decisions."""
    found = await request.app[SERVICE].query(queries.get_campaign, request.match_info["id"])
    return page(request, "campaign.html", {"c": found, "thread": await thread_context(request, found["id"])})


@routes.get("/groups")
@html_errors
async def groups(request: web.Request) -> web.Response:
    """The directory of groups this node knows (by name, a page at a time), forked ones flagged."""
    found = await request.app[SERVICE].groups(_page(request))
    return page(request, "groups.html", {"groups": found.items, "next_page": next_link(request, found.next)})


@routes.get("/groups/{group_id}")
@html_errors
async def group(request: web.Request) -> web.Response:
    """One group's profile and the first page of what it has published: callouts, campaigns, reports, pledges and
    positions."""
    service = request.app[SERVICE]
    found = await service.group(request.match_info["group_id"])
    found.update(await service.query(group_doings, found["group_id"]))  # its pledges and positions
    relation = await service.relation(found["group_id"])
    return page(request, "group.html", {"g": found, "follows": relation["follow"], "blocks": relation["block"]})


@routes.get("/assemblies")
@html_errors
async def assemblies(request: web.Request) -> web.Response:
    """Assemblies from today on (latest first, a page at a time) with their proposals, positions and decisions;
    `?when=past` lists those that started before today (the node's time zone)."""
    past, today = _past(request), today_start_ms(now_ms(), node_zone(request))
    bounds = {"starts_before": today} if past else {"starts_from": today}
    found = await request.app[SERVICE].query(assemblies_json, _page(request, 10), **bounds)
    context = {"assemblies": found.items, "next_page": next_link(request, found.next), "past": past}
    return page(request, "assemblies.html", context)


@routes.get("/node")
@html_errors
async def node(request: web.Request) -> web.Response:
    """The node's own health: counts, forks, state digest, and whatever federation reports (peers, sync)."""
    service = request.app[SERVICE]
    info = await service.info()
    extra = {k: v for k, v in info.items() if k not in _INFO_SHOWN}
    peers = await _peers(request)
    lines = []
    if peers is not None:
        ids = {p["group_id"] for p in peers if p.get("group_id")}
        names = await service.query(queries.names_of, [queries.parse_group(g) for g in ids])
        by_id = {group_id_text(k): v for k, v in names.items() if v}
        lines = [peer_line(p, by_id, request_translations(request)) for p in peers]
    reach = reach_note(peers, request_translations(request))
    context = {"info": info, "extra": extra, "peers": lines, "federating": peers is not None, "reach": reach}
    return page(request, "node.html", context)


async def _peers(request: web.Request) -> list[dict[str, Any]] | None:
    """Return the peers' health (None when the node does not federate)."""
    directory = request.app.get(PEER_DIRECTORY)
    return None if directory is None else await directory.peers_json()
