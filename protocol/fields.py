"""The wire format's limits and the checks a message decoder applies to each field before building a value.

Every check raises MessageError naming the field, so a peer learns which part of its message was wrong.
"""

from __future__ import annotations

import itertools
from typing import Any

from events import Event, EventError, record_parts
from events.event import MAX_RECORD_SIZE

from .errors import MessageError

MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_MESSAGE_SIZE = MAX_BATCH_BYTES + MAX_RECORD_SIZE + 1024
MAX_FRONTIER_ENTRIES = 65536
MAX_WANT_ITEMS = 1024
MAX_WANT_LIMIT = 100_000
MAX_FORK_PROOFS = 256
MAX_PEERS = 256
MAX_URL_LENGTH = 512
MAX_ERROR_MESSAGE = 512
MAX_UINT = 2**63 - 1


def fail(message: str, field: str) -> MessageError:
    """Return the MessageError for a bad `field` (for the caller to raise)."""
    return MessageError(message, field=field)


def uint(value: Any, field: str, low: int = 0, high: int = MAX_UINT) -> int:
    """Return `value` if it is an int from `low` to `high`."""
    if type(value) is not int or not low <= value <= high:
        raise fail(f"{field} is not an integer from {low} to {high}", field)
    return value


def key(value: Any, field: str) -> bytes:
    """Return `value` if it is 32 bytes of bin (a key, an event id)."""
    if type(value) is not bytes or len(value) != 32:
        raise fail(f"{field} is not 32 bytes of bin", field)
    return value


def array(value: Any, field: str, limit: int) -> list:
    """Return `value` if it is an array of at most `limit` items."""
    if type(value) is not list:
        raise fail(f"{field} is not an array", field)
    if len(value) > limit:
        raise fail(f"{field} has {len(value)} items, more than {limit}", field)
    return value


def arity(value: Any, count: int, what: str) -> list:
    """Return `value` if it is an array of exactly `count` items (a message's or an entry's fields)."""
    if type(value) is not list or len(value) != count:
        raise fail(f"{what} is not an array of {count} fields", what.replace(" ", "_"))
    return value


def ascending(keys: list, field: str) -> None:
    """Raise unless `keys` is strictly ascending: a list that acts as a set has one canonical order."""
    for a, b in itertools.pairwise(keys):
        if not a < b:
            raise fail(f"{field} is not strictly ascending (duplicate or unsorted)", field)


def records(value: Any, field: str) -> tuple[Event, ...]:
    """Return the events of an array of at most MAX_BATCH_EVENTS well-formed records (signatures not checked)."""
    items = array(value, field, MAX_BATCH_EVENTS)
    try:
        return tuple(record_parts(item) for item in items)
    except EventError as exc:
        raise fail(f"an event record is malformed: {exc}", field) from None
