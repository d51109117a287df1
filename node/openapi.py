"""The OpenAPI 3.1 description of the node's JSON API, served at /api/v1/openapi.json, made from the declared routes.

Every operation, its parameters, body and answer come from its declaration (node/apispec.py), the same one the
server checks requests with; who may call it comes from node/access.py's ACCESS; the status codes and error body
from node/http_errors.py. Nothing here is written by hand per route.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from .access import ACCESS, Need
from .apispec import OPERATIONS, ApiRoutes, Args, Operation, add_api_routes
from .http_errors import error_body_schema
from .service import VERSION

ERROR_STATUSES = {
    400: "a parameter or the body is not what this document says (`field` names it)",
    401: "no valid token: send `Authorization: Bearer TOKEN`",
    403: "the token lacks the scope this route needs (`field` is `scope`)",
    404: "nothing has that id",
    409: "the request conflicts with the log (retry, or see the message)",
    413: "the body is larger than the route accepts",
    422: "the body has the right form but the payload breaks a rule of its kind (`field` names it)",
    429: "too many requests from the client's address are being handled at once",
    503: "the node cannot answer now (read deadline, busy, shutting down): retry after `Retry-After` seconds",
}
HEADERS = {
    401: {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}, "description": 'Bearer realm="solnet"'}},
    503: {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}, "description": "seconds"}},
}


def _responses(op: Operation, need: Need) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": op.summary, "content": {"application/json": {"schema": op.reply}}}
    statuses = {429, 503, *op.errors}
    if op.params or op.body:
        statuses.add(400)
    if any(p.where == "path" for p in op.params):
        statuses.add(404)
    if op.body:
        statuses.add(413)
    if need not in (Need.PUBLIC, Need.LINK):
        statuses |= {401, 403}
    out = {str(op.status): ok}
    out.update({str(s): {"$ref": f"#/components/responses/Error{s}"} for s in sorted(statuses)})
    return out


def _operation(op: Operation) -> dict[str, Any]:
    need = ACCESS.get(op.key, Need.PUBLIC)
    out: dict[str, Any] = {"operationId": op.name, "summary": op.summary}
    if op.params:
        out["parameters"] = [p.document() for p in op.params]
    if op.body is not None:
        media: dict[str, Any] = {"schema": op.body.schema}
        if op.body.examples:
            media["examples"] = {name: {"value": value} for name, value in op.body.examples.items()}
        out["requestBody"] = {"required": True, "content": {"application/json": media}}
    if need in (Need.PUBLIC, Need.LINK):
        out["security"] = []
    else:
        out["security"] = [{"token": [need.value.value]}]
        out["description"] = f"Needs a token with the `{need.value.value}` scope (docs/API.md, 'Tokens and scopes')."
    out["responses"] = _responses(op, need)
    return out


def openapi_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """Return the OpenAPI document (a plain dict) of `operations`."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": error_body_schema()}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
        if op.body is not None:
            schemas.update(op.body.components)
    responses = {
        f"Error{status}": {
            "description": text,
            "headers": HEADERS.get(status, {}),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status, text in ERROR_STATUSES.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Solidarity Network node API",
            "version": VERSION,
            "description": "Public reads of a node's read models; writes for the node's own group with an API token. "
            "A token's scopes (read, publish, admin) are the security requirement's roles.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "an API token (snt_…)"}},
            "schemas": schemas,
            "responses": responses,
        },
        "paths": paths,
    }


api = ApiRoutes()


@api.get("/api/v1/openapi.json", "This document", reply={"type": "object", "required": ["openapi", "paths"]})
async def openapi(request: web.Request, args: Args) -> web.Response:
    return web.json_response(openapi_document(request.app[OPERATIONS]))


def setup_openapi(app: web.Application) -> None:
    """Serve the OpenAPI document of the routes `app` declares (those added with node/apispec.py's add_api_routes)."""
    add_api_routes(app, api)
