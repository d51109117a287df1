"""The feeds' routes: calendars (the node's, a group's, a member's private one) and Atom feeds of callouts,
reports back and decisions. Public ones are what the public pages show; the private calendar adds what only the
group's members may read, and is reached by a revocable secret in its URL (a calendar app sends no cookie)."""

from __future__ import annotations

import os
import time

from aiohttp import web

from events.identity import parse_group_id
from events.readmodel.projection import DECISIONS, REPORTS

from .. import queries
from ..api import SERVICE
from ..errors import LinkError
from ..feeds import FEED_ITEMS, atom_feed, calendar_items, ical_feed
from ..members import ACCOUNTS
from ..notify import notifications_of
from ..paging import PageRequest
from .render import html_errors

routes = web.RouteTableDef()
ICS = "text/calendar; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
PUBLIC_URL_ENV = "SOLNET_PUBLIC_URL"


def base_url(request: web.Request) -> str:
    """Return the node's address for links in feeds and pages: $SOLNET_PUBLIC_URL, else `public_url` in its settings,
    else the one this request used."""
    public = os.environ.get(PUBLIC_URL_ENV) or request.app[SERVICE].settings.public_url
    return (public or str(request.url.origin())).rstrip("/")


def _reply(body: bytes, content_type: str, *, private: bool = False) -> web.Response:
    resp = web.Response(body=body, headers={"Content-Type": content_type})
    resp.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _now_ms() -> int:
    return int(time.time() * 1000)


@routes.get("/calendar.ics")
@html_errors
async def node_calendar(request: web.Request) -> web.Response:
    """Every assembly and dated callout the node shows, as a calendar to subscribe to."""
    service = request.app[SERVICE]
    items = await service.query(calendar_items, _now_ms())
    name = f"Solidarity Network at {service.credentials().name}"
    return _reply(ical_feed(items, name=name, base_url=base_url(request), host=request.url.host or "solnet"), ICS)


@routes.get("/groups/{group_id}/calendar.ics")
@html_errors
async def group_calendar(request: web.Request) -> web.Response:
    """One group's assemblies and dated callouts, as a calendar."""
    service = request.app[SERVICE]
    author = queries.parse_group(request.match_info["group_id"], "group_id")
    items = await service.query(calendar_items, _now_ms(), author)
    names = await service.query(queries.names_of, [author])
    name = names.get(author) or request.match_info["group_id"]
    return _reply(ical_feed(items, name=name, base_url=base_url(request), host=request.url.host or "solnet"), ICS)


@routes.get("/calendar/{link}")
@html_errors
async def private_calendar(request: web.Request) -> web.Response:
    """A member's private calendar: the node's calendar with who made each of the group's own entries (node-local)."""
    notes = notifications_of(request.app)
    accounts = request.app[ACCOUNTS]
    member_id = await notes.call(notes.calendar_member, request.match_info["link"])
    member = await accounts.call(accounts.member, member_id) if member_id else None
    if member is None or not member.active:
        raise LinkError("this calendar link is not known (it was revoked, or its member removed)", field="link")
    service = request.app[SERVICE]
    items = await service.query(calendar_items, _now_ms())
    private: dict[str, str] = {}
    for item in items:
        if item["author"] == service.group_id:
            act = await accounts.call(accounts.act, bytes.fromhex(item["id"]))
            if act is not None:
                private[item["id"]] = f"Made through this node by {act.actor} ({act.via}); only the group's members see this."
    name = f"{service.credentials().name} (members)"
    body = ical_feed(items, name=name, base_url=base_url(request), private=private, host=request.url.host or "solnet")
    return _reply(body, ICS, private=True)


@routes.get("/feeds/callouts.atom")
@html_errors
async def callouts_feed(request: web.Request) -> web.Response:
    """Callouts as an Atom feed, filtered like the feed page (need, area, campaign, author, language, status)."""
    service = request.app[SERVICE]
    q = request.query
    filters = {name: (q.get(name) or "").strip() or None for name in ("need", "area", "campaign", "author", "lang")}
    found = await service.query(queries.list_callouts, PageRequest(FEED_ITEMS), status=q.get("status") or "open", **filters)
    return _atom(request, "callouts", "Callouts", found.items)


async def _docs_feed(request: web.Request, collection: str, what: str, title: str) -> web.Response:
    """A collection's documents, newest first, as an Atom feed (`?author=sn_…` for one group's)."""
    found = await request.app[SERVICE].query(
        queries.list_docs, collection, PageRequest(FEED_ITEMS), author=request.query.get("author") or None
    )
    return _atom(request, what, title, found.items)


@routes.get("/feeds/reports.atom")
@html_errors
async def reports_feed(request: web.Request) -> web.Response:
    """Reports back, newest first, as an Atom feed (`?author=sn_…` for one group's)."""
    return await _docs_feed(request, REPORTS, "reports", "Reports back")


@routes.get("/feeds/decisions.atom")
@html_errors
async def decisions_feed(request: web.Request) -> web.Response:
    """Decisions, newest first, as an Atom feed (`?author=sn_…` for one group's)."""
    return await _docs_feed(request, DECISIONS, "decisions", "Decisions")


def _atom(request: web.Request, what: str, title: str, items: list) -> web.Response:
    service = request.app[SERVICE]
    base = base_url(request)
    body = atom_feed(
        items,
        what=what,
        title=f"{title} · {service.credentials().name}",
        self_url=base + str(request.rel_url),
        base_url=base,
        node_key=parse_group_id(service.group_id),
    )
    return _reply(body, ATOM)
