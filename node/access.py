"""Who may use which route: the one table of what each route needs, and the middleware that applies it to every request.

Pages know people by their web session (node/web/session.py), the API by `Authorization: Bearer TOKEN` (a member's
token, or the node's own token for the built-in admin). A route missing from ACCESS is refused (500) rather than
served unchecked, and tests/node/test_access.py walks every route of the app with each role.
"""

from __future__ import annotations

import logging
from enum import Enum
from urllib.parse import quote

from aiohttp import web

from .api import SERVICE
from .errors import AuthError, ConfigError, ForbiddenError
from .members import ACCOUNTS, PRINCIPAL, Accounts, Principal, Scope, builtin_admin, scope_list
from .secrets_store import token_matches

log = logging.getLogger("solnet.access")


class Need(Enum):
    """What a route asks of whoever uses it."""

    PUBLIC = None  # anyone, logged in or not (the public pages and reads, the peer protocol, logging in)
    LINK = "link"  # whoever holds the one-time link in its path (invitations, the set-up page)
    READ = Scope.READ  # a member of the group (any role)
    PUBLISH = Scope.PUBLISH  # an organiser or admin
    ADMIN = Scope.ADMIN  # an admin: members, peers, keys, settings


ACCESS: dict[str, Need] = {
    # -- the web page (node/web/) --
    "GET /": Need.PUBLIC,
    "GET /callouts/{id}": Need.PUBLIC,
    "GET /campaigns": Need.PUBLIC,
    "GET /campaigns/{id}": Need.PUBLIC,
    "GET /groups": Need.PUBLIC,
    "GET /groups/{group_id}": Need.PUBLIC,
    "GET /assemblies": Need.PUBLIC,
    "GET /search": Need.PUBLIC,
    "GET /reports": Need.PUBLIC,
    "GET /reports/{id}": Need.PUBLIC,
    "GET /decisions/{id}": Need.PUBLIC,
    "GET /assemblies/{id}": Need.PUBLIC,
    "GET /proposals/{id}": Need.PUBLIC,
    "GET /events/{id}": Need.PUBLIC,
    "GET /redact/{id}": Need.PUBLISH,
    "POST /redact/{id}": Need.PUBLISH,
    "GET /node": Need.PUBLIC,
    "GET /static": Need.PUBLIC,
    "GET /login": Need.PUBLIC,
    "POST /login": Need.PUBLIC,
    "GET /language": Need.PUBLIC,
    "POST /logout": Need.PUBLIC,
    "GET /setup/{link}": Need.LINK,
    "POST /setup/{link}": Need.LINK,
    "GET /invite/{link}": Need.LINK,
    "POST /invite/{link}": Need.LINK,
    "GET /publish": Need.PUBLISH,
    "GET /publish/{kind}": Need.PUBLISH,
    "POST /publish/{kind}": Need.PUBLISH,
    "POST /callouts/{id}/pledge": Need.PUBLISH,
    "GET /activity": Need.READ,
    "GET /account": Need.READ,
    "POST /account/tokens": Need.READ,
    "POST /account/language": Need.READ,
    "POST /account/tokens/{token}/revoke": Need.READ,
    "GET /members": Need.READ,
    "POST /members": Need.ADMIN,
    "POST /members/{member}/role": Need.ADMIN,
    "POST /members/{member}/remove": Need.ADMIN,
    "POST /members/{member}/reset": Need.ADMIN,
    "GET /settings": Need.ADMIN,
    "POST /settings": Need.ADMIN,
    "GET /key": Need.ADMIN,  # key rotation (node/web/key_page.py)
    "POST /key": Need.ADMIN,
    # -- feeds and notifications (node/web/feeds_pages.py, node/web/notify_pages.py) --
    "GET /calendar.ics": Need.PUBLIC,
    "GET /groups/{group_id}/calendar.ics": Need.PUBLIC,
    "GET /calendar/{link}": Need.LINK,  # a member's private calendar: the secret in the URL (revocable)
    "GET /feeds/callouts.atom": Need.PUBLIC,
    "GET /feeds/reports.atom": Need.PUBLIC,
    "GET /feeds/decisions.atom": Need.PUBLIC,
    "GET /account/notifications": Need.READ,
    "POST /account/notifications": Need.READ,
    "POST /account/calendar": Need.READ,
    "POST /account/calendar/revoke": Need.READ,
    "GET /unsubscribe/{link}": Need.LINK,  # the one-click link in every mail (RFC 8058)
    "POST /unsubscribe/{link}": Need.LINK,
    # -- the JSON API (node/api.py, node/members_api.py) --
    "GET /api/v1/node": Need.PUBLIC,
    "GET /api/v1/digest": Need.PUBLIC,
    "GET /api/v1/digest/groups": Need.PUBLIC,
    "GET /api/v1/callouts": Need.PUBLIC,
    "GET /api/v1/callouts/{id}": Need.PUBLIC,
    "GET /api/v1/campaigns": Need.PUBLIC,
    "GET /api/v1/campaigns/{id}": Need.PUBLIC,
    "GET /api/v1/groups": Need.PUBLIC,
    "GET /api/v1/groups/{group_id}": Need.PUBLIC,
    "GET /api/v1/reports": Need.PUBLIC,
    "GET /api/v1/pledges": Need.PUBLIC,
    "GET /api/v1/decisions": Need.PUBLIC,
    "GET /api/v1/search": Need.PUBLIC,
    "GET /api/v1/assemblies": Need.PUBLIC,
    "GET /api/v1/assemblies/{id}": Need.PUBLIC,
    "GET /api/v1/proposals/{id}": Need.PUBLIC,
    "GET /api/v1/threads/{id}": Need.PUBLIC,
    "GET /api/v1/comments": Need.PUBLIC,
    "GET /api/v1/events/{id}": Need.PUBLIC,
    "GET /api/v1/openapi.json": Need.PUBLIC,
    "GET /api/v1/peers": Need.PUBLIC,
    "POST /api/v1/events": Need.PUBLISH,
    "POST /api/v1/peers": Need.ADMIN,
    "GET /api/v1/quarantine": Need.ADMIN,
    "POST /api/v1/quarantine/accept": Need.ADMIN,
    "GET /api/v1/me": Need.READ,
    "GET /api/v1/activity": Need.READ,
    # -- the peer protocol (node/federation/routes.py): every message is checked on its own terms --
    "POST /peer/v1/{name}": Need.PUBLIC,
    "GET /peer/v1/subscribe": Need.PUBLIC,
    "POST /peer/v1/join": Need.PUBLIC,  # checked by the invitation's secret and the new group's signature
    # -- invitations for other groups' nodes (node/federation/invitation_api.py) --
    "POST /api/v1/invitations": Need.ADMIN,
    "GET /api/v1/invitations": Need.ADMIN,
    "POST /api/v1/invitations/{id}/revoke": Need.ADMIN,
    "GET /join/{code}": Need.PUBLIC,
    "POST /node/invitations": Need.ADMIN,  # the node page's invitation button
    # private events (node/web/private_pages.py): members read them, organisers pledge
    "GET /private": Need.READ,
    "GET /private/{id}": Need.READ,
    "POST /private/{id}/pledge": Need.PUBLISH,
    "POST /private/callout": Need.PUBLISH,
    "POST /private/{id}/comment": Need.PUBLISH,
    "GET /api/v1/private/callouts": Need.READ,
    "GET /api/v1/private/callouts/{id}": Need.READ,
}
"""What each route needs, by `METHOD canonical-path` (HEAD as GET). The one place a route's role is decided."""

EXTRA_ACCESS = web.AppKey("extra_access", dict)
"""Decisions for routes that code outside node/ adds to one app (a test's instrumented route): see `decide`."""


def decide(app: web.Application, key: str, need: Need) -> None:
    """Record what a route added to `app` from outside node/ needs (`key` as in ACCESS); node's own routes go in ACCESS."""
    app.setdefault(EXTRA_ACCESS, {})[key] = need


ROLE_WORDS = {Scope.READ: "members of the group", Scope.PUBLISH: "organisers and admins", Scope.ADMIN: "admins"}


def route_key(request: web.Request) -> str | None:
    """Return the request's route as ACCESS names it, or None when no route matched (a 404 or 405 follows)."""
    route = request.match_info.route
    resource = route.resource
    if resource is None:
        return None
    method = "GET" if request.method == "HEAD" else request.method
    return f"{method} {resource.canonical}"


def need_of(request: web.Request) -> Need:
    """Return what the request's route needs; raise ConfigError for a route nobody decided about."""
    key = route_key(request)
    if key is None:
        return Need.PUBLIC
    need = ACCESS[key] if key in ACCESS else request.app.get(EXTRA_ACCESS, {}).get(key)
    if need is None:
        log.error("route %s has no entry in node/access.py ACCESS: refused", key)
        raise ConfigError(f"the route {key} has no access rule; refused", field="path")
    return need


def is_api(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/peer/"))


async def _bearer(request: web.Request, accounts: Accounts) -> Principal | None:
    """Return who the request's bearer token acts for, None without one; raise AuthError for a token that is not valid."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthError("send a token as Authorization: Bearer TOKEN", field="Authorization")
    settings = request.app[SERVICE].credentials()
    if settings.shared_login and token_matches(token, settings.token_hash):
        return builtin_admin("token")
    found = await accounts.call(accounts.token_principal, token)
    if found is None:
        raise AuthError("the API token is not valid for this node (revoked, or its member was removed)", field="Authorization")
    return found


async def _session(request: web.Request, accounts: Accounts) -> Principal | None:
    """Return who the request's web session is logged in as, or None; a session whose member is gone is ended."""
    from .web.render import SESSIONS  # (the web page is optional: an API-only app has no sessions)

    sessions = request.app.get(SESSIONS)
    session = sessions.get(request) if sessions is not None else None
    if session is None or not session.logged_in:
        return None
    if session.member is None:
        if request.app[SERVICE].credentials().shared_login:
            return builtin_admin("session")
    else:
        found = await accounts.call(accounts.session_principal, session.member)
        if found is not None:
            return found
    sessions.drop(session)  # removed, or the shared login was turned off: logged out at once
    return None


def refusal(principal: Principal | None, scope: Scope, api: bool) -> AuthError | ForbiddenError:
    """Return the error for a request that lacks `scope`: 401 for nobody, 403 naming the missing scope for someone."""
    if principal is None:
        if api:
            return AuthError(
                f"this needs an API token with the {scope.value} scope: Authorization: Bearer TOKEN", field="Authorization"
            )
        return AuthError(f"log in first: this page is for {ROLE_WORDS[scope]}", field="session")
    if api:
        have = ", ".join(scope_list(principal.scopes)) or "none"
        return ForbiddenError(f"this needs the {scope.value} scope; this token has: {have}", field="scope")
    return ForbiddenError(
        f"this page is for {ROLE_WORDS[scope]}; you are logged in as {principal.name}, who is {principal.role.value}. "
        "Ask an admin of the node if you need more.",
        field="role",
    )


@web.middleware
async def access_middleware(request: web.Request, handler):
    """Find who the request acts for (request[PRINCIPAL]) and refuse it unless its route's Need is met."""
    need = need_of(request)
    accounts = request.app[ACCOUNTS]
    api = is_api(request)
    if api:  # a token on a public read is not looked at (as before member accounts)
        principal = await _bearer(request, accounts) if isinstance(need.value, Scope) else None
    else:
        principal = await _session(request, accounts)
    request[PRINCIPAL] = principal
    if isinstance(need.value, Scope) and (principal is None or not principal.can(need.value)):
        if principal is None and not api and request.method == "GET":
            return web.Response(status=303, headers={"Location": f"/login?next={quote(request.path_qs, safe='/?=&')}"})
        error = refusal(principal, need.value, api)
        if api:
            raise error
        from .web.render import error_page

        return error_page(request, error)
    return await handler(request)


def setup_access(app: web.Application) -> None:
    """Open the node's accounts (tables created if missing) beside its event store, and add the members' API routes."""
    from .apispec import add_api_routes
    from .members_api import api

    app[ACCOUNTS] = Accounts(app[SERVICE].store)
    add_api_routes(app, api)


__all__ = ["ACCESS", "ACCOUNTS", "Need", "access_middleware", "decide", "setup_access"]
