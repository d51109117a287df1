"""The HTTP side of protocol.Transport: one aiohttp ClientSession, per-request timeouts, reply size limits.

Every failure to get a usable reply becomes a protocol error at this edge: no reply (refused, reset, timed
out, not a peer endpoint) is TransportError, a reply that is not a valid message is MessageError, and an
`error` message is PeerRejectedError. The PeerBook counts them; nothing from aiohttp leaks upwards.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp

from protocol import (
    MAX_MESSAGE_SIZE,
    ErrorReply,
    ForkProofs,
    Frontier,
    Hello,
    Message,
    MessageError,
    PeerList,
    PeerRejectedError,
    Push,
    TransportError,
    Want,
    WantForks,
    decode_message,
    encode_message,
)
from protocol.transport import BytesHandler

from ..bodies import read_stream

CONTENT_TYPE = "application/x-solnet-msgpack"
PEER_HEADER = "Solnet-Peer"
PATHS: dict[type, str] = {
    Hello: "hello",
    Frontier: "frontier",
    Want: "want",
    Push: "push",
    ForkProofs: "forks",
    WantForks: "forks",
    PeerList: "peers",
}
"""The peer endpoint (under /peer/v1/) each request message is posted to (docs/PROTOCOL.md §13.4)."""

# Largest reply accepted per request type; a frontier of 65,536 entries is ~4.7 MB.
REPLY_LIMITS: dict[type, int] = {
    Hello: 1024,
    Frontier: 8 * 1024 * 1024,
    Want: MAX_MESSAGE_SIZE,
    Push: 1024,
    ForkProofs: 1024,
    WantForks: 4 * 1024 * 1024,
    PeerList: 256 * 1024,
}


OFFLOAD_BYTES = 64 * 1024
"""A message larger than this is decoded (records checked, fork proofs verified) on the decoding thread, not the loop."""
_DECODERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solnet-decode")


async def decode_off_loop(data: bytes, expected: Any = None) -> Message:
    """Return `decode_message(data, expected)` computed on the decoding thread, so the event loop keeps serving."""
    return await asyncio.get_running_loop().run_in_executor(_DECODERS, decode_message, data, expected)


class HttpTransport:
    """Sends protocol requests to peers over HTTP POST; the app's peer routes serve the handler given to `serve`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        address: str,
        *,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
    ):
        self.session = session
        self._address = address.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self.handler: BytesHandler | None = None
        self.bytes_sent = 0
        self.bytes_received = 0

    @property
    def address(self) -> str:
        """Return this node's own base URL (sent to peers in the Solnet-Peer header)."""
        return self._address

    @address.setter
    def address(self, url: str) -> None:
        self._address = url.rstrip("/")

    def serve(self, handler: BytesHandler) -> None:
        """Install the handler the peer routes pass incoming requests to."""
        self.handler = handler

    async def request(self, peer: str, message: Message) -> Message:
        """POST `message` to the peer's endpoint for its type; return the decoded reply or raise a ProtocolError."""
        path = PATHS.get(type(message))
        if path is None:
            raise MessageError(f"{type(message).__name__} is not a request", field="tag")
        data = await self.request_bytes(peer, path, encode_message(message), REPLY_LIMITS[type(message)])
        try:
            reply = await decode_off_loop(data) if len(data) > OFFLOAD_BYTES else decode_message(data)
        except MessageError as exc:
            raise MessageError(f"reply from {peer}: {exc.message}", field=exc.field) from None
        if isinstance(reply, ErrorReply):
            raise PeerRejectedError(f"{peer} refused: {reply.code}: {reply.message}", peer_code=reply.code)
        return reply

    async def request_bytes(self, peer: str, path: str, body: bytes, limit: int = MAX_MESSAGE_SIZE) -> bytes:
        """POST raw bytes to /peer/v1/<path> of `peer`; return the raw reply body (any status that carries a message)."""
        if not peer.startswith(("http://", "https://")):
            raise TransportError(f"{peer!r:.80} is not an http(s) URL")
        url = f"{peer.rstrip('/')}/peer/v1/{path}"
        headers = {"Content-Type": CONTENT_TYPE, PEER_HEADER: self._address}
        try:
            async with self.session.post(url, data=body, headers=headers, timeout=self.timeout) as resp:
                self.bytes_sent += len(body)
                if resp.content_type != CONTENT_TYPE:
                    what = resp.content_type or "no body"
                    raise TransportError(f"{url} answered HTTP {resp.status} with {what}, not a peer message")
                if resp.content_length is not None and resp.content_length > limit:
                    raise MessageError(f"reply from {peer} has {resp.content_length} bytes, more than {limit}", field="message")
                data = await read_stream(resp.content, limit)
                if data is None:
                    raise MessageError(f"reply from {peer} is larger than {limit} bytes", field="message")
                self.bytes_received += len(data)
                return data
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"no reply from {url}: {type(exc).__name__}: {exc}") from None
