"""JSON Schemas of what the JSON API's routes answer, for the OpenAPI document (Schemathesis checks answers against them).

A read-model document's fields come from the kind registry: the fields of the kinds that write its collection, in
their JSON form (node/publish_body.py), plus what every document has (author, id, seq, timestamp).
"""

from __future__ import annotations

from typing import Any

from events.identity import GROUP_ID_PATTERN
from events.kinds import KINDS

from .api_params import EVENT_ID_PATTERN
from .members.roles import Role, Scope
from .paging import MAX_LIMIT
from .publish_body import field_schema

HEX = {"type": "string", "pattern": EVENT_ID_PATTERN}
GROUP_ID = {"type": "string", "pattern": GROUP_ID_PATTERN}
COUNT = {"type": "integer", "minimum": 0}
TEXT = {"type": "string"}
NEXT = {"type": ["string", "null"], "description": "cursor of the next page (pass it as `cursor`); null on the last page"}


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """Return the schema of an object with these properties (others may follow), `required` among them."""
    return {"type": "object", "required": list(required), "properties": properties}


def listing(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item, "maxItems": MAX_LIMIT}


def page(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """Return the schema of one page of a list: `{name: [...], "next": cursor or null}`."""
    return obj((name, "next"), **{name: listing(item), "next": NEXT})


def document(*collections: str, **extra: Any) -> dict[str, Any]:
    """Return the schema of a document of `collections`: the fields their kinds write, and those every one has."""
    fields: dict[str, Any] = {}
    for spec in KINDS.values():
        if spec.projection and spec.projection.collection in collections:
            for f in spec.fields:
                fields.setdefault(f.name, {k: v for k, v in field_schema(f).items() if k != "description"})
    return obj(
        ("author", "id", "seq", "timestamp"),
        author=GROUP_ID,
        author_name=TEXT,
        id=HEX,
        seq={"type": "integer", "minimum": 1},
        timestamp=COUNT,
        status=TEXT,
        **fields,
        **extra,
    )


DOCUMENT = obj(("author",), author=GROUP_ID, author_name=TEXT, id=HEX)
TOTALS = obj(
    ("callout", "needs", "pledges", "fulfilled", "withdrawn", "groups"),
    callout=HEX,
    needs=listing(obj(("need", "pledges", "quantity", "fulfilled"), need=TEXT, pledges=COUNT, quantity=COUNT, fulfilled=COUNT)),
    pledges=COUNT,
    fulfilled=COUNT,
    withdrawn=COUNT,
    groups=COUNT,
    wanted={"type": ["integer", "null"]},
)
PLEDGE = document("pledges")
SEARCH_RESULT = {
    **DOCUMENT,
    "required": [*DOCUMENT["required"], "kind", "path"],
    "properties": {**DOCUMENT["properties"], "collection": TEXT, "kind": TEXT, "path": TEXT},
}
CALLOUT = document("callouts", totals=TOTALS, pledges=listing(PLEDGE))
CALLOUT_DETAIL = {**CALLOUT, "required": [*CALLOUT["required"], "totals", "pledges", "pledges_next"]}
CALLOUT_DETAIL["properties"] = {**CALLOUT["properties"], "pledges_next": NEXT}
REPORT, DECISION = document("reports"), document("decisions")


def _with_sections(base: dict[str, Any], **sections: dict[str, Any]) -> dict[str, Any]:
    properties = dict(base["properties"])
    for name, item in sections.items():
        properties[name], properties[f"{name}_next"] = listing(item), NEXT
    return {**base, "required": [*base["required"], *sections, *(f"{n}_next" for n in sections)], "properties": properties}


CAMPAIGN = document("campaigns")
CAMPAIGN_DETAIL = _with_sections(CAMPAIGN, callouts=CALLOUT, reports=REPORT, decisions=DECISION)
ASSEMBLY_DETAIL = document("assemblies")
PROPOSAL_DETAIL = document("proposals")
GROUP = {
    **document("groups", group_id=GROUP_ID, forked={"type": "boolean"}, rotated_after_fork={"type": "boolean"}, events=COUNT),
    "required": ["group_id", "author", "forked", "events"],
}
GROUP_DETAIL = _with_sections(
    {**GROUP, "properties": {**GROUP["properties"], "events": {"type": ["integer", "null"]}}},
    callouts=CALLOUT,
    campaigns=CAMPAIGN,
    reports=REPORT,
)
TALLY = obj(("proposal",), proposal=HEX, blocked_by={"type": "array", "items": GROUP_ID})
PROPOSAL = document("proposals", positions=listing(document("positions")), tally=TALLY, decisions=listing(DECISION))
ASSEMBLY = {
    "anyOf": [
        document("assemblies", proposals=listing(PROPOSAL)),
        obj(("id", "proposals"), id={"type": "null"}, proposals=listing(PROPOSAL), decisions=listing(DECISION)),
    ],
    "description": "an assembly; the first page starts with the proposals outside any assembly (`id` null)",
}
EVENT = obj(
    ("id", "author", "seq", "prev", "timestamp", "kind", "payload_hash", "payload_size", "signature", "payload"),
    id=HEX,
    author=GROUP_ID,
    seq={"type": "integer", "minimum": 1},
    prev={"type": ["string", "null"], "pattern": EVENT_ID_PATTERN},
    timestamp=COUNT,
    kind=TEXT,
    payload_hash=HEX,
    payload_size=COUNT,
    signature={"type": "string", "pattern": "^[0-9a-f]{128}$"},
    payload={"description": "the decoded payload (JSON forms), hex for a kind this node does not know, null if dropped"},
    payload_dropped={"type": "boolean"},
    header_hex={"type": "string", "pattern": "^([0-9a-f]{2})+$"},
)
NODE = obj(
    ("group_id", "name", "version", "events", "own_events", "state_digest"),
    group_id=GROUP_ID,
    name=TEXT,
    version=TEXT,
    events=COUNT,
    own_events=COUNT,
    groups=COUNT,
    forked_groups={"type": "array", "items": GROUP_ID},
    state_digest=HEX,
    state_digest_version={"type": "integer"},
    own_head=obj(("confirmed", "only_copy"), confirmed={"type": "boolean"}, only_copy={"type": "boolean"}),
)
DIGEST = obj(("state_digest", "version"), state_digest=HEX, version={"type": "integer", "enum": [2]})
GROUP_DIGESTS = obj(
    ("groups", "next", "version"),
    groups={"type": "array", "items": obj(("group", "digest"), group=GROUP_ID, digest=HEX)},
    next={"type": ["string", "null"], "description": "the URL of the next page; null on the last"},
    version={"type": "integer", "enum": [2]},
)
PEER = obj(("url", "state"), url=TEXT, state=TEXT)
PEERS = obj(("peers",), peers={"type": "array", "items": PEER})
QUARANTINE = obj(
    ("mode", "origins", "quarantine"),
    mode=TEXT,
    origins=COUNT,
    quarantine={"type": "array", "items": obj(("origin", "dropped", "groups"), origin=TEXT, dropped=COUNT)},
)
ACCEPTED = obj(("origin", "accepted", "stored"), origin=TEXT, accepted=COUNT, stored=COUNT)
ME = obj(
    ("member_id", "name", "role", "scopes"),
    member_id={"type": ["string", "null"], "description": "null: the built-in admin"},
    name=TEXT,
    role={"type": "string", "enum": [r.value for r in Role]},
    scopes={"type": "array", "items": {"type": "string", "enum": [s.value for s in Scope]}},
)
ACT = obj(
    ("event_id", "member", "via", "kind", "action", "at"),
    event_id=HEX,
    member_id={"type": ["string", "null"]},
    member=TEXT,
    via=TEXT,
    kind=TEXT,
    action={"type": "string", "enum": ["published", "changed", "redacted"]},
    at=COUNT,
)
