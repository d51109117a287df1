"""The one place where errors become HTTP status codes: a middleware that renders them as JSON (or text for pages)."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from events.errors import DescribedError, EventError, PayloadError
from protocol.errors import ProtocolError

from .errors import (
    AuthError,
    BodyTooLargeError,
    BusyError,
    ConfigError,
    ForbiddenError,
    LinkError,
    NodeError,
    NotFoundError,
    OwnHeadUnconfirmedError,
    ReadersBusyError,
    ReadInterruptedError,
    ReadTimeoutError,
    RequestError,
    SeqHeldByPeerError,
    StoreConflictError,
    StoreUnavailableError,
    TooManyRequestsError,
)

log = logging.getLogger("solnet.http")

UNEXPECTED = web.AppKey("unexpected_errors", list)
"""Unexpected exceptions raised by handlers; tests assert it stays empty so a handler bug fails the test."""

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (BodyTooLargeError, 413),
    (RequestError, 400),
    (AuthError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (LinkError, 410),
    (StoreConflictError, 409),
    (ReadTimeoutError, 503),  # the read was stopped at its deadline (serve --read-timeout)
    (ReadersBusyError, 503),  # too many reads of its kind waiting: refused before it started
    (ReadInterruptedError, 503),  # stopped because the node is shutting down
    (StoreUnavailableError, 503),
    (OwnHeadUnconfirmedError, 503),
    (SeqHeldByPeerError, 409),
    (TooManyRequestsError, 429),
    (BusyError, 503),
    (ConfigError, 500),
    (NodeError, 500),
    (PayloadError, 422),
    (EventError, 400),
    (ProtocolError, 400),
)


_PEER_STATUS = {
    "banned": 429,
    "body_too_large": 413,
    "bad_content_type": 415,
    "invitation_unknown": 410,
    "invitation_used": 410,
    "invitation_expired": 410,
    "invitation_revoked": 410,
}
"""Peer-protocol `error` replies whose HTTP status is not 400 (docs/PROTOCOL.md §13.4)."""


def peer_status(code: str) -> int:
    """Return the HTTP status of a peer endpoint's `error` reply with this code (400 unless listed)."""
    return _PEER_STATUS.get(code, 400)


def status_for(exc: Exception) -> int:
    """Return the HTTP status for one of our errors."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def error_body(code: str, message: str, field: str | None = None, event_id: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field, "event_id": event_id}}


def json_error(status: int, code: str, message: str, field: str | None = None, event_id: str | None = None) -> web.Response:
    """Return a JSON error response with a stable code and the offending field."""
    headers = {"WWW-Authenticate": 'Bearer realm="solnet"'} if status == 401 else {"Retry-After": "1"} if status == 503 else None
    return web.json_response(error_body(code, message, field, event_id), status=status, headers=headers)


def raw_error_response(exc: DescribedError) -> bytes:
    """Return a whole HTTP/1.1 error response for `exc` as bytes, for a connection refused before aiohttp reads it."""
    status = status_for(exc)
    body = json.dumps(error_body(exc.code, exc.message)).encode()
    reason = {429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
    return head.encode() + b"Retry-After: 1\r\n\r\n" + body


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/peer/")) or "application/json" in request.headers.get("Accept", "")


@web.middleware
async def error_middleware(request: web.Request, handler):
    """Turn our errors and aiohttp's HTTP exceptions into responses; record anything unexpected."""
    try:
        return await handler(request)
    except DescribedError as exc:
        status = status_for(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.path, exc)
        return json_error(status, exc.code, exc.message, exc.field, exc.event_id)
    except web.HTTPException as exc:
        if exc.status < 400 or not _wants_json(request):
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(exc.status, "http_error")
        return json_error(exc.status, code, exc.reason)
    except json.JSONDecodeError as exc:  # pragma: no cover - handlers translate, this is a safety net
        return json_error(400, "bad_json", f"body is not valid JSON: {exc.msg}")
    except Exception as exc:
        request.app[UNEXPECTED].append(exc)
        log.exception("%s %s: unexpected error", request.method, request.path)
        return json_error(500, "internal", "internal error; the node's log has the details")
