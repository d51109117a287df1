"""The peer endpoints (POST /peer/v1/...): size limits before reading, decoding and checks in SyncAgent.handle_bytes.

A body's framing is checked as it arrives (`protocol.framing.FrameCheck`): reading stops at the first header that
breaks its message's shape, so a hostile body costs what was read of it. A large body is decoded off the event loop.

Every reply is one protocol message (application/x-solnet-msgpack); an `error` reply's HTTP status comes
from node/http_errors.py. A `want` is answered from the stored record bytes as they are, without decoding
and re-encoding events: the records are read for the want (at most one batch, 4 MiB), then written behind the
canonical array header, so memory stays bounded by one batch whatever the log size.
"""

from __future__ import annotations

import contextlib
import re
import struct

from aiohttp import web

from protocol import (
    MAX_MESSAGE_SIZE,
    ErrorReply,
    ForkProofs,
    Frontier,
    Hello,
    Origin,
    PeerList,
    Push,
    Reconcile,
    Want,
    WantForks,
)
from protocol.errors import MessageError, UnexpectedMessageError
from protocol.framing import FrameCheck
from protocol.messages import MAX_URL_LENGTH, decode_message, encode_message

from ..bodies import CHUNK as _CHUNK
from ..bodies import Check, read_body
from ..http_errors import peer_status
from .scheduler import Federation
from .transport import CONTENT_TYPE, OFFLOAD_BYTES, PEER_HEADER, decode_off_loop

FEDERATION = web.AppKey("federation", Federation)
"""The app's Federation: its agent answers the requests, its claims say who sent them."""

# Each limit is at least the largest correct request of its kind, so a body over it is its sender's fault
# (and penalised as malformed); a reply over what we accept is never charged to anyone (docs/PROTOCOL.md §13.4).
BODY_LIMITS = {
    "hello": 1024,
    "frontier": 8 * 1024 * 1024,
    "want": 64 * 1024,
    "push": MAX_MESSAGE_SIZE,
    "forks": MAX_MESSAGE_SIZE,
    "peers": 256 * 1024,
    "reconcile": 512 * 1024,  # at most 4,096 checks holding at most 16,384 ids: under 300 KB
}
EXPECTED: dict[str, type | tuple[type, ...]] = {
    "hello": Hello,
    "frontier": Frontier,
    "want": Want,
    "push": Push,
    "forks": (ForkProofs, WantForks),
    "peers": PeerList,
    "reconcile": Reconcile,
}
_URL = re.compile(r"https?://[!-~]+")
_ERROR_PREFIX = bytes([0x93, ErrorReply.TAG])


def _reply(data: bytes) -> web.Response:
    status = 200
    if data[:2] == _ERROR_PREFIX:
        status = peer_status(decode_message(data, ErrorReply).code)
    return web.Response(body=data, status=status, content_type=CONTENT_TYPE)


def _error(code: str, message: str) -> web.Response:
    return _reply(encode_message(ErrorReply(code, message[:512])))


def claimed_url(request: web.Request) -> str | None:
    """Return the base URL the sender claims in its Solnet-Peer header (unconfirmed), or None."""
    claimed = request.headers.get(PEER_HEADER, "").rstrip("/")
    if claimed and len(claimed) <= MAX_URL_LENGTH and _URL.fullmatch(claimed):
        return claimed
    return None


def remote_key(request: web.Request) -> str:
    """Return the key penalties and bans are kept under: the remote address the socket saw, never a claim."""
    return f"remote:{request.remote or 'unknown'}"


def _array_header(count: int) -> bytes:
    if count < 16:
        return bytes([0x90 | count])
    if count < 1 << 16:
        return b"\xdc" + struct.pack(">H", count)
    return b"\xdd" + struct.pack(">I", count)


async def _handle(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    limit = BODY_LIMITS.get(name)
    if limit is None:
        raise web.HTTPNotFound()
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip() != CONTENT_TYPE:
        return _error("bad_content_type", f"peer requests are {CONTENT_TYPE}, not {content_type or 'untyped'!r:.60}")
    federation = request.app[FEDERATION]
    key = remote_key(request)
    framing = FrameCheck(limit)
    body = await read_body(request, limit, _fits(framing))
    if body is None:
        federation.count_oversized(key)
        return await _unread(request, _error("body_too_large", f"a {name} request has at most {limit} bytes"))
    greeting = None
    if name == "hello":
        with contextlib.suppress(MessageError, UnexpectedMessageError):
            greeting = decode_message(body, Hello)
    origin = federation.origin(key, claimed_url(request), greeting.group if greeting else None)
    if name == "want":
        return await _serve_want(request, federation, origin, body)
    # A body whose framing was refused is passed on as read so far: decoding it fails at the same header, at once.
    decode = decode_off_loop if len(body) > OFFLOAD_BYTES else None
    return await _unread(request, _reply(await federation.agent.handle_bytes(origin, body, EXPECTED[name], decode=decode)))


async def _unread(request: web.Request, response: web.Response) -> web.Response:
    """Send `response` and close the connection if the request's body was refused before its end, instead of
    aiohttp reading (and discarding) the rest of it for up to its lingering time: a refused body costs only what
    was read of it."""
    if request.content.is_eof():
        return response
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()  # (the reply is in the transport's buffer, which closing flushes first)
    return response


def _fits(framing: FrameCheck) -> Check:
    """Return a body-reading check that feeds each piece to `framing`: reading stops at the first bad header."""

    def check(piece: bytes) -> bool:
        try:
            framing.feed(piece)
        except MessageError:
            return False
        return True

    return check


async def _serve_want(request: web.Request, federation: Federation, origin: Origin, body: bytes) -> web.StreamResponse:
    agent = federation.agent
    want = None
    if not agent.is_banned(origin, agent.clock()):
        with contextlib.suppress(MessageError, UnexpectedMessageError):
            want = decode_message(body, Want)
    if want is None:
        # The agent's own path answers bans and bad requests (and penalises them) exactly as for every other message.
        return _reply(await agent.handle_bytes(origin, body, Want))
    records = await agent.want_records(want, federation.replica.read_records)
    size = sum(len(r) for r in records)
    head = bytes([0x92, 0x04]) + _array_header(len(records))
    response = web.StreamResponse(status=200, headers={"Content-Type": CONTENT_TYPE})
    response.content_length = len(head) + size
    with contextlib.suppress(ConnectionResetError):  # the peer hung up mid-reply (stopped, timed out): its loss
        await response.prepare(request)
        await response.write(head)
        buffered: list[bytes] = []
        pending = 0
        for record in records:
            buffered.append(record)
            pending += len(record)
            if pending >= _CHUNK:
                await response.write(b"".join(buffered))
                buffered, pending = [], 0
        if buffered:
            await response.write(b"".join(buffered))
        await response.write_eof()
    return response


async def _subscribe(request: web.Request) -> web.StreamResponse:
    return await request.app[FEDERATION].subscriptions.serve(request, remote_key(request))


def setup_peer_routes(app: web.Application) -> None:
    """Add POST /peer/v1/{hello,frontier,want,push,forks,peers,reconcile} and GET /peer/v1/subscribe to `app`."""
    app.router.add_get("/peer/v1/subscribe", _subscribe)
    app.router.add_post("/peer/v1/{name}", _handle)
