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
from ..kinds import COLLECTION_SPECS, KINDS, Collection, Effect, Fold, Key, KindSpec, valid_payload_value
from ..kinds.registry import (
    ASSEMBLIES,
    CALLOUTS,
    CAMPAIGNS,
    COMMENTS,
    DECISIONS,
    FOLLOWS,
    GROUPS,
    PLEDGES,
    POSITIONS,
    PROPOSALS,
    REPORTS,
)
from .view import Change, Delete, Put, ViewReader, make_put

READ_MODEL_VERSION = 3
"""The shape of the documents `project` writes (docs/KINDS.md, "Read-model version"): raised when a release changes
what some event does to the read models, so a node rebuilds read models stored by an older release at its start.
1: reports, assemblies, proposals and decisions written once; 2: they are lifecycles with a log; 3: posts may say
their language (`lang`), projected and kept as a listing value that lists filter on."""

COLLECTIONS = tuple(COLLECTION_SPECS)
"""Every read-model collection, in the order the state digest hashes them (declared in events/kinds/registry.py)."""

Entry = list  # [event id, seq, timestamp, kind, payload map]: one event in a document's `log`
_ID, _SEQ, _TS, _KIND, _PAYLOAD = range(5)
Handler = Callable[[bytes, Entry, ViewReader], list[Change]]


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


def project_entry(
    author: bytes, event_id: bytes, seq: int, timestamp: int, kind: str, value: dict, view: ViewReader
) -> list[Change]:
    """Return the changes of one valid payload `value` of `kind` as if signed at (author, seq, timestamp) in
    event `event_id`: how a private event's inner document is projected (events/readmodel/private.py)."""
    handler = _HANDLERS.get(kind)
    return [] if handler is None else handler(author, [event_id, seq, timestamp, kind, value], view)


def _meta(author: bytes, entry: Entry) -> dict[str, Any]:
    return {"id": entry[_ID], "author": author, "seq": entry[_SEQ], "timestamp": entry[_TS]}


def _without(payload: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in names}


# Folds: a document from its log (oldest first), driven by the kinds' projections in the registry.
# per lifecycle kind: (payload field naming the entity or None, status it sets: the starting one, a final one, None = update)
_LIFECYCLE = {
    spec.kind: (spec.projection.target, spec.projection.status)
    for spec in KINDS.values()
    if spec.projection and spec.projection.effect in (Effect.CREATE, Effect.MODIFY)
}
# per edge kind: (state it sets or None, state it ends or None)
_EDGES = {
    spec.kind: (spec.projection.status, spec.projection.undoes)
    for spec in KINDS.values()
    if spec.projection
    and spec.projection.collection in COLLECTION_SPECS
    and COLLECTION_SPECS[spec.projection.collection].fold is Fold.EDGE
}


def _fold_lifecycle(author: bytes, log: list[Entry]) -> dict[str, Any]:
    """Entities: created in a status; updates set the fields they name; the first change of status ends the lifecycle."""
    start = log[0]
    status = _LIFECYCLE[start[_KIND]][1]
    doc = {**_meta(author, start), **start[_PAYLOAD], "status": status}
    for entry in log[1:]:
        if doc["status"] != status:
            break
        target, ends_in = _LIFECYCLE[entry[_KIND]]
        payload = _without(entry[_PAYLOAD], target)
        if ends_in is None:
            merged = {**doc, **payload}
            # An update that would end the entity before it starts is ignored, as the schema would reject it.
            if (
                merged.get("starts_at") is not None
                and merged.get("ends_at") is not None
                and merged["ends_at"] < merged["starts_at"]
            ):
                continue
            doc = merged
            doc["updated_at"] = entry[_TS]
        else:
            doc.update(payload, status=ends_in, closed_at=entry[_TS])
    doc["log"] = log
    return doc


def _fold_latest(author: bytes, log: list[Entry]) -> dict[str, Any]:
    """Profiles and positions: the newest event counts; `first_timestamp` says since when the document exists."""
    return {**_meta(author, log[-1]), **log[-1][_PAYLOAD], "first_timestamp": log[0][_TS], "log": log}


def _edge_fold(collection: Collection) -> Callable[[bytes, list[Entry]], dict[str, Any]]:
    ends = tuple(part for part in collection.key if not isinstance(part, Key))  # the payload fields naming the other end

    def fold(author: bytes, log: list[Entry]) -> dict[str, Any]:
        state = "none"
        for entry in log:
            sets, undoes = _EDGES[entry[_KIND]]
            if sets is not None:
                state = sets
            elif state == undoes:  # e.g. unfollow does not lift a block, unblock does not end a follow
                state = "none"
        last = log[-1][_PAYLOAD]
        return {**_meta(author, log[-1]), **{name: last[name] for name in ends}, "state": state, "log": log}

    return fold


def _ref_getter(collection: Collection) -> Callable[[dict[str, Any]], bytes | None]:
    """Return the function giving a document's ref: its first `ref` field present (precomputed: it runs per Put)."""
    names = collection.ref
    if not names:
        return lambda doc: None
    if len(names) == 1:
        name = names[0]
        return lambda doc: doc.get(name)

    def ref(doc: dict[str, Any]) -> bytes | None:
        for name in names:
            found = doc.get(name)
            if found is not None:
                return found
        return None

    return ref


def _fold_of(collection: Collection) -> Callable[[bytes, list[Entry]], dict[str, Any]] | None:
    if collection.fold is Fold.LIFECYCLE:
        return _fold_lifecycle
    if collection.fold is Fold.LATEST:
        return _fold_latest
    if collection.fold is Fold.EDGE:
        return _edge_fold(collection)
    return None


_FOLDS = {name: fold for name, c in COLLECTION_SPECS.items() if (fold := _fold_of(c)) is not None}
_REFS = {name: _ref_getter(c) for name, c in COLLECTION_SPECS.items()}
_BY_EVENT = tuple(name for name, c in COLLECTION_SPECS.items() if c.keying == "event")  # in digest order
# collections whose documents keep a log, in digest order, and whether they are keyed by author alone
_LOGGED = tuple((name, COLLECTION_SPECS[name].keying == "author") for name in _FOLDS)


def _put(collection: str, key: bytes, author: bytes, log: list[Entry]) -> Put:
    doc = _FOLDS[collection](author, log)
    return make_put(collection, key, author, _REFS[collection](doc), doc)


def _create(collection: str) -> Handler:
    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        return [_put(collection, entry[_ID], author, [entry])]

    return handle


def _single(collection: str) -> Handler:
    ref_of = _REFS[collection]

    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        # _meta written out: one dict instead of two for the most common documents
        doc = {"id": entry[_ID], "author": author, "seq": entry[_SEQ], "timestamp": entry[_TS], **entry[_PAYLOAD]}
        return [make_put(collection, entry[_ID], author, ref_of(doc), doc)]

    return handle


def _modify(collection: str, target: str) -> Handler:
    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        key = entry[_PAYLOAD][target]
        current = view.get(collection, key)
        if current is None or current.author != author:  # only the author changes an entity
            return []
        return [_put(collection, key, author, [*current.doc["log"], entry])]

    return handle


def _key_of(collection: Collection) -> Callable[[bytes, Entry], bytes]:
    """Return the function giving the key of the document an event appends to (its parts concatenated)."""
    parts = collection.key
    if parts == (Key.AUTHOR,):
        return lambda author, entry: author
    if len(parts) == 2 and parts[1] is Key.AUTHOR and not isinstance(parts[0], Key):
        first = parts[0]
        return lambda author, entry: entry[_PAYLOAD][first] + author
    if len(parts) == 2 and parts[0] is Key.AUTHOR and not isinstance(parts[1], Key):
        second = parts[1]
        return lambda author, entry: author + entry[_PAYLOAD][second]

    def key(author: bytes, entry: Entry) -> bytes:
        payload = entry[_PAYLOAD]
        return b"".join(author if part is Key.AUTHOR else entry[_ID] if part is Key.EVENT else payload[part] for part in parts)

    return key


def _append(collection: str) -> Handler:
    key_of = _key_of(COLLECTION_SPECS[collection])

    def handle(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
        key = key_of(author, entry)
        current = view.get(collection, key)
        log = [entry] if current is None else [*current.doc["log"], entry]
        return [_put(collection, key, author, log)]

    return handle


def _redact(author: bytes, entry: Entry, view: ViewReader) -> list[Change]:
    target = entry[_PAYLOAD]["event"]
    for collection in _BY_EVENT:
        found = view.get(collection, target)
        if found is not None and found.author == author:
            return [Delete(collection, target)]
    for collection, by_author in _LOGGED:
        # a document keyed by its author is found by key; the others are scanned for the author's
        candidates = [view.get(collection, author)] if by_author else view.scan(collection, author=author)
        for found in candidates:
            if found is None or found.author != author:
                continue
            log = found.doc["log"]
            if any(e[_ID] == target for e in log):
                rest = [e for e in log if e[_ID] != target]
                return [_put(collection, found.key, author, rest) if rest else Delete(collection, found.key)]
    return []


def handler_for(spec: KindSpec) -> Handler | None:
    """Return the function that projects events of `spec` (from its registry entry); None if it has no read model."""
    projection = spec.projection
    if projection is None:
        return None
    effect, collection = projection.effect, projection.collection
    if effect is Effect.REDACT:
        return _redact
    if collection not in COLLECTION_SPECS:
        raise ValueError(f"{spec.kind} projects into {collection!r}, which is not a declared collection")
    fold = COLLECTION_SPECS[collection].fold
    if effect is Effect.SINGLE and fold is None:
        return _single(collection)
    if effect is Effect.CREATE and fold is Fold.LIFECYCLE and projection.status:
        return _create(collection)
    if effect is Effect.MODIFY and fold is Fold.LIFECYCLE and projection.target:
        return _modify(collection, projection.target)
    if effect is Effect.APPEND and fold in (Fold.LATEST, Fold.EDGE):
        return _append(collection)
    raise ValueError(f"{spec.kind}: a {effect.value} projection does not fit {collection} (fold {fold})")


_HANDLERS: dict[str, Handler] = {kind: handler for kind, spec in KINDS.items() if (handler := handler_for(spec)) is not None}

__all__ = [
    "ASSEMBLIES",
    "CALLOUTS",
    "CAMPAIGNS",
    "COLLECTIONS",
    "COMMENTS",
    "DECISIONS",
    "FOLLOWS",
    "GROUPS",
    "PLEDGES",
    "POSITIONS",
    "PROPOSALS",
    "READ_MODEL_VERSION",
    "REPORTS",
    "follow_key",
    "handler_for",
    "position_key",
    "project",
    "project_entry",
]
