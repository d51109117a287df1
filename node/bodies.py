"""Reading a body (a request's or a reply's) whole, up to a limit, however the other side splits it into pieces."""

from __future__ import annotations

import aiohttp
from aiohttp import web

CHUNK = 1 << 16


async def read_body(request: web.Request, limit: int) -> bytes | None:
    """Return the whole request body, or None as soon as it is known to be larger than `limit` bytes.

    A declared Content-Length over the limit is refused before anything is read; otherwise the body is read
    piece by piece until its end (one `read` returns only what has arrived so far), never buffering more
    than `limit` + one piece.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    return await read_stream(request.content, limit)


async def read_stream(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """Return everything `stream` holds until its end, or None as soon as that passes `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := await stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)
