"""The public pages: network feed, callout, campaigns, groups, assemblies and the node's health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from events.kinds import NEEDS
from events.readmodel.projection import CAMPAIGNS

from .. import queries
from ..api import SERVICE
from ..errors import RequestError
from .forms import build_form, field_message
from .render import html_errors, page

routes = web.RouteTableDef()
FEED_FILTERS = ("need", "area", "campaign", "date")
_INFO_SHOWN = (
    "group_id",
    "name",
    "version",
    "events",
    "own_events",
    "groups",
    "forked_groups",
    "fork_proofs",
    "state_digest",
    "state_digest_version",
    "backend",
)


def _date_to_ms(text: str) -> int:
    """Return the start of a YYYY-MM-DD day in the node's local time, in ms; raise RequestError naming `date`."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").astimezone()
    except ValueError:
        raise RequestError("date must be a day like 2025-05-01", field="date") from None
    return int(day.timestamp() * 1000)


def pledge_form(callout_id: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, error=None):
    """Return the pledge form shown on a callout's page (its callout field is fixed)."""
    values = {**(values or {}), "callout": callout_id}
    return build_form("pledge.made", values, errors=errors, hidden=("callout",), form_error=error)


@routes.get("/")
@html_errors
async def feed(request: web.Request) -> web.Response:
    """Open callouts of every group, most urgent and soonest first, with filters."""
    service = request.app[SERVICE]
    filters = {name: request.query.get(name, "").strip() for name in FEED_FILTERS}
    errors: dict[str, str] = {}
    callouts: list[dict[str, Any]] = []
    try:
        since = _date_to_ms(filters["date"]) if filters["date"] else None
        callouts = await service.query(
            queries.list_callouts,
            need=filters["need"] or None,
            area=filters["area"] or None,
            campaign=filters["campaign"] or None,
            since=since,
        )
    except RequestError as exc:
        errors[exc.field or "need"] = field_message(exc.message, exc.field)
    campaigns = await service.query(queries.list_docs, CAMPAIGNS)
    context = {
        "callouts": callouts,
        "filters": filters,
        "filter_errors": errors,
        "needs": NEEDS,
        "campaigns": campaigns,
        "filtered": any(filters.values()),
    }
    return page(request, "feed.html", context, status=400 if errors else 200)


@routes.get("/callouts/{id}")
@html_errors
async def callout(request: web.Request) -> web.Response:
    """One callout: what it asks, who pledged what, and (logged in) a pledge form."""
    service = request.app[SERVICE]
    found = await service.query(queries.get_callout, request.match_info["id"])
    return page(request, "callout.html", {"c": found, "form": pledge_form(found["id"])})


@routes.get("/campaigns")
@html_errors
async def campaigns(request: web.Request) -> web.Response:
    """Every campaign, newest first."""
    docs = await request.app[SERVICE].query(queries.list_docs, CAMPAIGNS)
    return page(request, "campaigns.html", {"campaigns": docs})


@routes.get("/campaigns/{id}")
@html_errors
async def campaign(request: web.Request) -> web.Response:
    """One campaign with its callouts, reports back and decisions."""
    found = await request.app[SERVICE].query(queries.get_campaign, request.match_info["id"])
    return page(request, "campaign.html", {"c": found})


@routes.get("/groups")
@html_errors
async def groups(request: web.Request) -> web.Response:
    """The directory of groups this node knows, forked ones flagged."""
    found = await request.app[SERVICE].groups()
    return page(request, "groups.html", {"groups": found})


@routes.get("/groups/{group_id}")
@html_errors
async def group(request: web.Request) -> web.Response:
    """One group's profile and what it has published."""
    found = await request.app[SERVICE].group(request.match_info["group_id"])
    return page(request, "group.html", {"g": found})


@routes.get("/assemblies")
@html_errors
async def assemblies(request: web.Request) -> web.Response:
    """Assemblies with their proposals, positions (agree, stand aside, block) and decisions."""
    found = await request.app[SERVICE].query(queries.assemblies_json)
    return page(request, "assemblies.html", {"assemblies": found})


@routes.get("/node")
@html_errors
async def node(request: web.Request) -> web.Response:
    """The node's own health: counts, forks, state digest, and whatever federation reports (peers, sync)."""
    info = await request.app[SERVICE].info()
    extra = {k: v for k, v in info.items() if k not in _INFO_SHOWN}
    return page(request, "node.html", {"info": info, "extra": extra})
