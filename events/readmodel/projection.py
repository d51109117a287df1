"""Read models as a pure function of the event set: `project(event, view)` returns the changes one event makes.

The result does not depend on how authors' logs interleave (docs/KINDS.md, "Read models"):
- an update, withdrawal, fulfilment or closing only touches an entity its own author created earlier in
  the same log, so it is present when the change arrives (absent: ignored);
- links across authors (pledge -> callout, position -> proposal, callout -> campaign, ...) are kept as the
  document's `ref` and joined at read time (events/readmodel/joins.py), never copied into the target;
- a document that several events of one author shape keeps those events in its `log` field, and its other
  fields are a fold over that log; so `log.redact` can take one event back out and refold, which gives the
  same document as a replay that never saw the redacted payload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import EventError
from ..event import Event
from ..kinds import valid_payload_value
from .view import Change, Delete, Put, ViewReader, make_put

GROUPS = "groups"
CAMPAIGNS = "campaigns"
CALLOUTS = "callouts"
PLEDGES = "pledges"
REPORTS = "reports"
ASSEMBLIES = "assemblies"
PROPOSALS = "proposals"
POSITIONS = "positions"
DECISIONS = "decisions"
FOLLOWS = "follows"
COLLECTIONS = (GROUPS, CAMPAIGNS, CALLOUTS, PLEDGES, REPORTS, ASSEMBLIES, PROPOSALS, POSITIONS, DECISIONS, FOLLOWS)
"""Every read-model collection, in the order the state digest hashes them."""

Entry = list  # [event id, seq, timestamp, kind, payload map]: one event in a document's `log`
_ID, _SEQ, _TS, _KIND, _PAYLOAD = range(5)


def position_key(proposal: bytes, author: bytes) -> bytes:
    """Return the key of `author`'s position on `proposal` in the positions collection."""
    return proposal + author


def follow_key(author: bytes, target: bytes) -> bytes:
    """Return the key of the edge from `author` to `target` in the follows collection."""
    return author + target


def project(event: Event, view: ViewReader) -> list[Change]:
    """Return the changes a chain-valid event makes to the read models; [] for dropped, invalid or unknown payloads."""
    if event.payload is None:
        return []
    header = event.header  # its fields read directly: this runs for every valid event
    kind = header.kind
    try:
        value = valid_payload_value(kind, event.payload)
        if value is None:  # unknown kind
            return []
    except EventError:
        return []
    handler = _HANDLERS.get(kind)
    if handler is None:  # known kinds without a read model: key.commit, key.rotate
        return []
    entry: Entry = [event.id, header.seq, header.timestamp, kind, value]
    return handler(header.author, entry, view)


def _meta(author: bytes, entry: Entry) -> dict[str, Any]:
    return {"id": entry[_ID], "author": author, "seq": entry[_SEQ], "timestamp": entry[_TS]}


def _without(payload: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in names}


# Folds: a document from its log (oldest first). Entities start with their creating event.


def _fold_campaign(author: bytes, log: list[Entry]) -> dict[str, Any]:
    doc = {**_meta(author, log[0]), **log[0][_PAYLOAD], "status": "active"}
    for entry in log[1:]:
        if doc["status"] != "active":
            break
        payload = entry[_PAYLOAD]
        if entry[_KIND] == "campaign.updated":
            doc.update(_without(payload, "campaign"))
            doc["updated_at"] = entry[_TS]
        else:
            doc.update(_without(payload, "campaign"), status="closed", closed_at=entry[_TS])
    doc["log"] = log
    return doc


def _fold_callout(author: bytes, log: list[Entry]) -> dict[str, Any]:
    doc = {**_meta(author, log[0]), **log[0][_PAYLOAD], "status": "open"}
    for entry in log[1:]:
        if doc["status"] != "open":
            break
        kind, payload = entry[_KIND], _without(entry[_PAYLOAD], "callout")
        if kind == "callout.updated":
            merged = {**doc, **payload}
            # An update that would end the callout before it starts is ignored, as the schema would reject it.
            if (
                merged.get("starts_at") is not None
                and merged.get("ends_at") is not None
                and merged["ends_at"] < merged["starts_at"]
            ):
                continue
            doc = merged
            doc["updated_at"] = entry[_TS]
        else:
            doc.update(payload, status="withdrawn" if kind == "callout.withdrawn" else "fulfilled", closed_at=entry[_TS])
    doc["log"] = log
    return doc


def _fold_pledge(author: bytes, log: list[Entry]) -> dict[str, Any]:
    doc = {**_meta(author, log[0]), **log[0][_PAYLOAD], "status": "made"}
    for entry in log[1:]:
        if doc["status"] != "made":
            break
        status = "withdrawn" if entry[_KIND] == "pledge.withdrawn" else "fulfilled"
        doc.update(_without(entry[_PAYLOAD], "pledge"), status=status, closed_at=entry[_TS])
    doc["log"] = log
    return doc


def _fold_latest(author: bytes, log: list[Entry]) -> dict[str, Any]:
    """Profiles and positions: the newest event counts; `first_timestamp` says since when the document exists."""
    return {**_meta(author, log[-1]), **log[-1][_PAYLOAD], "first_timestamp": log[0][_TS], "log": log}


_EDGE_STATES = {"graph.follow": "follow", "graph.block": "block"}
_EDGE_UNDO = {"graph.unfollow": "follow", "graph.unblock": "block"}


def _fold_follow(author: bytes, log: list[Entry]) -> dict[str, Any]:
    state = "none"
    for entry in log:
        kind = entry[_KIND]
        if kind in _EDGE_STATES:
            state = _EDGE_STATES[kind]
        elif state == _EDGE_UNDO[kind]:  # unfollow does not lift a block, unblock does not end a follow
            state = "none"
    return {**_meta(author, log[-1]), "group": log[-1][_PAYLOAD]["group"], "state": state, "log": log}


def _ref_of(collection: str, doc: dict[str, Any]) -> bytes | None:
    if collection in (CALLOUTS, REPORTS):
        return doc.get("campaign")
    if collection == PLEDGES:
        return doc["callout"]
    if collection == PROPOSALS:
        return doc.get("assembly")
    if collection == POSITIONS:
        return doc["proposal"]
    if collection == DECISIONS:
        return doc.get("proposal") or doc.get("assembly")
    if collection == FOLLOWS:
        return doc["group"]
    return None


_FOLDS: dict[str, Callable[[bytes, list[Entry]], dict[str, Any]]] = {
    CAMPAIGNS: _fold_campaign,
    CALLOUTS: _fold_callout,
    PLEDGES: _fold_pledge,
    GROUPS: _fold_latest,
    POSITIONS: _fold_latest,
    FOLLOWS: _fold_follow,
}
_ENTITIES = (CAMPAIGNS, CALLOUTS, PLEDGES)
_SINGLE = (REPORTS, ASSEMBLIES, PROPOSALS, DECISIONS)


def _put(collection: str, key: bytes, author: bytes, log: list[Entry]) -> Put:
    doc = _FOLDS[collection](author, log)
    return make_put(collection, key, author, _ref_of(collection, doc), doc)


def _create(collection: str) -> Callable[[bytes, Entry, ViewReader], list[Change]]:
    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        return [_put(collection, entry[_ID], author, [entry])]

    return handle


def _single(collection: str) -> Callable[[bytes, Entry, ViewReader], list[Change]]:
    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        # _meta written out: one dict instead of two for the most common documents
        doc = {"id": entry[_ID], "author": author, "seq": entry[_SEQ], "timestamp": entry[_TS], **entry[_PAYLOAD]}
        return [make_put(collection, entry[_ID], author, _ref_of(collection, doc), doc)]

    return handle


def _modify(collection: str, target: str) -> Callable[[bytes, Entry, ViewReader], list[Change]]:
    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        key = entry[_PAYLOAD][target]
        current = view.get(collection, key)
        if current is None or current.author != author:
            return []
        return [_put(collection, key, author, [*current.doc["log"], entry])]

    return handle


def _append(collection: str, key_of: Callable[[bytes, Entry], bytes]) -> Callable[[bytes, Entry, ViewReader], list[Change]]:
    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        key = key_of(author, entry)
        current = view.get(collection, key)
        log = [entry] if current is None else [*current.doc["log"], entry]
        return [_put(collection, key, author, log)]

    return handle


def _redact(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
    target = entry[_PAYLOAD]["event"]
    for collection in (*_ENTITIES, *_SINGLE):
        found = view.get(collection, target)
        if found is not None and found.author == author:
            return [Delete(collection, target)]
    for collection in (GROUPS, *_ENTITIES, POSITIONS, FOLLOWS):
        candidates = [view.get(GROUPS, author)] if collection == GROUPS else view.scan(collection, author=author)
        for found in candidates:
            if found is None or found.author != author:
                continue
            log = found.doc["log"]
            if any(e[_ID] == target for e in log):
                rest = [e for e in log if e[_ID] != target]
                return [_put(collection, found.key, author, rest) if rest else Delete(collection, found.key)]
    return []


_HANDLERS: dict[str, Callable[[bytes, Entry, ViewReader], list[Change]]] = {
    "group.profile": _append(GROUPS, lambda author, entry: author),
    "campaign.created": _create(CAMPAIGNS),
    "campaign.updated": _modify(CAMPAIGNS, "campaign"),
    "campaign.closed": _modify(CAMPAIGNS, "campaign"),
    "callout.published": _create(CALLOUTS),
    "callout.updated": _modify(CALLOUTS, "callout"),
    "callout.withdrawn": _modify(CALLOUTS, "callout"),
    "callout.fulfilled": _modify(CALLOUTS, "callout"),
    "pledge.made": _create(PLEDGES),
    "pledge.withdrawn": _modify(PLEDGES, "pledge"),
    "pledge.fulfilled": _modify(PLEDGES, "pledge"),
    "report.published": _single(REPORTS),
    "assembly.scheduled": _single(ASSEMBLIES),
    "proposal.tabled": _single(PROPOSALS),
    "position.taken": _append(POSITIONS, lambda author, entry: position_key(entry[_PAYLOAD]["proposal"], author)),
    "decision.recorded": _single(DECISIONS),
    "graph.follow": _append(FOLLOWS, lambda author, entry: follow_key(author, entry[_PAYLOAD]["group"])),
    "graph.unfollow": _append(FOLLOWS, lambda author, entry: follow_key(author, entry[_PAYLOAD]["group"])),
    "graph.block": _append(FOLLOWS, lambda author, entry: follow_key(author, entry[_PAYLOAD]["group"])),
    "graph.unblock": _append(FOLLOWS, lambda author, entry: follow_key(author, entry[_PAYLOAD]["group"])),
    "log.redact": _redact,
}
