"""A member's notifications: what mail they want (urgent callouts at once, a daily digest), their email address,
their private calendar link; and the one-click unsubscribe link every mail carries (RFC 8058)."""

from __future__ import annotations

from aiohttp import web

from events.kinds import NEEDS

from ..bodies import read_body
from ..errors import AuthError, BodyTooLargeError, LinkError, RequestError
from ..members import ACCOUNTS, principal_of
from ..members.principal import Principal
from ..notify import notifications_of
from .actions import read_post, redirect
from .feeds_pages import base_url
from .forms import field_message
from .render import N_, html_errors, page

routes = web.RouteTableDef()
UNSUBSCRIBE_BODY_MAX = 1024


def _member(request: web.Request) -> Principal:
    me = principal_of(request)
    if me is None:  # (node/access.py lets no one logged out this far)
        raise AuthError("log in first", field="session")
    if me.member_id is None:
        raise RequestError("the shared login has no mail or calendar of its own: use your own account", field="session")
    return me


async def _page(request: web.Request, status: int = 200, **extra: object) -> web.Response:
    me = _member(request)
    notes, accounts = notifications_of(request.app), request.app[ACCOUNTS]
    prefs = await notes.call(notes.choices, me.member_id)
    member = await accounts.call(accounts.member, me.member_id)
    context = {
        "prefs": prefs,
        "email": member.email if member else "",
        "needs": NEEDS,
        "has_calendar": await notes.call(notes.has_calendar, me.member_id),
        "base": base_url(request),
        "errors": {},
        "title": N_("Notifications"),
        **extra,
    }
    return page(request, "notifications.html", context, status=status)


@routes.get("/account/notifications")
@html_errors
async def notifications(request: web.Request) -> web.Response:
    """What mail you get, your address, and your private calendar link."""
    me = principal_of(request)
    if me is not None and me.member_id is None:
        return page(request, "notifications.html", {"builtin": True, "title": N_("Notifications")})
    return await _page(request, request_saved=request.query.get("saved") == "1")


@routes.post("/account/notifications")
@html_errors
async def choose(request: web.Request) -> web.Response | web.StreamResponse:
    """Save what mail you want and where it goes."""
    _, posted = await read_post(request)
    me = _member(request)
    notes, accounts = notifications_of(request.app), request.app[ACCOUNTS]
    try:
        await accounts.call(accounts.set_email, me.member_id, posted.get("email", ""))
        await notes.call(
            notes.choose,
            me.member_id,
            urgent=posted.get("urgent") == "on",
            digest=posted.get("digest") == "on",
            areas=posted.get("areas", ""),
            needs=posted.getall("needs", []),
        )
    except RequestError as exc:
        return await _page(request, 422, errors={exc.field or "email": field_message(exc.message, exc.field)})
    return redirect("/account/notifications?saved=1")


@routes.post("/account/calendar")
@html_errors
async def new_calendar(request: web.Request) -> web.Response:
    """Make your private calendar link (shown once; the one before stops working)."""
    await read_post(request)
    me = _member(request)
    notes = notifications_of(request.app)
    secret = await notes.call(notes.new_calendar, me.member_id)
    return await _page(request, 201, calendar_url=f"{base_url(request)}/calendar/{secret}")


@routes.post("/account/calendar/revoke")
@html_errors
async def revoke_calendar(request: web.Request) -> web.StreamResponse:
    """Stop your private calendar link working."""
    await read_post(request)
    me = _member(request)
    notes = notifications_of(request.app)
    await notes.call(notes.revoke_calendar, me.member_id)
    return redirect("/account/notifications")


@routes.get("/unsubscribe/{link}")
@html_errors
async def unsubscribe_page(request: web.Request) -> web.Response:
    """The link in a mail's footer: a button that stops all mail (a GET changes nothing: mail scanners follow links)."""
    notes = notifications_of(request.app)
    if not await notes.call(notes.knows_unsubscribe, request.match_info["link"]):
        raise LinkError("this unsubscribe link is not known", field="link")
    return page(request, "unsubscribe.html", {"done": False, "link": request.match_info["link"], "title": N_("Stop mail")})


@routes.post("/unsubscribe/{link}")
@html_errors
async def unsubscribe(request: web.Request) -> web.Response:
    """Stop all mail to the member this link is for: the page's button, or a mail program's one-click POST (RFC
    8058, body `List-Unsubscribe=One-Click`); the secret in the link is the credential, so no session or CSRF."""
    if await read_body(request, UNSUBSCRIBE_BODY_MAX) is None:
        raise BodyTooLargeError(f"an unsubscribe request has at most {UNSUBSCRIBE_BODY_MAX} bytes", field="body")
    notes = notifications_of(request.app)
    if await notes.call(notes.unsubscribe, request.match_info["link"]) is None:
        raise LinkError("this unsubscribe link is not known", field="link")
    return page(request, "unsubscribe.html", {"done": True, "link": "", "title": N_("Mail stopped")})
