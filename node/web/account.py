"""A member's own account (who they are, their API tokens), the group's who-did-what record, and the node's settings."""

from __future__ import annotations

import os

from aiohttp import web

from ..api import SERVICE
from ..errors import AuthError, ConfigError, RequestError
from ..i18n import check_language
from ..members import ACCOUNTS, ROLE_SCOPES, parse_scopes, principal_of, scope_list
from ..members.principal import Principal
from ..notify.smtp import SMTP_SETTING, SMTP_URL_ENV, current_smtp, parse_smtp_url
from .actions import read_post, redirect
from .forms import field_message
from .language import set_language_cookie
from .language_switch import remember_member_language
from .render import N_, SESSIONS, html_errors, page
from .time_zones import check_time_zone

routes = web.RouteTableDef()
ACTIVITY_PAGE = 50


def _me(request: web.Request) -> Principal:
    me = principal_of(request)
    if me is None:  # (node/access.py lets no one logged out this far)
        raise AuthError("log in first", field="session")
    return me


async def _account_page(request: web.Request, status: int = 200, **extra: object) -> web.Response:
    me = _me(request)
    accounts = request.app[ACCOUNTS]
    tokens = [] if me.member_id is None else await accounts.call(accounts.token_list, me.member_id)
    chosen = None if me.member_id is None else await accounts.call(accounts.language, me.member_id)
    scopes = scope_list(ROLE_SCOPES[me.role])
    context = {"tokens": tokens, "scopes": scopes, "errors": {}, "title": N_("Your account"), "my_language": chosen, **extra}
    return page(request, "account.html", context, status=status)


@routes.get("/account")
@html_errors
async def account(request: web.Request) -> web.Response:
    """Who you are logged in as, and your API tokens."""
    return await _account_page(request)


@routes.post("/account/language")
@html_errors
async def choose_my_language(request: web.Request) -> web.StreamResponse:
    """Keep the language a member chose for the page and their mail; this browser switches to it at once."""
    _, posted = await read_post(request)
    me = _me(request)
    if me.member_id is None:
        raise RequestError("the node admin (shared login) has no account to keep a language in: use the switch", field="language")
    code = check_language(posted.get("language"))
    await remember_member_language(request, me.member_id, code)
    response = redirect("/account")
    set_language_cookie(response, request, code)
    return response


@routes.post("/account/tokens")
@html_errors
async def add_token(request: web.Request) -> web.Response:
    """Make an API token with some of your role's scopes; its secret is shown once, here."""
    _, posted = await read_post(request)
    me = _me(request)
    if me.member_id is None:
        raise RequestError("the node admin (shared login) has the node's own API token; members make their own", field="scopes")
    accounts = request.app[ACCOUNTS]
    try:
        scopes = parse_scopes(posted.getall("scopes", []))
        token, secret = await accounts.call(accounts.add_token, me.member_id, scopes, posted.get("label", ""))
    except RequestError as exc:
        return await _account_page(request, 422, errors={exc.field or "scopes": field_message(exc.message, exc.field)})
    return await _account_page(request, 201, new_token=(token, secret))


@routes.post("/account/tokens/{token}/revoke")
@html_errors
async def revoke_token(request: web.Request) -> web.StreamResponse:
    """Revoke one of your tokens: it stops working at once."""
    await read_post(request)
    me = _me(request)
    accounts = request.app[ACCOUNTS]
    await accounts.call(accounts.revoke_token, me.member_id or "", request.match_info["token"])
    return redirect("/account")


@routes.get("/activity")
@html_errors
async def activity(request: web.Request) -> web.Response:
    """Who published, changed or redacted each of the group's events through this node, newest first."""
    accounts = request.app[ACCOUNTS]
    acts, following = await accounts.call(accounts.acts, request.query.get("cursor") or None, ACTIVITY_PAGE)
    context = {"acts": acts, "next_page": f"/activity?cursor={following}" if following else None, "title": N_("Who did what")}
    return page(request, "activity.html", context)


@routes.get("/settings")
@html_errors
async def settings_page(request: web.Request) -> web.Response:
    """The node's settings: its time zone, the SMTP server mail goes through, and whether the shared password and API
    token still log in."""
    return page(request, "settings.html", {"errors": {}, "title": N_("Settings"), **_settings_context(request)})


def _settings_context(request: web.Request) -> dict[str, object]:
    from zoneinfo import available_timezones

    settings = request.app[SERVICE].credentials()
    mail = {"smtp": current_smtp(request.app[SERVICE].settings.extra), "mail_env": bool(os.environ.get(SMTP_URL_ENV))}
    return {
        "time_zone": settings.time_zone,
        "node_language": settings.language,
        "shared_login": settings.shared_login,
        "zones": sorted(available_timezones()),
        **mail,
    }


def _save_smtp(request: web.Request, url: str) -> None:
    """Keep the SMTP server an admin chose in the data dir's settings (0600); raise RequestError naming `smtp_url`."""
    service = request.app[SERVICE]
    url = url.strip()
    if url:
        try:
            parse_smtp_url(url)
        except ConfigError as exc:
            raise RequestError(exc.message.replace(f"${SMTP_URL_ENV}", "the SMTP server"), field="smtp_url") from None
    extra = {k: v for k, v in service.settings.extra.items() if k != SMTP_SETTING}
    service.update_settings(extra={**extra, SMTP_SETTING: url} if url else extra)


@routes.post("/settings")
@html_errors
async def change_settings(request: web.Request) -> web.Response | web.StreamResponse:
    """Change the time zone, or turn off the shared password and API token (their sessions end at once)."""
    _, posted = await read_post(request)
    service = request.app[SERVICE]
    if posted.get("shared_login") == "off":
        me = _me(request)
        if me.member_id is None:
            raise RequestError(
                "log in with your own admin account to turn off the shared login you are using", field="shared_login"
            )
        service.update_settings(shared_login=False)
        request.app[SESSIONS].drop_member(None)
        return redirect("/settings")
    try:
        if "smtp_url" in posted:
            _save_smtp(request, str(posted.get("smtp_url", "")))
            return redirect("/settings")
        if "language" in posted:
            service.update_settings(language=check_language(posted.get("language")))
            return redirect("/settings")
        zone = check_time_zone(posted.get("time_zone"))
    except RequestError as exc:
        context = {
            "errors": {exc.field or "time_zone": field_message(exc.message, exc.field)},
            "title": N_("Settings"),
            **_settings_context(request),
        }
        return page(request, "settings.html", context, status=422)
    service.update_settings(time_zone=zone)
    return redirect("/settings")
