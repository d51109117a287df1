"""The node's JSON API: public reads of the read models, and writes for the node's own group behind a bearer token."""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from events.errors import EventError
from events.identity import group_id_text, group_key_of
from events.kinds import friendly_payload
from events.readmodel.projection import CAMPAIGNS, COMMENTS, DECISIONS, PLEDGES, REPORTS
from events.readmodel.search import QUERY_MAX

from . import api_replies as replies
from . import find_queries, queries
from .api_params import (
    EXAMPLE_GROUP,
    callout_filters,
    doc_filters,
    event_id,
    group_id,
    lang_filter,
    page_of_args,
    page_params,
)
from .apispec import MAX_JSON_BODY, ApiRoutes, Args, Body, Field, Param, add_api_routes
from .assembly_queries import assemblies_json, get_assembly
from .errors import NotFoundError
from .find_queries import KIND_NAMES
from .members import record_act
from .paging import Page
from .proposal_queries import get_proposal
from .publish_body import PUBLISH_BODY
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
DIGEST_VERSION = 2  # the state digest the node shows (docs/KINDS.md, "State digest")
DIGEST_GROUPS_PAGE, MAX_DIGEST_GROUPS_PAGE = 100, 1000
api = ApiRoutes()
__all__ = ["MAX_JSON_BODY", "PEER_DIRECTORY", "SERVICE", "event_json", "setup_api"]


def service_of(request: web.Request) -> NodeService:
    return request.app[SERVICE]


@api.get("/api/v1/node", "Node info and status: group, counts, forks, own head, state digest, peers", reply=replies.NODE)
async def node_info(request: web.Request, args: Args) -> web.Response:
    return web.json_response(await service_of(request).info())


@api.get("/api/v1/digest", "State digest, version 2 (docs/KINDS.md)", reply=replies.DIGEST)
async def digest(request: web.Request, args: Args) -> web.Response:
    return web.json_response({"state_digest": await service_of(request).digest(), "version": DIGEST_VERSION})


@api.get(
    "/api/v1/digest/groups",
    "Group digests (state digest version 2), ascending by group public key, a page at a time",
    params=(
        Param(
            "after",
            "group id (sn_…) from the previous page: start after it (the `next` link carries it)",
            pattern=group_id().pattern,
            convert=group_key_of,
        ),
        Param("limit", "page size", kind="integer", minimum=1, maximum=MAX_DIGEST_GROUPS_PAGE, default=DIGEST_GROUPS_PAGE),
    ),
    reply=replies.GROUP_DIGESTS,
)
async def group_digests(request: web.Request, args: Args) -> web.Response:
    limit = args["limit"]
    groups, last = await service_of(request).group_digests(args["after"], limit)
    following = None if last is None else f"/api/v1/digest/groups?after={group_id_text(last)}&limit={limit}"
    items = [{"group": group_id_text(author), "digest": value.hex()} for author, value in groups]
    return web.json_response({"groups": items, "next": following, "version": DIGEST_VERSION})


def page_json(name: str, page: Page) -> web.Response:
    """Return a page of a list as `{name: [...], "next": cursor or null}`."""
    return web.json_response({name: page.items, "next": page.next})


@api.get(
    "/api/v1/callouts",
    "Callouts, most urgent and soonest first, with pledge totals and first pledges, a page at a time",
    params=(*callout_filters(), *page_params()),
    reply=replies.page("callouts", replies.CALLOUT),
)
async def list_callouts(request: web.Request, args: Args) -> web.Response:
    found = await service_of(request).query(
        queries.list_callouts,
        page_of_args(args),
        status=args["status"],
        need=args["need"],
        area=args["area"] or None,
        campaign=args["campaign"],
        author=args["author"],
        since=args["since"],
        lang=args["lang"],
    )
    return page_json("callouts", found)


@api.get(
    "/api/v1/callouts/{id}",
    "One callout with its pledge totals and a page of its pledges (`pledges_next`)",
    params=(event_id("id", what="callout"), *page_params()),
    reply=replies.CALLOUT_DETAIL,
)
async def get_callout(request: web.Request, args: Args) -> web.Response:
    found = await service_of(request).query(queries.get_callout, args["id"], page_of_args(args))
    return web.json_response(found)


@api.get(
    "/api/v1/campaigns/{id}",
    "One campaign with the first page of its callouts, reports and decisions",
    params=(event_id("id", what="campaign"),),
    reply=replies.CAMPAIGN_DETAIL,
)
async def get_campaign(request: web.Request, args: Args) -> web.Response:
    return web.json_response(await service_of(request).query(queries.get_campaign, args["id"]))


@api.get(
    "/api/v1/groups",
    "Groups by name, then logs held without a profile, a page at a time",
    params=page_params(),
    reply=replies.page("groups", replies.GROUP),
)
async def list_groups(request: web.Request, args: Args) -> web.Response:
    return page_json("groups", await service_of(request).groups(page_of_args(args)))


@api.get(
    "/api/v1/groups/{group_id}",
    "One group: its profile, fork flag and the first page of what it published",
    params=(group_id("group_id", "path", "group id (sn_…)"),),
    reply=replies.GROUP_DETAIL,
)
async def get_group(request: web.Request, args: Args) -> web.Response:
    return web.json_response(await service_of(request).group(args["group_id"]))


# The plain document lists: (name, collection, the filter naming the document they refer to, how query parameters
# map to list_docs' filters, ref's name).
DOC_LISTS = (
    ("campaigns", CAMPAIGNS, None, {"author": "author", "status": "status", "lang": "lang"}, "ref"),
    ("reports", REPORTS, "campaign", {"author": "author", "campaign": "ref", "lang": "lang"}, "campaign"),
    ("pledges", PLEDGES, "callout", {"author": "author", "callout": "ref", "status": "status", "lang": "lang"}, "callout"),
    ("decisions", DECISIONS, "campaign", {"author": "author", "campaign": "link", "lang": "lang"}, "ref"),
    ("comments", COMMENTS, "item", {"author": "author", "item": "ref", "status": "status", "lang": "lang"}, "item"),
)


def _doc_list(name: str, collection: str, ref: str | None, params: dict[str, str], ref_field: str) -> None:
    async def handler(request: web.Request, args: Args) -> web.Response:
        filters = {arg: args[param] for param, arg in params.items()}
        found = await service_of(request).query(queries.list_docs, collection, page_of_args(args), ref_field=ref_field, **filters)
        return page_json(name, found)

    handler.__name__ = f"list_{name}"
    api.get(
        f"/api/v1/{name}",
        f"{name.capitalize()}, newest first, a page at a time",
        params=(*doc_filters(collection, ref), *page_params()),
        reply=replies.page(name, replies.DOCUMENT),
    )(handler)


for _entry in DOC_LISTS:
    _doc_list(*_entry)


@api.get(
    "/api/v1/assemblies",
    "Assemblies (latest first) with their first proposals, positions and decisions, a page at a time",
    params=page_params(20),
    reply=replies.page("assemblies", replies.ASSEMBLY),
)
async def list_assemblies(request: web.Request, args: Args) -> web.Response:
    return page_json("assemblies", await service_of(request).query(assemblies_json, page_of_args(args)))


@api.get(
    "/api/v1/assemblies/{id}",
    "One assembly with its agenda items (proposals), minutes (reports) and decisions",
    params=(event_id(what="assembly"),),
    reply=replies.ASSEMBLY_DETAIL,
    errors=(404,),
)
async def get_assembly_detail(request: web.Request, args: Args) -> web.Response:
    return web.json_response(await service_of(request).query(get_assembly, args["id"]))


@api.get(
    "/api/v1/proposals/{id}",
    "One proposal with its process, live tally, who has not answered, positions' history and, once closed, outcome",
    params=(event_id(what="proposal"),),
    reply=replies.PROPOSAL_DETAIL,
    errors=(404,),
)
async def get_proposal_detail(request: web.Request, args: Args) -> web.Response:
    service = service_of(request)
    return web.json_response(await service.query(get_proposal, args["id"], service.now()))


@api.get(
    "/api/v1/threads/{id}",
    "A page of the thread on any item, newest activity first (comments of groups this node blocked left out)",
    params=(event_id(what="item"), *page_params()),
    reply=replies.page("comments", replies.DOCUMENT),
)
async def get_thread_page(request: web.Request, args: Args) -> web.Response:
    found = await service_of(request).query(get_thread, args["id"], page_of_args(args))
    return page_json("comments", found)


@api.get(
    "/api/v1/search",
    "Callouts, campaigns, reports, assemblies, proposals and decisions matching `q`, newest first, a page at a time",
    params=(
        Param(
            "q",
            'words to find (all of them), "a phrase", -a word to leave out: at most 8 terms of at most 64 characters, '
            "at least one to find",
            min_length=1,
            max_length=QUERY_MAX,
            format="solnet-search",
            example="rent strike",
        ),
        Param("in", "only one kind", enum=tuple(KIND_NAMES.values())),
        group_id(),
        lang_filter("results"),
        *page_params(20),
    ),
    reply=replies.page("results", replies.SEARCH_RESULT),
)
async def search(request: web.Request, args: Args) -> web.Response:
    found = await service_of(request).query(
        find_queries.search, args["q"], page_of_args(args), kind=args["in"], author=args["author"], lang=args["lang"]
    )
    return page_json("results", found)


@api.get("/api/v1/events/{id}", "One signed event", params=(event_id(),), reply=replies.EVENT)
async def get_event(request: web.Request, args: Args) -> web.Response:
    event_id = queries.parse_event_id(args["id"])
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


@api.post(
    "/api/v1/events",
    "Publish an event of the node's own group: a kind and its payload (docs/KINDS.md); answers the signed event",
    body=PUBLISH_BODY,
    reply=replies.EVENT,
    errors=(404, 409, 422),
)
async def publish_event(request: web.Request, args: Args) -> web.Response:
    body = args["body"]
    created = await service_of(request).publish(body["kind"], body["payload"])
    await record_act(request, created)
    return web.json_response(event_json(created), status=201)


@api.get("/api/v1/peers", "Known peers with their health (state, failures, misbehaviour points, last sync)", reply=replies.PEERS)
async def list_peers(request: web.Request, args: Args) -> web.Response:
    directory = request.app.get(PEER_DIRECTORY)
    if directory is not None:
        return web.json_response({"peers": await directory.peers_json()})
    configured = service_of(request).settings.peers
    return web.json_response({"peers": [{"url": url, "state": "not_running"} for url in configured]})


PEER_URL = Param("url", "the peer's base URL, http(s)://host:port", pattern=r"^https?://[!-~]{1,500}$")


@api.post(
    "/api/v1/peers",
    "Add a peer by URL (saved in the node's settings; synced with soon)",
    body=Body.of((Field(PEER_URL, required=True),), {"peer": {"url": "http://127.0.0.1:8471"}}),
    reply=replies.PEER,
)
async def add_peer(request: web.Request, args: Args) -> web.Response:
    url = args["body"]["url"].rstrip("/")
    service_of(request).add_peer(url)
    directory = request.app.get(PEER_DIRECTORY)
    shown = await directory.add_peer(url) if directory is not None else {"url": url, "state": "not_running"}
    return web.json_response(shown, status=201)


def _directory(request: web.Request) -> PeerDirectory:
    directory = request.app.get(PEER_DIRECTORY)
    if directory is None:
        raise NotFoundError("this node is not federating (no quarantine)", field="path")
    return directory


@api.get(
    "/api/v1/quarantine",
    "New groups offered by origins nobody chose, held per origin (docs/OPERATIONS.md)",
    params=(
        Param("offset", "origins to skip", kind="integer", minimum=0, maximum=10_000, default=0),
        Param("limit", "origins per page", kind="integer", minimum=1, maximum=64, default=16),
    ),
    reply=replies.QUARANTINE,
    errors=(404,),
)
async def list_quarantine(request: web.Request, args: Args) -> web.Response:
    return web.json_response(_directory(request).quarantine_json(args["offset"], args["limit"]))


ORIGIN = Param("origin", "an origin as GET /api/v1/quarantine lists it", min_length=1, max_length=600)
GROUPS = Param(
    "groups", "group ids (sn_…) to accept; absent: all that origin offered", pattern=group_id().pattern, convert=group_key_of
)


@api.post(
    "/api/v1/quarantine/accept",
    "Accept what one origin offered (all its held groups, or those listed): stored and pulled",
    body=Body.of(
        (Field(ORIGIN, required=True), Field(GROUPS, max_items=64)),
        {"all": {"origin": "remote:203.0.113.5"}, "some": {"origin": "remote:203.0.113.5", "groups": [EXAMPLE_GROUP]}},
    ),
    status=200,
    reply=replies.ACCEPTED,
    errors=(404,),
)
async def accept_quarantined(request: web.Request, args: Args) -> web.Response:
    body = args["body"]
    return web.json_response(await _directory(request).accept_offers(body["origin"], body.get("groups")))


def setup_api(app: web.Application) -> None:
    """Add the JSON API routes to `app` (which must hold SERVICE)."""
    add_api_routes(app, api)
