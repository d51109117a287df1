"""Pages of lists: the page size a client may ask for and the opaque cursor that names where the next page starts.

A cursor is the order values of the last item of a page (events/readmodel/listing.py), canonical msgpack in
unpadded base64url. It is only a position, never a permission: a forged cursor can only start a list elsewhere.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from events.canonical import pack, unpack
from events.errors import EventError
from events.readmodel.listing import Cursor, cursor_of, valid_cursor
from events.readmodel.view import Put

from .errors import RequestError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_MAX = 512  # characters of a cursor's text


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page of a list: at most `limit` items after `after` (None: the first page)."""

    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of JSON-ready items and the cursor of the next page (None: this is the last one)."""

    items: list[dict[str, Any]]
    next: str | None


FIRST_PAGE = PageRequest()


def encode_cursor(cursor: Cursor) -> str:
    """Return a cursor as text for a URL."""
    return base64.urlsafe_b64encode(pack(list(cursor))).rstrip(b"=").decode("ascii")


def decode_cursor(text: str, field: str = "cursor") -> Cursor:
    """Return the cursor in `text`; raise RequestError naming `field` if it is not one this node made."""
    bad = RequestError(f"{field} is not a cursor from a previous page of this list", field=field)
    if not isinstance(text, str) or len(text) > CURSOR_MAX or not text.isascii():
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = unpack(raw, max_size=CURSOR_MAX)
    except (binascii.Error, ValueError, EventError):
        raise bad from None
    cursor = valid_cursor(value)
    if cursor is None:
        raise bad
    return cursor


def page_request(limit: str | None, cursor: str | None, *, default: int = DEFAULT_LIMIT) -> PageRequest:
    """Return the page asked for by `limit` and `cursor` query values; raise RequestError naming the bad one."""
    size = default
    if limit:
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise RequestError(f"limit must be a whole number from 1 to {MAX_LIMIT}", field="limit")
        size = int(limit)
    return PageRequest(size, decode_cursor(cursor) if cursor else None)


def split_page(puts: list[Put], request: PageRequest) -> tuple[list[Put], str | None]:
    """Return the first `limit` of `puts` (fetched as limit + 1) and the next page's cursor if there was one more."""
    if len(puts) <= request.limit:
        return puts, None
    shown = puts[: request.limit]
    return shown, encode_cursor(cursor_of(shown[-1]))
