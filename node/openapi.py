"""The OpenAPI 3.1 description of the node's JSON API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from .paging import CURSOR_MAX, DEFAULT_LIMIT, MAX_LIMIT
from .service import VERSION


def _paging(default: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": f"items per page (default {default})",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": default},
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "the `next` value of the previous page; absent for the first page",
            "schema": {"type": "string", "maxLength": CURSOR_MAX, "pattern": "^[A-Za-z0-9_-]+$"},
        },
    ]


def _list(
    name: str, params: list[dict[str, Any]] | None = None, summary: str = "", default: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    page = {
        "type": "object",
        "required": [name, "next"],
        "properties": {
            name: {"type": "array", "items": {"type": "object"}, "maxItems": MAX_LIMIT},
            "next": {"type": ["string", "null"], "description": "cursor of the next page; null on the last page"},
        },
    }
    return {
        "get": {
            "summary": (summary or f"List {name}") + ", a page at a time",
            "parameters": [*(params or []), *_paging(default)],
            "responses": {
                "200": {"description": f"one page of {name}", "content": {"application/json": {"schema": page}}},
                "400": {"$ref": "#/components/responses/Error"},
            },
        }
    }


def _one(what: str, param: str = "id", paged: bool = False) -> dict[str, Any]:
    path = [{"name": param, "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "get": {
            "summary": f"One {what}",
            "parameters": path + (_paging() if paged else []),
            "responses": {
                "200": {"description": what},
                "400": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
            },
        }
    }


def _q(name: str, description: str, enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document (a plain dict)."""
    from events.kinds import KINDS, NEEDS

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Solidarity Network node API",
            "version": VERSION,
            "description": "Public reads of a node's read models; writes for the node's own group with its API token.",
        },
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": ["string", "null"]},
                                "event_id": {"type": ["string", "null"]},
                            },
                            "required": ["code", "message"],
                        }
                    },
                },
                "Publish": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "payload"],
                    "properties": {
                        "kind": {"type": "string", "enum": sorted(KINDS)},
                        "payload": {"type": "object", "description": "fields of the kind, see docs/KINDS.md"},
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "error with a stable code and the offending field",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            },
        },
        "paths": {
            "/api/v1/node": {"get": {"summary": "Node info and status", "responses": {"200": {"description": "info"}}}},
            "/api/v1/digest": {
                "get": {
                    "summary": "State digest, version 2 (docs/KINDS.md)",
                    "responses": {"200": {"description": '{"state_digest": "<64 hex>", "version": 2}'}},
                }
            },
            "/api/v1/digest/groups": {
                "get": {
                    "summary": "Group digests (state digest version 2), ascending by group public key, paginated",
                    "parameters": [
                        _q("after", "group id (sn_...): start after this group (the `next` link carries it)"),
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "page size",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": '{"groups": [{"group": "sn_...", "digest": "<64 hex>"}], '
                            '"next": "/api/v1/digest/groups?after=...&limit=..." or null, "version": 2}'
                        },
                        "400": {"$ref": "#/components/responses/Error"},
                    },
                }
            },
            "/api/v1/callouts": _list(
                "callouts",
                [
                    _q("status", "open (default), fulfilled, withdrawn or all", ["open", "fulfilled", "withdrawn", "all"]),
                    _q("need", "only callouts asking for this", list(NEEDS)),
                    _q("area", "text in the callout's place"),
                    _q("campaign", "campaign event id (hex)"),
                    _q("author", "group id (sn_...)"),
                    _q("since", "only callouts ending/starting after this time (ms)"),
                ],
                "Callouts, most urgent and soonest first, with pledges and totals",
            ),
            "/api/v1/callouts/{id}": _one(
                "callout with its pledge totals and a page of its pledges (`pledges_next`)", paged=True
            ),
            "/api/v1/campaigns": _list("campaigns", [_q("author", "group id"), _q("status", "active or closed")]),
            "/api/v1/campaigns/{id}": _one("campaign with the first page of its callouts, reports and decisions"),
            "/api/v1/groups": _list("groups", None, "Groups by name, then logs held without a profile"),
            "/api/v1/groups/{group_id}": _one("group", "group_id"),
            "/api/v1/reports": _list("reports", [_q("author", "group id"), _q("campaign", "campaign id")]),
            "/api/v1/pledges": _list(
                "pledges", [_q("author", "group id"), _q("callout", "callout id"), _q("status", "made, fulfilled or withdrawn")]
            ),
            "/api/v1/decisions": _list("decisions", [_q("author", "group id"), _q("campaign", "campaign id")]),
            "/api/v1/assemblies": _list(
                "assemblies", None, "Assemblies (latest first) with their first proposals, positions and decisions", 20
            ),
            "/api/v1/assemblies/{id}": _one("assembly with its agenda items (proposals), minutes (reports) and decisions"),
            "/api/v1/proposals/{id}": _one(
                "proposal with its process, live tally, who has not answered, positions' history and, once closed, outcome"
            ),
            "/api/v1/threads/{id}": _one(
                "page of the thread on any item, newest activity first (`comments`, `next`; blocked groups left out)",
                paged=True,
            ),
            "/api/v1/comments": _list(
                "comments",
                [_q("author", "group id"), _q("item", "the item whose thread they are in"), _q("status", "posted or withdrawn")],
                "Comments, newest activity first",
            ),
            "/api/v1/events/{id}": _one("signed event"),
            "/api/v1/peers": {
                "get": {
                    "summary": "Known peers with their health (state, failures, misbehaviour points, last sync)",
                    "responses": {"200": {"description": '{"peers": [...]}'}},
                },
                "post": {
                    "summary": "Add a peer by URL (saved in the node's settings; synced with soon)",
                    "security": [{"token": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["url"],
                                    "properties": {"url": {"type": "string", "description": "http(s)://host:port"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "the peer and its health"},
                        "400": {"$ref": "#/components/responses/Error"},
                        "401": {"$ref": "#/components/responses/Error"},
                    },
                },
            },
            "/api/v1/quarantine": {
                "get": {
                    "summary": "New groups offered by origins nobody chose, held per origin (docs/OPERATIONS.md)",
                    "security": [{"token": []}],
                    "parameters": [_q("offset", "origins to skip"), _q("limit", "origins per page, at most 64 (16)")],
                    "responses": {
                        "200": {"description": '{"mode": ..., "origins": n, "quarantine": [{"origin", "dropped", "groups"}]}'},
                        "400": {"$ref": "#/components/responses/Error"},
                        "401": {"$ref": "#/components/responses/Error"},
                    },
                },
            },
            "/api/v1/invitations": {
                "get": {
                    "summary": "Invitations for other groups' nodes, newest first (never their codes)",
                    "security": [{"token": []}],
                    "parameters": [_q("offset", "invitations to skip"), _q("limit", "invitations per page, at most 100 (20)")],
                    "responses": {
                        "200": {
                            "description": '{"invitations": [{"id", "created", "expires", "uses", "used", "revoked", "state"}]}'
                        },
                        "401": {"$ref": "#/components/responses/Error"},
                    },
                },
                "post": {
                    "summary": "Invite another group's node: its one-time code and link are in this answer only",
                    "security": [{"token": []}],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "uses": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1},
                                        "expires_days": {"type": "number", "exclusiveMinimum": 0, "maximum": 365, "default": 7},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {"description": "the invitation with its `code` and `link`"},
                        "400": {"$ref": "#/components/responses/Error"},
                        "401": {"$ref": "#/components/responses/Error"},
                    },
                },
            },
            "/api/v1/invitations/{id}/revoke": {
                "post": {
                    "summary": "Revoke an invitation: redeeming it is refused from now on",
                    "security": [{"token": []}],
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "the invitation, state `revoked`"},
                        "404": {"$ref": "#/components/responses/Error"},
                    },
                },
            },
            "/api/v1/quarantine/accept": {
                "post": {
                    "summary": "Accept what one origin offered (all its held groups, or those listed): stored and pulled",
                    "security": [{"token": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["origin"],
                                    "properties": {
                                        "origin": {"type": "string"},
                                        "groups": {"type": "array", "items": {"type": "string"}, "maxItems": 64},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {"description": '{"origin": ..., "accepted": n, "stored": n}'},
                        "400": {"$ref": "#/components/responses/Error"},
                        "401": {"$ref": "#/components/responses/Error"},
                        "404": {"$ref": "#/components/responses/Error"},
                    },
                },
            },
            "/api/v1/events": {
                "post": {
                    "summary": "Publish an event of the node's own group",
                    "security": [{"token": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Publish"}}},
                    },
                    "responses": {
                        "201": {"description": "the signed event"},
                        "400": {"$ref": "#/components/responses/Error"},
                        "401": {"$ref": "#/components/responses/Error"},
                        "413": {"$ref": "#/components/responses/Error"},
                        "422": {"$ref": "#/components/responses/Error"},
                    },
                }
            },
            "/api/v1/me": {
                "get": {
                    "summary": "Who the token acts for: member_id (null: the built-in admin), name, role, scopes (read scope)",
                    "security": [{"token": []}],
                    "responses": {"200": {"description": "the member"}, "401": {"$ref": "#/components/responses/Error"}},
                }
            },
            "/api/v1/activity": _secured(
                _list("activity", summary="Who published, changed or redacted the group's events (node-local; read scope)")
            ),
        },
    }


def _secured(path: dict[str, Any]) -> dict[str, Any]:
    """Return a path description that needs a token (401 without one, 403 without the scope)."""
    for operation in path.values():
        operation["security"] = [{"token": []}]
        operation["responses"]["401"] = operation["responses"]["403"] = {"$ref": "#/components/responses/Error"}
    return path
