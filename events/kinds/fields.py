"""Field types of payloads: checking wire values, and turning friendly input (forms, JSON) into wire values."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import EventError, PayloadError
from ..identity import parse_group_id
from .langtag import is_lang_tag, lang_problem

MAX_TIME = 2**63 - 1
MAX_QUANTITY = 10**9
_HEX32 = re.compile(r"[0-9a-fA-F]{64}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
"""The 25 code points of Unicode's White_Space property (docs/KINDS.md, "Payloads"): what "blank" and "stripped" mean.

Not Python's `str.isspace`, which also counts U+001C..U+001F: a verifier in another language must get the same verdict.
"""


def is_blank(text: str) -> bool:
    """True iff every code point of `text` is in WHITE_SPACE (so the empty text is blank)."""
    return not text.strip(WHITE_SPACE)


def strip_text(text: str) -> str:
    """Return `text` without WHITE_SPACE code points at either end."""
    return text.strip(WHITE_SPACE)


class FieldType(enum.Enum):
    """What a payload field holds on the wire."""

    TEXT = "text"  # str, at most max_length code points; required text must not be blank
    ID = "id"  # 32-byte bin: an event id
    GROUP = "group"  # 32-byte bin: a group's public key
    KEY = "key"  # 32-byte bin: a public key or key commitment
    TIME = "time"  # int, milliseconds since the Unix epoch, 0 .. 2**63-1
    QUANTITY = "quantity"  # int, 1 .. 10**9
    CHOICE = "choice"  # str, one of `choices`
    CHOICES = "choices"  # non-empty array of distinct str, each one of `choices`
    TEXT_LIST = "text_list"  # array of at most max_items str, each at most max_length code points, none blank
    GROUP_LIST = "group_list"  # array of at most max_items distinct 32-byte bin: groups' public keys
    BYTES = "bytes"  # bin of min_length .. max_length bytes (sealed events: docs/KINDS.md, "Private events")
    BYTES_LIST = "bytes_list"  # non-empty array of at most max_items distinct bin, each min_length .. max_length bytes
    LANG = "lang"  # str, a language tag in canonical case (events/kinds/langtag.py)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a kind's payload: its name, wire type, whether it is required, its limits, form help and label."""

    name: str
    type: FieldType
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    max_items: int | None = None
    help: str = ""
    label: str = ""  # what a form calls it, if not its name with spaces, capitalised
    min_length: int = 0  # BYTES, BYTES_LIST: the fewest bytes a value (an item) has


def _fail(spec: FieldSpec, message: str) -> PayloadError:
    return PayloadError(f"{spec.name}: {message}", field=spec.name)


def _check_text(spec: FieldSpec, value: Any) -> None:
    if type(value) is not str:
        raise _fail(spec, f"must be text, not {_type_name(value)}")
    if spec.max_length is not None and len(value) > spec.max_length:
        raise _fail(spec, f"has {len(value)} characters, more than {spec.max_length}")


def _type_name(value: Any) -> str:
    return {bytes: "bytes", str: "text", int: "integer", bool: "boolean", list: "list", dict: "map"}.get(
        type(value), "nil" if value is None else type(value).__name__
    )


def check_field(spec: FieldSpec, value: Any) -> Any:
    """Return the typed value of a wire field (tuples for lists); raise PayloadError naming the field."""
    t = spec.type
    if t is FieldType.TEXT:
        _check_text(spec, value)
        if spec.required and is_blank(value):
            raise _fail(spec, "must not be blank")
        return value
    if t in (FieldType.ID, FieldType.GROUP, FieldType.KEY):
        if type(value) is not bytes or len(value) != 32:
            raise _fail(
                spec, f"must be 32 bytes, not {_type_name(value)}" + (f" of {len(value)}" if type(value) is bytes else "")
            )
        return value
    if t in (FieldType.TIME, FieldType.QUANTITY):
        low, high = (0, MAX_TIME) if t is FieldType.TIME else (1, MAX_QUANTITY)
        if type(value) is not int:
            raise _fail(spec, f"must be an integer, not {_type_name(value)}")
        if not low <= value <= high:
            raise _fail(spec, f"must be between {low} and {high}")
        return value
    if t is FieldType.CHOICE:
        if type(value) is not str or value not in spec.choices:
            raise _fail(spec, f"must be one of {', '.join(spec.choices)}; got {value!r:.40}")
        return value
    if t is FieldType.BYTES:
        _check_bytes(spec, value, "")
        return value
    if t is FieldType.LANG:
        if (problem := lang_problem(value)) is not None:
            raise _fail(spec, problem)
        return value
    if type(value) is not list:
        raise _fail(spec, f"must be a list, not {_type_name(value)}")
    if spec.max_items is not None and len(value) > spec.max_items:
        raise _fail(spec, f"has {len(value)} items, more than {spec.max_items}")
    if t is FieldType.GROUP_LIST:
        for item in value:
            if type(item) is not bytes or len(item) != 32:
                raise _fail(spec, f"each must be 32 bytes, not {_type_name(item)}")
        if len(set(value)) != len(value):
            raise _fail(spec, "names the same group twice")
        return tuple(value)
    if t is FieldType.BYTES_LIST:
        if not value:
            raise _fail(spec, "must hold at least one item")
        for item in value:
            _check_bytes(spec, item, "each item ")
        if len(set(value)) != len(value):
            raise _fail(spec, "holds the same item twice")
        return tuple(value)
    if t is FieldType.CHOICES:
        if not value:
            raise _fail(spec, "must name at least one")
        for item in value:
            if type(item) is not str or item not in spec.choices:
                raise _fail(spec, f"each must be one of {', '.join(spec.choices)}; got {item!r:.40}")
        if len(set(value)) != len(value):
            raise _fail(spec, "names the same one twice")
        return tuple(value)
    for item in value:
        _check_text(spec, item)
        if is_blank(item):
            raise _fail(spec, "items must not be blank")
    return tuple(value)


def _check_bytes(spec: FieldSpec, value: Any, what: str) -> None:
    if type(value) is not bytes:
        raise _fail(spec, f"{what}must be bytes, not {_type_name(value)}")
    high = MAX_TIME if spec.max_length is None else spec.max_length
    if not spec.min_length <= len(value) <= high:
        raise _fail(spec, f"{what}has {len(value)} bytes, not {spec.min_length} to {high}")


def field_predicate(spec: FieldSpec) -> Callable[[Any], bool]:
    """Return a function telling whether a wire value is valid for `spec`: True exactly when `check_field` passes.

    For hot paths that need only the verdict (one small closure per field instead of `check_field`'s dispatch).
    """
    t, required, max_length, max_items, choices = spec.type, spec.required, spec.max_length, spec.max_items, spec.choices
    longest = MAX_TIME if max_length is None else max_length  # (no limit: any length a str can have)
    if t is FieldType.TEXT:
        if required:
            return lambda v: type(v) is str and len(v) <= longest and not is_blank(v)
        return lambda v: type(v) is str and len(v) <= longest
    if t in (FieldType.ID, FieldType.GROUP, FieldType.KEY):
        return lambda v: type(v) is bytes and len(v) == 32
    if t in (FieldType.TIME, FieldType.QUANTITY):
        low, high = (0, MAX_TIME) if t is FieldType.TIME else (1, MAX_QUANTITY)
        return lambda v: type(v) is int and low <= v <= high
    if t is FieldType.CHOICE:
        allowed = frozenset(choices)
        return lambda v: type(v) is str and v in allowed
    if t is FieldType.BYTES:
        low = spec.min_length
        return lambda v: type(v) is bytes and low <= len(v) <= longest
    if t is FieldType.LANG:
        return is_lang_tag
    most = MAX_TIME if max_items is None else max_items
    if t is FieldType.BYTES_LIST:
        low = spec.min_length
        return lambda v: (
            type(v) is list
            and 0 < len(v) <= most
            and all(type(item) is bytes and low <= len(item) <= longest for item in v)
            and len(set(v)) == len(v)
        )
    if t is FieldType.CHOICES:
        allowed = frozenset(choices)
        return lambda v: (
            type(v) is list
            and 0 < len(v) <= most
            and all(type(item) is str and item in allowed for item in v)
            and len(set(v)) == len(v)
        )
    if t is FieldType.GROUP_LIST:
        return lambda v: (
            type(v) is list
            and len(v) <= most
            and all(type(item) is bytes and len(item) == 32 for item in v)
            and len(set(v)) == len(v)
        )
    return lambda v: (
        type(v) is list
        and len(v) <= most
        and all(type(item) is str and len(item) <= longest and not is_blank(item) for item in v)
    )


def wire_value(value: Any) -> Any:
    """Return the wire form of a typed value (lists for tuples)."""
    return list(value) if isinstance(value, tuple) else value


def is_blank_input(value: Any) -> bool:
    """True for friendly input meaning 'not given': None, blank text, an empty list."""
    return value is None or (isinstance(value, str) and is_blank(value)) or (isinstance(value, (list, tuple)) and not value)


def coerce_field(spec: FieldSpec, value: Any) -> Any:
    """Return the wire value for friendly input (hex ids, sn_ group ids, digit strings, ISO times, comma lists)."""
    t = spec.type
    if t in (FieldType.TEXT, FieldType.LANG):  # a tag's case is not changed: a non-canonical one is refused, with the fix
        return strip_text(value) if isinstance(value, str) else value
    if t in (FieldType.BYTES, FieldType.BYTES_LIST):  # written by the node itself (sealed events): bytes or hex
        return [_hex_bytes(v) for v in value] if isinstance(value, (list, tuple)) else _hex_bytes(value)
    if t in (FieldType.ID, FieldType.GROUP, FieldType.KEY):
        return _coerce_bytes(spec, value)
    if t is FieldType.TIME:
        return _coerce_time(spec, value)
    if t is FieldType.QUANTITY:
        if isinstance(value, str) and strip_text(value).isdecimal():
            return int(strip_text(value))
        return value
    if t is FieldType.CHOICE:
        return strip_text(value).lower() if isinstance(value, str) else value
    if t is FieldType.CHOICES:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            return [strip_text(v).lower() if isinstance(v, str) else v for v in value if not is_blank_input(v)]
        return value
    if t is FieldType.GROUP_LIST:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if isinstance(value, (list, tuple)):
            item = replace(spec, type=FieldType.GROUP)  # one group of the list, read like a group field
            return [_coerce_bytes(item, v) if isinstance(v, str) else v for v in value if not is_blank_input(v)]
        return value
    if isinstance(value, str):
        value = value.splitlines()
    if isinstance(value, (list, tuple)):
        return [strip_text(v) if isinstance(v, str) else v for v in value if not is_blank_input(v)]
    return value


def _coerce_bytes(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = strip_text(value)
    if _HEX32.fullmatch(text):
        return bytes.fromhex(text)
    if spec.type is FieldType.GROUP and text.startswith("sn_"):
        try:
            return parse_group_id(text)
        except EventError as exc:
            raise _fail(spec, exc.message) from None
    what = "a group id (sn_...) or 64 hex digits" if spec.type is FieldType.GROUP else "64 hex digits"
    raise _fail(spec, f"must be {what}; got {text!r:.80}")


def _hex_bytes(value: Any) -> Any:
    if isinstance(value, str) and _HEX.fullmatch(strip_text(value)):
        return bytes.fromhex(strip_text(value))
    return value


def _coerce_time(spec: FieldSpec, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = strip_text(value)
    if text.isdecimal():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(spec, f"must be milliseconds since the epoch or an ISO 8601 time; got {text!r:.80}") from None
    if when.tzinfo is None:
        raise _fail(spec, "an ISO 8601 time needs a UTC offset (e.g. 2025-05-01T18:00+01:00)")
    return (when - _EPOCH) // timedelta(milliseconds=1)
