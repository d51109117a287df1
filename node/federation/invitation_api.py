"""Invitations for other groups' nodes over the API (admins) and the page a shared invitation link opens.

POST /api/v1/invitations makes one ({"uses": N, "expires_days": D}) and answers its code and link once; GET lists
them a page at a time (never their secrets); POST /api/v1/invitations/{id}/revoke revokes one. GET /join/{code}
is the link's page: it tells whoever opens it how to create a node with the code (it checks nothing).
"""

from __future__ import annotations

import html
import time
from typing import Any

from aiohttp import web

from events import group_id_text
from protocol.invitation import InvitationCode, group_hint

from ..api import _int_param, read_json_object, require_token
from ..errors import RequestError
from ..invitations import DEFAULT_DAYS
from ..web.actions import read_post
from ..web.render import html_errors, page
from .joining import INVITATIONS
from .routes import FEDERATION


def invitation_text(url: str, group: bytes, secret: bytes) -> tuple[str, str]:
    """Return an invitation's code and link for the node reachable at `url` whose group key is `group`."""
    code = InvitationCode(url, group_hint(group), secret).text()
    return code, f"{url}/join/{code}"


async def make_invitation(app: web.Application, uses: int, days: float) -> dict[str, Any]:
    """Make an invitation for the node `app` serves; return it as JSON with its code and link (shown once)."""
    federation = app[FEDERATION]
    if not federation.config.reachable:
        raise RequestError("a node nobody can reach cannot invite: a reachable node must make the invitation", field="url")
    invitations = app[INVITATIONS]
    now = int(time.time())
    invitation, secret = await invitations.call(invitations.create, now, uses=uses, days=days)
    code, link = invitation_text(federation.transport.address, federation.service.identity.public_key, secret)
    return {**invitation.json(now), "code": code, "link": link}


async def create(request: web.Request) -> web.Response:
    require_token(request)
    body = await read_json_object(request, {"uses", "expires_days"}, set())
    uses, days = body.get("uses", 1), body.get("expires_days", DEFAULT_DAYS)
    if type(uses) is not int:
        raise RequestError("uses must be a whole number", field="uses")
    if type(days) not in (int, float):
        raise RequestError("expires_days must be a number of days", field="expires_days")
    return web.json_response(await make_invitation(request.app, uses, float(days)), status=201)


async def listing(request: web.Request) -> web.Response:
    require_token(request)
    offset = _int_param(request, "offset", 0, 100_000)
    limit = _int_param(request, "limit", 20, 100)
    invitations = request.app[INVITATIONS]
    now = int(time.time())
    page = await invitations.call(invitations.page, offset, limit)
    return web.json_response({"invitations": [i.json(now) for i in page], "offset": offset, "limit": limit})


async def revoke(request: web.Request) -> web.Response:
    require_token(request)
    invitations = request.app[INVITATIONS]
    now = int(time.time())
    invitation = await invitations.call(invitations.revoke, request.match_info["id"][:40], now)
    return web.json_response(invitation.json(now))


async def join_page(request: web.Request) -> web.Response:
    federation = request.app[FEDERATION]
    code = request.match_info["code"][:2048]
    name = federation.service.settings.name or "a group"
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Join the network</title></head>
<body><h1>{html.escape(name)} invites your group to the Solidarity Network</h1>
<p>Create your group's node with this invitation; it will be connected to {html.escape(name)} and follow it:</p>
<pre>solnet init --name "YOUR GROUP" --join {html.escape(code)}</pre>
<p>or paste the code on the first-run page of your new node. Nothing has to be open to the internet at your end.</p>
<p>Inviting group id: <code>{group_id_text(federation.service.identity.public_key)}</code></p></body></html>"""
    return web.Response(text=text, content_type="text/html")


@html_errors
async def invite_button(request: web.Request) -> web.StreamResponse:
    """The node page's "Invite a group's node" (admins): make an invitation and show its code and link once."""
    session, posted = await read_post(request)
    try:
        uses, days = int(str(posted.get("uses") or 1)), float(str(posted.get("expires_days") or DEFAULT_DAYS))
    except ValueError:
        raise RequestError("uses and days are numbers", field="uses") from None
    invitation = await make_invitation(request.app, uses, days)
    return page(request, "invitation_done.html", {"invitation": invitation}, status=201, session=session)


def setup_invitation_routes(app: web.Application) -> None:
    """Add the invitation API routes, the node page's invitation button and the link's page to `app`."""
    app.router.add_post("/node/invitations", invite_button)
    app.router.add_post("/api/v1/invitations", create)
    app.router.add_get("/api/v1/invitations", listing)
    app.router.add_post("/api/v1/invitations/{id}/revoke", revoke)
    app.router.add_get("/join/{code}", join_page)
