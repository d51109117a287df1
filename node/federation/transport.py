"""The HTTP side of protocol.Transport: one aiohttp ClientSession, per-request timeouts, reply size limits.

Every failure to get a usable reply becomes a protocol error at this edge: no reply (refused, reset, timed
out, not a peer endpoint) is TransportError, a reply that is not a valid message is MessageError, and an
`error` message is PeerRejectedError. The PeerBook counts them; nothing from aiohttp leaks upwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
    Reconcile,
    TransportError,
    Want,
    WantForks,
    decode_message,
    encode_message,
)
from protocol.subscription import is_subscriber_address
from protocol.transport import BytesHandler
from protocol.urls import learnt_url_problem

from ..bodies import read_stream
from .channel import Channel

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
    Reconcile: "reconcile",
}
"""The peer endpoint (under /peer/v1/) each request message is posted to (docs/PROTOCOL.md §13.4)."""

# Largest reply accepted per request type; a frontier of 65,536 entries is ~4.7 MB.
REPLY_LIMITS: dict[type, int] = {
    Hello: 1024,
    Frontier: 8 * 1024 * 1024,
    Want: MAX_MESSAGE_SIZE,
    Push: 1024,
    ForkProofs: 1024,
    WantForks: MAX_MESSAGE_SIZE,
    PeerList: 256 * 1024,
    Reconcile: 1024 * 1024,  # a reply holds at most 4,096 entries and 1,024 splits: under 700 KB
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
        learnt_session: aiohttp.ClientSession | None = None,
        trusted: Callable[[str], bool] = lambda url: True,
        allow_private: bool = False,
    ):
        self.session = session
        # URLs `trusted` does not vouch for (learnt, not chosen by the operator) must pass learnt_url_problem
        # and go through `learnt_session`, whose resolver keeps only public addresses (node/federation/guard.py).
        self.learnt_session = learnt_session
        self.trusted = trusted
        self.allow_private = allow_private
        self._address = address.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self.handler: BytesHandler | None = None
        # Open subscriptions (docs/PROTOCOL.md §16), by the address the other end has in our book: requests to
        # it go over its socket. An outbound-only node sends no Solnet-Peer header (`reachable` False).
        self.channels: dict[str, Channel] = {}
        self.reachable = True
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
        """POST raw bytes to /peer/v1/<path> of `peer` (or send them over its subscription); return the raw reply body."""
        channel = self.channels.get(peer)
        if channel is not None and not channel.closed:
            return await channel.request_bytes(body, limit)
        if is_subscriber_address(peer):
            raise TransportError(f"{peer} is reached only over its subscription, which is not open now")
        if not peer.startswith(("http://", "https://")):
            raise TransportError(f"{peer!r:.80} is not an http(s) URL")
        session = self.session
        if self.learnt_session is not None and not self.trusted(peer):
            problem = learnt_url_problem(peer, allow_private=self.allow_private)
            if problem is not None:
                raise TransportError(f"not contacting {peer!r:.80}: a learnt peer URL that {problem}")
            session = self.learnt_session
        url = f"{peer.rstrip('/')}/peer/v1/{path}"
        headers = {"Content-Type": CONTENT_TYPE, PEER_HEADER: self._address} if self.reachable else {"Content-Type": CONTENT_TYPE}
        try:
            # Never follow a redirect: it would carry the request (and its body) to an address nobody chose.
            async with session.post(url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False) as resp:
                self.bytes_sent += len(body)
                if 300 <= resp.status < 400:
                    raise TransportError(f"{url} answered HTTP {resp.status} (a redirect, never followed)")
                if resp.content_type != CONTENT_TYPE:
                    what = resp.content_type or "no body"
                    raise TransportError(f"{url} answered HTTP {resp.status} with {what}, not a peer message")
                # A reply over our limit may be correct (a big frontier): a failure to get a usable reply, not misbehaviour.
                if resp.content_length is not None and resp.content_length > limit:
                    raise TransportError(
                        f"reply from {peer} has {resp.content_length} bytes, more than {limit} (the most accepted)"
                    )
                data = await read_stream(resp.content, limit)
                if data is None:
                    raise TransportError(f"reply from {peer} is larger than {limit} bytes (the most accepted)")
                self.bytes_received += len(data)
                return data
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"no reply from {url}: {type(exc).__name__}: {exc}") from None
