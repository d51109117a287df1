"""Private callouts on the page, for the node's logged-in members only (docs/KINDS.md, "Private events").

GET /private lists the private callouts this node can read, with a form to publish one to chosen groups (POST
/private/callout); GET /private/{id} shows one with its pledges and comments, each marked "Private to: ..." with
the groups' names; POST /private/{id}/pledge pledges on it (the pledge goes out sealed to the callout's
recipients, node/private_events.py), POST /private/{id}/comment comments in its thread (sealed the same way).
Visitors who are not logged in are sent to log in: a private document is never rendered for them, and search,
lists and feeds never hold one.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from events import group_id_text, parse_group_id
from events.errors import EventError
from events.kinds import NEEDS, URGENCIES
from events.readmodel.joins import graph_edges
from events.readmodel.projection import GROUPS
from events.readmodel.view import ViewReader
from events.sealed import MAX_SLOTS

from .. import queries
from ..api import SERVICE
from ..errors import NotFoundError, RequestError
from ..members import record_act
from ..private_events import PrivateCallout, private_callout, private_callouts
from .actions import _login_redirect, read_post, redirect
from .render import SESSIONS, html_errors, page

routes = web.RouteTableDef()
OFFER_MAX = 1000
TEXT_MAX = 10000


def _names(public: ViewReader, groups: tuple[bytes, ...]) -> list[str]:
    out = []
    for g in groups:
        found = public.get(GROUPS, g)
        out.append(found.doc.get("name") if found is not None and found.doc.get("name") else group_id_text(g))
    return out


def _shown(public: ViewReader, item: PrivateCallout) -> dict[str, Any]:
    doc = item.callout.doc
    return {
        "id": item.callout.key.hex(),
        "title": doc.get("title", ""),
        "text": doc.get("text", ""),
        "needs": list(doc.get("needs", ())),
        "urgency": doc.get("urgency", ""),
        "where": doc.get("where", ""),
        "status": doc.get("status", ""),
        "author": _names(public, (item.callout.author,))[0],
        "private_to": _names(public, item.private_to),
        "pledges": [
            {
                "author": _names(public, (p.author,))[0],
                "need": p.doc.get("need"),
                "offer": p.doc.get("offer"),
                "status": p.doc.get("status"),
            }
            for p in item.pledges
        ],
        "comments": [{"author": _names(public, (c.author,))[0], "text": c.doc.get("text")} for c in item.comments],
    }


def _list(private: ViewReader, public: ViewReader, own: bytes) -> dict[str, Any]:
    followed = sorted(graph_edges(public, own, "follow"))[:MAX_SLOTS]
    return {
        "callouts": [_shown(public, item) for item in private_callouts(private)],
        "followed": [{"id": group_id_text(g), "name": n} for g, n in zip(followed, _names(public, tuple(followed)), strict=True)],
    }


def _one(private: ViewReader, public: ViewReader, callout_id: bytes) -> dict[str, Any] | None:
    item = private_callout(private, callout_id)
    return None if item is None else _shown(public, item)


def _logged_in(request: web.Request) -> bool:
    session = request.app[SESSIONS].get(request)
    return bool(session and session.logged_in)


@routes.get("/private")
@html_errors
async def private_list(request: web.Request) -> web.StreamResponse:
    """The private callouts this node can read (members only)."""
    if not _logged_in(request):
        return _login_redirect(request)
    return await _list_page(request, None)


async def _list_page(request: web.Request, error: str | None, status: int = 200) -> web.StreamResponse:
    service = request.app[SERVICE]
    listed = await service.private_query(_list, service.identity.public_key)
    context = {**listed, "one": None, "needs": NEEDS, "urgencies": URGENCIES, "error": error}
    return page(request, "private.html", context, status=status)


@routes.post("/private/callout")
@html_errors
async def private_publish(request: web.Request) -> web.StreamResponse:
    """Publish a callout private to the groups ticked or named (and ours)."""
    _, posted = await read_post(request)
    service = request.app[SERVICE]
    try:
        to = [parse_group_id(g.strip()) for g in [*posted.getall("to", []), *str(posted.get("other", "")).split()] if g.strip()]
        fields = {
            "title": str(posted.get("title", "")),
            "text": str(posted.get("text", "")),
            "needs": [str(n) for n in posted.getall("needs", [])],
            "urgency": str(posted.get("urgency", "normal")),
        }
        made = await service.publish_private("callout.published", fields, to)
    except (RequestError, EventError) as exc:
        return await _list_page(request, exc.message, status=422)
    await record_act(request, made)
    return redirect(f"/private/{made.id.hex()}")


async def _callout(request: web.Request) -> tuple[bytes, dict[str, Any]]:
    callout_id = queries.parse_event_id(request.match_info["id"])
    shown = await request.app[SERVICE].private_query(_one, callout_id)
    if shown is None:
        raise NotFoundError("no private callout with that id is readable here", field="id")
    return callout_id, shown


@routes.get("/private/{id}")
@html_errors
async def private_one(request: web.Request) -> web.StreamResponse:
    """One private callout with its pledges and comments, and a pledge form (members only)."""
    if not _logged_in(request):
        return _login_redirect(request)
    _, shown = await _callout(request)
    return page(request, "private.html", {"callouts": [], "one": shown, "needs": NEEDS, "error": None})


@routes.post("/private/{id}/pledge")
@html_errors
async def private_pledge(request: web.Request) -> web.StreamResponse:
    """Pledge on a private callout: sealed to the callout's recipients only."""
    _, posted = await read_post(request)
    callout_id, shown = await _callout(request)
    fields = {"callout": callout_id.hex(), "need": str(posted.get("need", "")), "offer": str(posted.get("offer", ""))[:OFFER_MAX]}
    try:
        made = await request.app[SERVICE].publish("pledge.made", fields)
    except RequestError as exc:
        return page(request, "private.html", {"callouts": [], "one": shown, "needs": NEEDS, "error": exc.message}, status=422)
    await record_act(request, made)
    return redirect(f"/private/{callout_id.hex()}")


@routes.post("/private/{id}/comment")
@html_errors
async def private_comment(request: web.Request) -> web.StreamResponse:
    """Comment in a private callout's thread: sealed to the callout's recipients only."""
    _, posted = await read_post(request)
    callout_id, shown = await _callout(request)
    fields = {"on": callout_id.hex(), "text": str(posted.get("text", ""))[:TEXT_MAX]}
    try:
        made = await request.app[SERVICE].publish("comment.posted", fields)
    except RequestError as exc:
        return page(request, "private.html", {"callouts": [], "one": shown, "needs": NEEDS, "error": exc.message}, status=422)
    await record_act(request, made)
    return redirect(f"/private/{callout_id.hex()}")
