"""The private part of the JSON API, for the node's members (docs/API.md, "Private callouts"; docs/KINDS.md).

The same queries as the public lists, run over the private read models: what sealed events this node opened.
Only members' tokens (scope read) reach these routes (node/access.py); no public route ever reads a private document.
"""

from __future__ import annotations

from aiohttp import web

from . import api_replies as replies
from . import queries
from .api import page_json, service_of
from .api_params import event_id, page_of_args, page_params
from .apispec import ApiRoutes, Args, add_api_routes

api = ApiRoutes()
PRIVATE_TO = {"type": "array", "items": replies.HEX, "description": "the groups it is private to (their keys, hex)"}
PRIVATE_CALLOUT = {
    **replies.CALLOUT,
    "required": [*replies.CALLOUT["required"], "private_to"],
    "properties": {**replies.CALLOUT["properties"], "private_to": PRIVATE_TO},
}
PRIVATE_DETAIL = {
    **replies.CALLOUT_DETAIL,
    "required": [*replies.CALLOUT_DETAIL["required"], "private_to"],
    "properties": {**replies.CALLOUT_DETAIL["properties"], "private_to": PRIVATE_TO},
}


@api.get(
    "/api/v1/private/callouts",
    "Private callouts this node can read (members only), each with `private_to`, a page at a time",
    params=page_params(),
    reply=replies.page("callouts", PRIVATE_CALLOUT),
)
async def list_private_callouts(request: web.Request, args: Args) -> web.Response:
    found = await service_of(request).private_query(lambda private, public: queries.list_callouts(private, page_of_args(args)))
    return page_json("callouts", found)


@api.get(
    "/api/v1/private/callouts/{id}",
    "One private callout this node can read (members only), with a page of its pledges (private too)",
    params=(event_id("id", what="callout"), *page_params()),
    reply=PRIVATE_DETAIL,
    errors=(404,),
)
async def get_private_callout(request: web.Request, args: Args) -> web.Response:
    found = await service_of(request).private_query(
        lambda private, public: queries.get_callout(private, args["id"], page_of_args(args))
    )
    return web.json_response(found)


def setup_private_api(app: web.Application) -> None:
    """Add the private API routes to `app`."""
    add_api_routes(app, api)
