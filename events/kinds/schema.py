"""Parsing wire payloads into typed values, and building canonical payloads from friendly input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..canonical import pack, packb_plain, unpack, unpack_unverified
from ..errors import DecodeError, NonCanonicalError, PayloadError
from ..event import Event
from ..header import MAX_PAYLOAD_SIZE
from ..identity import group_id_text
from .fields import FieldType, check_field, coerce_field, field_predicate, is_blank_input, wire_value
from .payloads import UnknownPayload
from .registry import KINDS

# field specs by name, per kind: one dict lookup per payload key instead of a scan of the kind's fields
_FIELDS_BY_NAME = {kind: {field.name: field for field in spec.fields} for kind, spec in KINDS.items()}
# per kind: each field's validity predicate by name, the required names, whether starts_at/ends_at are fields
_VERDICTS = {
    kind: (
        {field.name: field_predicate(field) for field in spec.fields},
        frozenset(field.name for field in spec.fields if field.required),
        {"starts_at", "ends_at"} <= _FIELDS_BY_NAME[kind].keys(),
    )
    for kind, spec in KINDS.items()
}


def parse_payload(kind: str, value: Any) -> Any:
    """Return the typed payload of `kind` for a decoded payload value; UnknownPayload for an unknown kind.

    Raises PayloadError whose `field` names the offending field ("payload" if the value is not a map).
    """
    spec = KINDS.get(kind)
    if spec is None:
        return UnknownPayload(kind, value)
    return spec.payload_type(**_checked_fields(kind, spec, value))


def payload_is_valid(kind: str, value: Any) -> bool:
    """Return True if `value` is a valid payload of a known `kind`, False if the kind is unknown.

    Raises PayloadError exactly when `parse_payload` would; builds no typed value (for hot paths that
    need only the verdict).
    """
    spec = KINDS.get(kind)
    if spec is None:
        return False
    _checked_fields(kind, spec, value)
    return True


def valid_payload_value(kind: str, payload: bytes) -> dict[str, Any] | None:
    """Return the decoded payload if `payload` is a canonical, valid payload of a known `kind`; None for an unknown kind.

    Raises an EventError (DecodeError: not canonical msgpack; PayloadError: against the schema) exactly when
    `decode_payload` raises PayloadError (the class may differ when both are wrong), without re-encoding the payload through
    `pack`: a schema-valid value holds only str keys and str, 32-byte bin, int and arrays of str or 32-byte bin, each of
    which has one shortest encoding, so it is canonical iff its keys are in order and the plain encoding of
    the decoded value gives back the same bytes. An unknown kind's payload is not looked at.
    """
    spec = KINDS.get(kind)
    if spec is None:
        return None
    value = unpack_unverified(payload, max_size=MAX_PAYLOAD_SIZE)
    if not _is_valid(kind, value):
        _checked_fields(kind, spec, value)  # raises, saying which field is wrong and how
        raise PayloadError(f"a {kind} payload that is not valid", field="payload")  # (the two checks agree: tested)
    keys = list(value)
    if keys != sorted(keys) or packb_plain(value) != payload:
        raise NonCanonicalError("not the canonical encoding of its value", field="payload")
    return value


def _is_valid(kind: str, value: Any) -> bool:
    """True exactly when `_checked_fields` passes (for a known kind), computed without building typed values."""
    if type(value) is not dict:
        return False
    predicates, required, ranged = _VERDICTS[kind]
    for key, item in value.items():
        predicate = predicates.get(key)
        if predicate is None or not predicate(item):
            return False
    if not required <= value.keys():
        return False
    if ranged:
        starts, ends = value.get("starts_at"), value.get("ends_at")
        if starts is not None and ends is not None and ends < starts:
            return False
    return True


def _checked_fields(kind: str, spec: Any, value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise PayloadError(f"a {kind} payload must be a map", field="payload")
    names = _FIELDS_BY_NAME[kind]
    for key in value:
        if key not in names:
            raise PayloadError(f"{kind} has no field {key!r:.60}", field=str(key)[:60])
    typed: dict[str, Any] = {}
    for field in spec.fields:
        if field.name in value:
            typed[field.name] = check_field(field, value[field.name])
        elif field.required:
            raise PayloadError(f"{field.name}: required", field=field.name)
    starts, ends = typed.get("starts_at"), typed.get("ends_at")
    if starts is not None and ends is not None and ends < starts:
        raise PayloadError("ends_at: before starts_at", field="ends_at")
    return typed


def decode_payload(kind: str, payload: bytes | None) -> Any:
    """Return the typed payload of raw payload bytes (None if the payload was dropped); raise PayloadError."""
    if payload is None:
        return None
    try:
        value = unpack(payload, max_size=MAX_PAYLOAD_SIZE)
    except DecodeError as exc:
        raise PayloadError(f"payload is not canonical msgpack: {exc.message}", field="payload") from None
    return parse_payload(kind, value)


def parse_event_payload(event: Event) -> Any:
    """Return the typed payload of an event (None if its payload was dropped); raise PayloadError if invalid."""
    try:
        return decode_payload(event.kind, event.payload)
    except PayloadError as exc:
        exc.event_id = event.id.hex()
        raise


def payload_value(typed: Any) -> Any:
    """Return the wire value (a map with only the fields that are set) of a typed payload."""
    if isinstance(typed, UnknownPayload):
        return typed.value
    return {name: wire_value(value) for name in typed.__dataclass_fields__ if (value := getattr(typed, name)) is not None}


def build_value(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return the checked wire map of a known kind from friendly input; raise PayloadError naming the field.

    Friendly input: None, blank text and empty lists mean "not given"; text is stripped; ids and keys may be
    64 hex digits; groups may be `sn_...` ids; times may be digit strings or ISO 8601 with a UTC offset;
    quantities may be digit strings; `needs` may be a comma-separated string and `lessons` a string of lines.
    A kind's defaults (callout.published: urgency "normal") fill fields that are not given.
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise PayloadError(f"unknown kind {kind!r:.80}", field="kind")
    value: dict[str, Any] = {}
    for name, raw in fields.items():
        field = spec.field(name)
        if field is None:
            raise PayloadError(f"{kind} has no field {name!r:.60}", field=str(name)[:60])
        if not is_blank_input(raw):
            coerced = coerce_field(field, raw)
            if not is_blank_input(coerced):
                value[name] = coerced
    for name, default in spec.defaults:
        value.setdefault(name, default)
    return payload_value(parse_payload(kind, value))


def input_errors(kind: str, fields: Mapping[str, Any]) -> dict[str, str]:
    """Return every problem of friendly input for a known kind, by field ({} if `build_value` would accept it).

    Each field is checked on its own, so a form can show all its errors at once; `build_value` stops at the first.
    """
    spec = KINDS[kind]
    errors: dict[str, str] = {}
    given: dict[str, Any] = {}
    for name, raw in fields.items():
        field = spec.field(name)
        if field is None:
            errors[str(name)[:60]] = f"{kind} has no field {name!r:.60}"
            continue
        if is_blank_input(raw):
            continue
        try:
            coerced = coerce_field(field, raw)
            if not is_blank_input(coerced):
                given[name] = check_field(field, coerced)
        except PayloadError as exc:
            errors[name] = exc.message
    defaults = dict(spec.defaults)
    for field in spec.fields:
        if field.required and field.name not in given and field.name not in errors and field.name not in defaults:
            errors[field.name] = f"{field.name}: required"
    starts, ends = given.get("starts_at"), given.get("ends_at")
    if starts is not None and ends is not None and ends < starts and "ends_at" not in errors:
        errors["ends_at"] = "ends_at: before starts_at"
    if not errors:
        try:
            build_value(kind, fields)
        except PayloadError as exc:  # a rule across fields that the per-field checks do not see
            errors[exc.field or "payload"] = exc.message
    return errors


def build_payload(kind: str, fields: Mapping[str, Any]) -> bytes:
    """Return the canonical payload bytes of a known kind from friendly input (see `build_value`)."""
    return pack(build_value(kind, fields))


def friendly_payload(kind: str, value: Any) -> Any:
    """Return a JSON-ready copy of a wire payload: ids and keys as hex, groups as `sn_...`, lists as lists."""
    spec = KINDS.get(kind)
    if spec is None or type(value) is not dict:
        return friendly_value(value)
    out: dict[str, Any] = {}
    for name, item in value.items():
        field = spec.field(name)
        if field is not None and field.type is FieldType.GROUP and type(item) is bytes and len(item) == 32:
            out[name] = group_id_text(item)
        elif field is not None and field.type is FieldType.GROUP_LIST and type(item) is list:
            out[name] = [group_id_text(g) if type(g) is bytes and len(g) == 32 else friendly_value(g) for g in item]
        else:
            out[name] = friendly_value(item)
    return out


def friendly_value(value: Any) -> Any:
    """Return a JSON-ready copy of any canonical value: bytes as hex, maps and lists copied."""
    if type(value) is bytes:
        return value.hex()
    if type(value) is dict:
        return {k: friendly_value(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return [friendly_value(v) for v in value]
    return value
