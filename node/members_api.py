"""The members' part of the JSON API: who a token acts for, and the group's who-did-what record (node-local)."""

from __future__ import annotations

from aiohttp import web

from .errors import AuthError, RequestError
from .members import ACCOUNTS, principal_of, scope_list
from .paging import DEFAULT_LIMIT, MAX_LIMIT

routes = web.RouteTableDef()


def _limit(request: web.Request) -> int:
    text = request.query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise RequestError(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
    return int(text)


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    """Who the request's token acts for: member id (null for the built-in admin), name, role and the token's scopes."""
    principal = principal_of(request)
    if principal is None:  # (node/access.py lets no one without a token this far)
        raise AuthError("this endpoint needs an API token: Authorization: Bearer TOKEN", field="Authorization")
    return web.json_response(
        {
            "member_id": principal.member_id,
            "name": principal.name,
            "role": principal.role.value,
            "scopes": scope_list(principal.scopes),
        }
    )


@routes.get("/api/v1/activity")
async def activity(request: web.Request) -> web.Response:
    """Which member published, changed or redacted each of the group's events, newest first (`limit`, `cursor`)."""
    accounts = request.app[ACCOUNTS]
    acts, following = await accounts.call(accounts.acts, request.query.get("cursor") or None, _limit(request))
    return web.json_response({"activity": [a.to_json() for a in acts], "next": following})
