"""The members' part of the JSON API: who a token acts for, and the group's who-did-what record (node-local)."""

from __future__ import annotations

from aiohttp import web

from . import api_replies as replies
from .apispec import ApiRoutes, Args, Param
from .errors import AuthError
from .members import ACCOUNTS, principal_of, scope_list
from .paging import DEFAULT_LIMIT, MAX_LIMIT

api = ApiRoutes()


@api.get("/api/v1/me", "Who the token acts for: member id (null: the built-in admin), name, role, scopes", reply=replies.ME)
async def me(request: web.Request, args: Args) -> web.Response:
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


@api.get(
    "/api/v1/activity",
    "Which member published, changed or redacted each of the group's events, newest first (node-local), a page at a time",
    params=(
        Param(
            "limit",
            f"items per page (default {DEFAULT_LIMIT})",
            kind="integer",
            minimum=1,
            maximum=MAX_LIMIT,
            default=DEFAULT_LIMIT,
        ),
        Param("cursor", "the `next` value of the previous page", pattern=r"^[0-9]{1,15}\.[0-9a-f]{64}$"),
    ),
    reply=replies.page("activity", replies.ACT),
)
async def activity(request: web.Request, args: Args) -> web.Response:
    accounts = request.app[ACCOUNTS]
    acts, following = await accounts.call(accounts.acts, args["cursor"], args["limit"])
    return web.json_response({"activity": [a.to_json() for a in acts], "next": following})
