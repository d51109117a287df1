"""The node's JSON API: public reads of the read models, and writes for the node's own group behind a bearer token."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from aiohttp import web

from events.errors import EventError
from events.identity import group_id_text, parse_group_id
from events.kinds import KINDS, friendly_payload
from events.readmodel.projection import CAMPAIGNS, COMMENTS, DECISIONS, PLEDGES, REPORTS

from . import queries
from .assembly_queries import assemblies_json, get_assembly
from .bodies import read_body
from .errors import AuthError, BodyTooLargeError, NotFoundError, RequestError
from .members import principal_of, record_act
from .openapi import openapi_document
from .paging import DEFAULT_LIMIT, Page, PageRequest, page_request
from .proposal_queries import get_proposal
from .service import NodeService
from .thread_queries import get_thread

SERVICE = web.AppKey("service", NodeService)


class PeerDirectory(Protocol):
    """What the peers endpoints need from federation (node/federation/scheduler.py implements it)."""

    async def peers_json(self) -> list[dict[str, Any]]: ...

    async def add_peer(self, url: str) -> dict[str, Any]: ...

    def quarantine_json(self, offset: int, limit: int) -> dict[str, Any]: ...

    async def accept_offers(self, origin: str, groups: list[bytes] | None) -> dict[str, Any]: ...


PEER_DIRECTORY = web.AppKey("peer_directory", PeerDirectory)
_PEER_URL = re.compile(r"https?://[!-~]{1,500}")
MAX_JSON_BODY = 96 * 1024
DIGEST_VERSION = 2  # the state digest the node shows (docs/KINDS.md, "State digest")
DIGEST_GROUPS_PAGE, MAX_DIGEST_GROUPS_PAGE = 100, 1000
routes = web.RouteTableDef()


def service_of(request: web.Request) -> NodeService:
    return request.app[SERVICE]


async def read_json_object(request: web.Request, allowed: set[str], required: set[str], limit: int = MAX_JSON_BODY) -> dict:
    """Return the request's JSON object body; raise RequestError for size, syntax, unknown or missing fields."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError(f"body has {request.content_length} bytes, the limit is {limit}", field="body")
    raw = await read_body(request, limit)
    if raw is None:
        raise BodyTooLargeError(f"body is larger than the limit of {limit} bytes", field="body")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestError(f"body is not valid JSON: {exc}", field="body") from None
    except RecursionError:
        raise RequestError("body is nested too deeply", field="body") from None
    if not isinstance(body, dict):
        raise RequestError("body must be a JSON object", field="body")
    for name in body:
        if name not in allowed:
            raise RequestError(f"unknown field {name!r:.60}", field=str(name)[:60])
    for name in sorted(required):
        if name not in body:
            raise RequestError(f"missing field {name!r}", field=name)
    return body


def require_token(request: web.Request) -> None:
    """Raise AuthError unless the request came with a valid token; which scope each route needs is decided, and
    checked before the handler runs, in node/access.py (ACCESS)."""
    if principal_of(request) is None:
        raise AuthError("this endpoint needs an API token: Authorization: Bearer TOKEN", field="Authorization")


def _query(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    return value if value else None


@routes.get("/api/v1/node")
async def node_info(request: web.Request) -> web.Response:
    return web.json_response(await service_of(request).info())


@routes.get("/api/v1/digest")
async def digest(request: web.Request) -> web.Response:
    return web.json_response({"state_digest": await service_of(request).digest(), "version": DIGEST_VERSION})


@routes.get("/api/v1/digest/groups")
async def group_digests(request: web.Request) -> web.Response:
    after_text = _query(request, "after")
    try:
        after = None if after_text is None else parse_group_id(after_text)
    except EventError:
        raise RequestError("after must be a group id (sn_...) from a previous page", field="after") from None
    limit = _limit(request, DIGEST_GROUPS_PAGE, MAX_DIGEST_GROUPS_PAGE)
    groups, last = await service_of(request).group_digests(after, limit)
    following = None if last is None else f"/api/v1/digest/groups?after={group_id_text(last)}&limit={limit}"
    items = [{"group": group_id_text(author), "digest": value.hex()} for author, value in groups]
    return web.json_response({"groups": items, "next": following, "version": DIGEST_VERSION})


def _limit(request: web.Request, default: int, maximum: int) -> int:
    text = request.query.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise RequestError(f"limit must be a whole number from 1 to {maximum}", field="limit")
    return int(text)


def page_of_request(request: web.Request, default: int = DEFAULT_LIMIT) -> PageRequest:
    """Return the page a list request asks for (`limit`, `cursor`); raise RequestError naming the bad one."""
    return page_request(_query(request, "limit"), _query(request, "cursor"), default=default)


def page_json(name: str, page: Page) -> web.Response:
    """Return a page of a list as `{name: [...], "next": cursor or null}`."""
    return web.json_response({name: page.items, "next": page.next})


@routes.get("/api/v1/callouts")
async def callouts(request: web.Request) -> web.Response:
    since = _query(request, "since")
    if since is not None and not (since.isdigit() and len(since) <= 15):
        raise RequestError("since must be milliseconds since the Unix epoch", field="since")
    found = await service_of(request).query(
        queries.list_callouts,
        page_of_request(request),
        status=request.query.get("status", "open"),
        need=_query(request, "need"),
        area=_query(request, "area"),
        campaign=_query(request, "campaign"),
        author=_query(request, "author"),
        since=int(since) if since else None,
    )
    return page_json("callouts", found)


@routes.get("/api/v1/callouts/{id}")
async def callout(request: web.Request) -> web.Response:
    """One callout with its totals and a page of its pledges (`limit` and `cursor` page the pledges)."""
    found = await service_of(request).query(queries.get_callout, request.match_info["id"], page_of_request(request))
    return web.json_response(found)


@routes.get("/api/v1/campaigns/{id}")
async def campaign(request: web.Request) -> web.Response:
    return web.json_response(await service_of(request).query(queries.get_campaign, request.match_info["id"]))


@routes.get("/api/v1/groups")
async def groups(request: web.Request) -> web.Response:
    return page_json("groups", await service_of(request).groups(page_of_request(request)))


@routes.get("/api/v1/groups/{group_id}")
async def group(request: web.Request) -> web.Response:
    return web.json_response(await service_of(request).group(request.match_info["group_id"]))


# The plain document lists: (name, collection, how their query parameters map to list_docs' filters, ref's name).
DOC_LISTS = (
    ("campaigns", CAMPAIGNS, {"author": "author", "status": "status"}, "ref"),
    ("reports", REPORTS, {"author": "author", "campaign": "ref"}, "campaign"),
    ("pledges", PLEDGES, {"author": "author", "callout": "ref", "status": "status"}, "callout"),
    ("decisions", DECISIONS, {"author": "author", "campaign": "link"}, "ref"),
    ("comments", COMMENTS, {"author": "author", "item": "ref", "status": "status"}, "item"),
)


def _doc_list(name: str, collection: str, params: dict[str, str], ref_field: str):
    async def handler(request: web.Request) -> web.Response:
        filters = {arg: _query(request, param) for param, arg in params.items()}
        found = await service_of(request).query(
            queries.list_docs, collection, page_of_request(request), ref_field=ref_field, **filters
        )
        return page_json(name, found)

    handler.__name__ = name
    return handler


for _name, _collection, _params, _ref_field in DOC_LISTS:
    routes.get(f"/api/v1/{_name}")(_doc_list(_name, _collection, _params, _ref_field))


@routes.get("/api/v1/assemblies")
async def assemblies(request: web.Request) -> web.Response:
    found = await service_of(request).query(assemblies_json, page_of_request(request, default=20))
    return page_json("assemblies", found)


@routes.get("/api/v1/assemblies/{id}")
async def assembly(request: web.Request) -> web.Response:
    return web.json_response(await service_of(request).query(get_assembly, request.match_info["id"]))


@routes.get("/api/v1/proposals/{id}")
async def proposal(request: web.Request) -> web.Response:
    """A proposal with its process, live tally, who has not answered, positions' history and (once closed) outcome."""
    service = service_of(request)
    return web.json_response(await service.query(get_proposal, request.match_info["id"], service.now()))


@routes.get("/api/v1/threads/{id}")
async def thread(request: web.Request) -> web.Response:
    """A page of the thread on any item, newest activity first (comments of groups the node blocks left out)."""
    service = service_of(request)
    found = await service.query(get_thread, request.match_info["id"], page_of_request(request))
    return page_json("comments", found)


@routes.get("/api/v1/events/{id}")
async def event(request: web.Request) -> web.Response:
    event_id = queries.parse_event_id(request.match_info["id"])
    found = await service_of(request).event(event_id)
    if found is None:
        raise NotFoundError(f"no event with id {event_id.hex()}", field="id")
    return web.json_response(event_json(found))


def event_json(event: Any) -> dict[str, Any]:
    """Return an event's header, signature and decoded payload as JSON."""
    h = event.header
    payload = None
    if event.payload is not None:
        try:
            payload = friendly_payload(h.kind, event.payload_value())
        except EventError:  # a payload of an unknown kind need not be msgpack: shown as hex
            payload = event.payload.hex()
    return {
        "id": event.id.hex(),
        "author": group_id_text(h.author),
        "seq": h.seq,
        "prev": h.prev.hex() if h.prev else None,
        "timestamp": h.timestamp,
        "kind": h.kind,
        "payload_hash": h.payload_hash.hex(),
        "payload_size": h.payload_size,
        "signature": event.signature.hex(),
        "payload": payload,
        "payload_dropped": event.payload is None,
        "header_hex": event.header_bytes.hex(),
    }


@routes.post("/api/v1/events")
async def publish(request: web.Request) -> web.Response:
    """Publish an event of the node's own group: {"kind": "callout.published", "payload": {...}}."""
    require_token(request)
    body = await read_json_object(request, {"kind", "payload"}, {"kind", "payload"})
    kind = body["kind"]
    if not isinstance(kind, str) or kind not in KINDS:
        raise RequestError(f"kind must be one of the known kinds (see docs/KINDS.md), not {kind!r:.60}", field="kind")
    if not isinstance(body["payload"], dict):
        raise RequestError("payload must be a JSON object", field="payload")
    created = await service_of(request).publish(kind, body["payload"])
    await record_act(request, created)
    return web.json_response(event_json(created), status=201)


@routes.get("/api/v1/peers")
async def peers(request: web.Request) -> web.Response:
    directory = request.app.get(PEER_DIRECTORY)
    if directory is not None:
        return web.json_response({"peers": await directory.peers_json()})
    configured = service_of(request).settings.peers
    return web.json_response({"peers": [{"url": url, "state": "not_running"} for url in configured]})


@routes.post("/api/v1/peers")
async def add_peer(request: web.Request) -> web.Response:
    """Add a peer: {"url": "http://host:port"}; saved in the settings, synced with soon."""
    require_token(request)
    body = await read_json_object(request, {"url"}, {"url"})
    url = body["url"]
    if not isinstance(url, str) or not _PEER_URL.fullmatch(url):
        raise RequestError("url must be an http(s) URL like http://127.0.0.1:8471", field="url")
    url = url.rstrip("/")
    service_of(request).add_peer(url)
    directory = request.app.get(PEER_DIRECTORY)
    shown = await directory.add_peer(url) if directory is not None else {"url": url, "state": "not_running"}
    return web.json_response(shown, status=201)


def _directory(request: web.Request) -> PeerDirectory:
    directory = request.app.get(PEER_DIRECTORY)
    if directory is None:
        raise NotFoundError("this node is not federating (no quarantine)", field="path")
    return directory


def _int_param(request: web.Request, name: str, default: int, maximum: int) -> int:
    raw = request.query.get(name, str(default))
    if not raw.isdigit() or int(raw) > maximum:
        raise RequestError(f"{name} must be a whole number from 0 to {maximum}, not {raw!r:.40}", field=name)
    return int(raw)


@routes.get("/api/v1/quarantine")
async def quarantine(request: web.Request) -> web.Response:
    """New groups offered by origins nobody chose, held per origin until an admin accepts them (token)."""
    require_token(request)
    offset = _int_param(request, "offset", 0, 10_000)
    limit = _int_param(request, "limit", 16, 64)
    return web.json_response(_directory(request).quarantine_json(offset, limit))


@routes.post("/api/v1/quarantine/accept")
async def accept_quarantined(request: web.Request) -> web.Response:
    """Accept what one origin offered: {"origin": "...", "groups": ["sn_...", ...] (optional: all)}; stores what was held."""
    require_token(request)
    body = await read_json_object(request, {"origin", "groups"}, {"origin"})
    origin, groups = body["origin"], body.get("groups")
    if not isinstance(origin, str) or not 0 < len(origin) <= 600:
        raise RequestError("origin must be an origin as GET /api/v1/quarantine lists it", field="origin")
    authors = None
    if groups is not None:
        if not isinstance(groups, list) or len(groups) > 64 or not all(isinstance(g, str) for g in groups):
            raise RequestError("groups must be a list of at most 64 group ids", field="groups")
        try:
            authors = [parse_group_id(g) for g in groups]
        except EventError as exc:
            raise RequestError(f"groups: {exc}", field="groups") from None
    return web.json_response(await _directory(request).accept_offers(origin, authors))


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def setup_api(app: web.Application) -> None:
    """Add the JSON API routes to `app` (which must hold SERVICE)."""
    app.add_routes(routes)
