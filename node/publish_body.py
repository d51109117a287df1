"""The body of `POST /api/v1/events`, one schema per kind made from the kind registry (events/kinds/), and the check
the server runs on it, made from the same field specs: a payload is exactly what its kind's schema says.

The JSON forms: ids and keys are 64 hex digits, groups `sn_…` (or 64 hex digits), times integer milliseconds since
the epoch. (The web forms and the CLI take friendlier input through `build_payload`; the API takes these only.)
"""

from __future__ import annotations

import re
from typing import Any

from events.errors import PayloadError
from events.identity import GROUP_ID_PATTERN, group_key_of
from events.kinds import KINDS, FieldSpec, FieldType, KindSpec
from events.kinds.fields import MAX_QUANTITY, MAX_TIME, WHITE_SPACE, is_blank
from events.kinds.langtag import LANG_MAX, LANG_PATTERN, lang_problem

from .api_params import EVENT_ID_PATTERN, EXAMPLE_GROUP
from .apispec import Body, python_regex
from .errors import RequestError
from .writer import NODE_KINDS, UNPUBLISHABLE_KINDS

PUBLISHABLE = tuple(kind for kind in KINDS if kind not in UNPUBLISHABLE_KINDS and kind not in NODE_KINDS)
NOT_BLANK = "[^" + "".join(f"\\u{ord(c):04x}" for c in WHITE_SPACE) + "]"
"""Some code point outside Unicode's White_Space (events/kinds/fields.py): what "not blank" means, as a pattern."""
GROUP_TEXT = f"({GROUP_ID_PATTERN}|{EVENT_ID_PATTERN})"
_HEX = python_regex(EVENT_ID_PATTERN)
_GROUP = python_regex(GROUP_TEXT)

EXAMPLE_VALUES: dict[FieldType, Any] = {
    FieldType.TEXT: "Eviction resistance at 7am",
    FieldType.ID: "9f" * 32,
    FieldType.GROUP: EXAMPLE_GROUP,
    FieldType.KEY: "3c" * 32,
    FieldType.TIME: 1_767_000_000_000,
    FieldType.QUANTITY: 5,
    FieldType.TEXT_LIST: ["Start the phone tree a day early"],
    FieldType.LANG: "pl",
}


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """Return the JSON Schema of a payload field as the API takes it."""
    t = spec.type
    out: dict[str, Any]
    if t is FieldType.TEXT:
        out = {"type": "string"}
        if spec.max_length is not None:
            out["maxLength"] = spec.max_length
        if spec.required:
            out["pattern"] = NOT_BLANK
    elif t in (FieldType.ID, FieldType.KEY):
        out = {"type": "string", "pattern": EVENT_ID_PATTERN}
    elif t is FieldType.GROUP:
        out = {"type": "string", "pattern": GROUP_TEXT}
    elif t is FieldType.GROUP_LIST:  # distinct groups (one key written two ways is one group: refused as a repeat)
        out = {"type": "array", "items": {"type": "string", "pattern": GROUP_TEXT}, "uniqueItems": True}
        if spec.max_items is not None:
            out["maxItems"] = spec.max_items
    elif t in (FieldType.TIME, FieldType.QUANTITY):
        low, high = (0, MAX_TIME) if t is FieldType.TIME else (1, MAX_QUANTITY)
        out = {"type": "integer", "minimum": low, "maximum": high}
    elif t is FieldType.CHOICE:
        out = {"type": "string", "enum": list(spec.choices)}
    elif t is FieldType.LANG:  # the pattern and the length are the whole rule (docs/KINDS.md, "Language of a post")
        out = {"type": "string", "pattern": f"^{LANG_PATTERN}$", "maxLength": LANG_MAX}
    elif t is FieldType.CHOICES:
        out = {"type": "array", "items": {"type": "string", "enum": list(spec.choices)}, "minItems": 1, "uniqueItems": True}
        out["maxItems"] = len(spec.choices)
    else:
        item: dict[str, Any] = {"type": "string", "pattern": NOT_BLANK}
        if spec.max_length is not None:
            item["maxLength"] = spec.max_length
        out = {"type": "array", "items": item}
        if spec.max_items is not None:
            out["maxItems"] = spec.max_items
    if spec.help:
        out["description"] = spec.help
    return out


def _required(spec: KindSpec) -> list[str]:
    defaulted = {name for name, _ in spec.defaults}
    return [f.name for f in spec.fields if f.required and f.name not in defaulted]


def payload_schema(spec: KindSpec) -> dict[str, Any]:
    """Return the JSON Schema of a kind's payload."""
    return {
        "type": "object",
        "description": spec.summary,
        "additionalProperties": False,
        "required": _required(spec),
        "properties": {f.name: field_schema(f) for f in spec.fields},
    }


def example_of(spec: KindSpec) -> dict[str, Any]:
    """Return a valid body publishing `spec`'s kind: its required fields (and the first of any choice)."""
    payload: dict[str, Any] = {}
    for f in spec.fields:
        if f.name in _required(spec):
            if f.type is FieldType.CHOICE:
                payload[f.name] = f.choices[0]
            elif f.type is FieldType.CHOICES:
                payload[f.name] = [f.choices[0]]
            else:
                payload[f.name] = EXAMPLE_VALUES[f.type]
    return {"kind": spec.kind, "payload": payload}


def _fail(spec: FieldSpec, message: str) -> PayloadError:
    return PayloadError(f"{spec.name}: {message}", field=spec.name)


def _integer(value: Any) -> int | None:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():  # (2.0 is an integer to JSON Schema)
        return int(value)
    return None


def check_field(spec: FieldSpec, value: Any) -> Any:
    """Return the field's value if it is what `field_schema(spec)` allows; raise PayloadError naming the field."""
    t = spec.type
    if t is FieldType.TEXT:
        if type(value) is not str or (spec.max_length is not None and len(value) > spec.max_length):
            raise _fail(spec, f"must be text of at most {spec.max_length} characters")
        if spec.required and is_blank(value):
            raise _fail(spec, "must not be blank")
        return value
    if t in (FieldType.ID, FieldType.KEY, FieldType.GROUP):
        pattern = _GROUP if t is FieldType.GROUP else _HEX
        if type(value) is not str or not pattern.search(value):
            raise _fail(spec, "must be a group id (sn_…) or 64 hex digits" if t is FieldType.GROUP else "must be 64 hex digits")
        return group_key_of(value) if value.startswith("sn_") else bytes.fromhex(value)  # (a name: no point check)
    if t in (FieldType.TIME, FieldType.QUANTITY):
        low, high = (0, MAX_TIME) if t is FieldType.TIME else (1, MAX_QUANTITY)
        number = _integer(value)
        if number is None or not low <= number <= high:
            raise _fail(spec, f"must be a whole number from {low} to {high}")
        return number
    if t is FieldType.CHOICE:
        if type(value) is not str or value not in spec.choices:
            raise _fail(spec, f"must be one of {', '.join(spec.choices)}")
        return value
    if t is FieldType.LANG:
        if (problem := lang_problem(value)) is not None:
            raise _fail(spec, problem)
        return value
    if t is FieldType.CHOICES:
        if type(value) is not list or not value or len(set(map(repr, value))) != len(value):
            raise _fail(spec, "must be a list of distinct choices, at least one")
        if not all(type(v) is str and v in spec.choices for v in value):
            raise _fail(spec, f"each must be one of {', '.join(spec.choices)}")
        return value
    if type(value) is not list or (spec.max_items is not None and len(value) > spec.max_items):
        raise _fail(spec, f"must be a list of at most {spec.max_items} texts")
    for item in value:
        if type(item) is not str or (spec.max_length is not None and len(item) > spec.max_length) or is_blank(item):
            raise _fail(spec, f"items must be texts of 1 to {spec.max_length} characters, not blank")
    return value


def check_payload(kind: str, payload: Any) -> dict[str, Any]:
    """Return a payload checked against its kind's schema; raise PayloadError (422) naming the first bad field."""
    spec = KINDS[kind]
    if type(payload) is not dict:
        raise RequestError("payload must be a JSON object", field="payload")
    for name in payload:
        if spec.field(name) is None:
            raise PayloadError(f"{kind} has no field {name!r:.60}", field=str(name)[:60])
    for name in _required(spec):
        if name not in payload:
            raise PayloadError(f"{name}: required", field=name)
    return {name: check_field(spec.field(name), value) for name, value in payload.items()}  # type: ignore[arg-type]


def check_body(body: dict[str, Any]) -> dict[str, Any]:
    """Return a publish body checked against `publish_schema()`; raise RequestError or PayloadError naming the field."""
    for name in body:
        if name not in ("kind", "payload"):
            raise RequestError(f"unknown field {name!r:.60}", field=str(name)[:60])
    for name in ("kind", "payload"):
        if name not in body:
            raise RequestError(f"missing field {name!r}", field=name)
    kind = body["kind"]
    if type(kind) is not str or kind not in PUBLISHABLE:
        raise RequestError(f"kind must be one of the kinds one publishes (docs/KINDS.md), not {kind!r:.60}", field="kind")
    return {"kind": kind, "payload": check_payload(kind, body["payload"])}


def component_name(kind: str) -> str:
    """Return the name of the document's schema of a publish body of `kind` (callout.published: PublishCalloutPublished)."""
    return "Publish" + "".join(part.capitalize() for part in re.split(r"[._]", kind))


def publish_components() -> dict[str, Any]:
    """Return the schemas of the publish bodies, one per publishable kind, by `component_name`."""
    return {
        component_name(kind): {
            "title": kind,
            "description": KINDS[kind].summary,
            "type": "object",
            "additionalProperties": False,
            "required": ["kind", "payload"],
            "properties": {"kind": {"type": "string", "enum": [kind]}, "payload": payload_schema(KINDS[kind])},
        }
        for kind in PUBLISHABLE
    }


def publish_schema() -> dict[str, Any]:
    """Return the schema of a publish body: one of the kinds' bodies, told apart by `kind`."""
    refs = {kind: f"#/components/schemas/{component_name(kind)}" for kind in PUBLISHABLE}
    return {"oneOf": [{"$ref": ref} for ref in refs.values()], "discriminator": {"propertyName": "kind", "mapping": refs}}


PUBLISH_BODY = Body(
    publish_schema(),
    check_body,
    {kind: example_of(KINDS[kind]) for kind in PUBLISHABLE},
    components=publish_components(),
)
"""The declared body of POST /api/v1/events."""
