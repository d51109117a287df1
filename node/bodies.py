"""Reading a body (a request's or a reply's) whole, up to a limit, however the other side splits it into pieces."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from aiohttp import web

from .errors import BodyIncompleteError

CHUNK = 1 << 16
Check = Callable[[bytes], bool]
"""Looks at each piece as it arrives; False stops the reading there (the caller's check refused what came so far)."""


async def read_body(request: web.Request, limit: int, check: Check | None = None) -> bytes | None:
    """Return the whole request body, or None as soon as it is known to be larger than `limit` bytes.

    A declared Content-Length over the limit is refused before anything is read; otherwise the body is read
    piece by piece until its end (one `read` returns only what has arrived so far), never buffering more
    than `limit` + one piece. With `check`, reading stops at the first piece it refuses, and what was read up to
    and including that piece is returned (so a bad body costs only what was read of it).
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    try:
        return await read_stream(request.content, limit, check)
    except (ConnectionError, aiohttp.ClientPayloadError) as exc:  # dropped by a deadline (node/edge.py), or went away
        raise BodyIncompleteError(f"the request body was cut off before its end ({type(exc).__name__})") from None


async def read_stream(stream: aiohttp.StreamReader, limit: int, check: Check | None = None) -> bytes | None:
    """Return everything `stream` holds until its end (or until `check` refuses a piece), or None once that passes `limit`."""
    parts: list[bytes] = []
    size = 0
    while chunk := await stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if check is not None and not check(chunk):
            break
    return b"".join(parts)
