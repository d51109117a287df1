"""The language switch on every page (a link per language, so it works without a login or a script) and the
member's own language setting on the account page."""

from __future__ import annotations

from aiohttp import web

from ..i18n import check_language
from ..members import ACCOUNTS
from .actions import redirect, safe_next
from .language import set_language_cookie
from .render import html_errors

routes = web.RouteTableDef()


@routes.get("/language")
@html_errors
async def choose(request: web.Request) -> web.StreamResponse:
    """Remember the chosen language in this browser (a cookie) and go back to the page it was chosen on."""
    code = check_language(request.query.get("lang"), field="lang")
    response = redirect(safe_next(request.query.get("next")))
    set_language_cookie(response, request, code)
    return response


async def remember_member_language(request: web.Request, member_id: str, code: str) -> None:
    """Keep a member's language with their account (their mail and their next logins use it)."""
    accounts = request.app[ACCOUNTS]
    await accounts.call(accounts.set_language, member_id, code)
