"""Schemathesis hooks for tests/node/test_openapi_conformance.py (loaded with SCHEMATHESIS_HOOKS).

They teach the tool the two rules the document states in words because JSON Schema cannot (docs/API.md, "What the
schema cannot say"): a cursor (format `solnet-cursor`) is a position one of this node's lists made, and a payload's
`ends_at` is not before its `starts_at`. The generator makes such values (fuzzing phase); the phases that do not run
hooks on generation (examples, coverage) may still send a well-formed cursor that is no position, or an end before
the start, and the node's documented refusal of exactly those (400 naming `cursor`, 422 naming `ends_at`) is not a
finding. Any other refusal, of any request, still is.
"""

from __future__ import annotations

import json
import re

import schemathesis
from hypothesis import strategies as st

from events.readmodel.listing import NO_TIME
from events.readmodel.search import QueryError, parse_query
from node.errors import RequestError
from node.paging import CURSOR_MAX, decode_cursor, encode_cursor

CURSOR_FORM = re.compile(f"[A-Za-z0-9_-]{{1,{CURSOR_MAX}}}")
ORDER = st.integers(-NO_TIME, NO_TIME)


def _cursor(text: str, s1: int, s2: int, s3: int, key: bytes) -> str:
    return encode_cursor((text, s1, s2, s3, key))


def _short(text: str) -> bool:
    return len(text) <= CURSOR_MAX


schemathesis.openapi.format(
    "solnet-cursor",
    st.builds(_cursor, st.text(max_size=40), ORDER, ORDER, ORDER, st.binary(min_size=32, max_size=32)).filter(_short),
)


def _is_position(cursor: object) -> bool:
    """True unless `cursor` has the document's form but names no position (only a node's `next` values do)."""
    if not isinstance(cursor, str) or not CURSOR_FORM.fullmatch(cursor):
        return True
    try:
        decode_cursor(cursor)
    except RequestError:
        return False
    return True


def _ends_before_start(body: object) -> bool:
    payload = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(payload, dict):
        return False
    starts, ends = payload.get("starts_at"), payload.get("ends_at")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (starts, ends))
    return numbers and ends < starts


def _is_query(text: object) -> bool:
    """True iff `text` is a search the node takes (format solnet-search: events/readmodel/search.py)."""
    try:
        parse_query(text)  # type: ignore[arg-type]
    except (QueryError, TypeError, AttributeError):
        return False
    return True


EVENT_ID = re.compile(r"[0-9a-fA-F]{64}")


@schemathesis.hook
def filter_body(context, body) -> bool:
    """Leave out publish bodies whose event would end before it starts."""
    return not _ends_before_start(body)


@schemathesis.hook
def filter_query(context, query) -> bool:
    """Leave out list queries whose `cursor` has the document's form but is not a position."""
    return not isinstance(query, dict) or "activity" in context.operation.path or _is_position(query.get("cursor"))


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure except the documented refusal of a non-position cursor or of an end before the start."""
    if response is None or response.status_code not in (400, 422):
        return True
    try:
        error = json.loads(response.content)["error"]
        field, code = error["field"], error["code"]
    except (ValueError, KeyError, TypeError):
        return True
    query = case.query or {}
    path_id = (case.path_parameters or {}).get("id")
    if response.status_code == 400 and field == "id" and not (isinstance(path_id, str) and EVENT_ID.fullmatch(path_id)):
        return False  # not a request the document allows: a stateful link passed a value of another form (null)
    if response.status_code == 400 and code == "bad_reference" and case.operation.path == "/api/v1/events":
        return False  # documented: ids must name what this node holds, of the field's kind (node/references.py)
    if response.status_code == 400 and field == "q" and case.operation.path == "/api/v1/search":
        return _is_query(query.get("q"))  # documented: format solnet-search (words to find, at most 8 terms)
    if response.status_code == 400 and field == "cursor" and "activity" not in case.operation.path:
        return _is_position(query.get("cursor"))
    if response.status_code == 422 and field == "ends_at":
        return not _ends_before_start(case.body)
    return True
