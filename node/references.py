"""What a new event of ours points at must make sense here: checked before it is signed, with every problem at once.

A payload can be well formed and still nonsense: a position on a callout's id, a pledge to a callout this node has
never seen, a need the callout did not ask for, a group pledging on its own callout, a change to an item that was
withdrawn, cancelled or met (the read models would ignore it). Peers' events are never held
to this (another node may know what we do not); our own are, because a signed event cannot be taken back.
Which collection an id field names comes from the kind registry (a collection's `entity`). Blocking: a reader
thread, through NodeService.query.
"""

from __future__ import annotations

from typing import Any

from events.kinds import COLLECTION_SPECS, KINDS, OPEN_STATUS, OWN_TARGETS, FieldType
from events.readmodel.projection import CALLOUTS
from events.readmodel.view import ViewReader

from .errors import RequestError

ENTITIES: dict[str, str] = {c.entity: c.name for c in COLLECTION_SPECS.values() if c.entity}
"""The collection each id field names, by field name (callout -> callouts, ...)."""


class ReferenceError(RequestError):
    """Our new event points at something unknown here, of another kind, or that makes no sense; `errors` by field."""

    code = "bad_reference"

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(
            f"{field}: {message}" if len(errors) == 1 else "; ".join(f"{f}: {m}" for f, m in errors.items()), field=field
        )
        self.errors = errors


def reference_errors(view: ViewReader, own: bytes, kind: str, value: dict[str, Any]) -> dict[str, str]:
    """Return what is wrong with the ids `value` (a wire payload of `kind`) points at, by field ({} if nothing)."""
    errors: dict[str, str] = {}
    for field in KINDS[kind].fields:
        collection = ENTITIES.get(field.name) if field.type is FieldType.ID else None
        target = value.get(field.name)
        if collection is None or not isinstance(target, bytes) or view.get(collection, target) is not None:
            continue
        other = next((entity for entity, name in ENTITIES.items() if view.get(name, target) is not None), None)
        if other is not None:
            errors[field.name] = f"this id is {_a(other)}, not {_a(field.name)}"
        else:
            errors[field.name] = f"no {field.name} with this id is known to this node (check the id, or wait until it arrives)"
    target_field = OWN_TARGETS.get(kind)
    if target_field is not None and target_field not in errors and isinstance(value.get(target_field), bytes):
        found = view.get(ENTITIES[target_field], value[target_field])
        if found is not None and found.author != own:  # it would change nothing: only the author changes an entity
            errors[target_field] = f"this {target_field} is another group's: only the group that made it can change it"
        elif found is not None and _ended(ENTITIES[target_field], found.doc):  # the projection would ignore it
            errors[target_field] = f"this {target_field} is {found.doc['status']}: it can no longer be changed"
    if kind == "pledge.made" and "callout" not in errors and isinstance(value.get("callout"), bytes):
        errors.update(_pledge_errors(view, own, value))
    return errors


def _ended(collection: str, doc: dict[str, Any]) -> bool:
    """True iff a lifecycle entity left the status it starts in: later changes apply only while it holds (KINDS.md)."""
    start = OPEN_STATUS.get(collection)
    return start is not None and doc.get("status", start) != start


def _pledge_errors(view: ViewReader, own: bytes, value: dict[str, Any]) -> dict[str, str]:
    callout = view.get(CALLOUTS, value["callout"])
    if callout is None:
        return {}
    if callout.author == own:
        return {"callout": "this is your own group's callout: pledges are other groups' offers of help"}
    needs = callout.doc.get("needs") or []
    need = value.get("need")
    if need and needs and need not in needs:
        return {"need": f"this callout asks for {', '.join(needs)}, not {need}"}
    return {}


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"
