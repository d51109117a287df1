"""One subscription socket as a two-way request/reply link (docs/PROTOCOL.md §16).

Either end may send requests: each goes out in a `request` frame with a fresh id and its reply comes back in a
`reply` frame with that id. Requests from the other end are answered by the agent's handler, at most
`concurrency` at once (the reader waits for a free slot, so a flood is slowed by the socket, not queued without
bound). A frame that is not a frame, or a text message, ends the link. When the socket closes, every request
waiting for a reply fails with TransportError, as a refused HTTP request would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from protocol import ErrorReply, MessageError, Origin, TransportError, encode_message
from protocol.subscription import MAX_REQUEST_ID, Reply, Request, decode_frame, encode_frame
from protocol.transport import BytesHandler

log = logging.getLogger("solnet.federation")
Socket = web.WebSocketResponse | aiohttp.ClientWebSocketResponse


class Channel:
    """Requests and replies over one open WebSocket; `run` reads it until it closes."""

    def __init__(
        self,
        ws: Socket,
        origin: Origin,
        handler: BytesHandler,
        *,
        on_error: Callable[[BaseException], None],
        concurrency: int = 8,
        timeout: float = 10.0,
    ):
        self.ws = ws
        self.origin = origin  # who the other end is, for the handler (its key for penalties, its address for gossip)
        self.handler = handler
        self.on_error = on_error
        self.timeout = timeout
        self._ids = itertools.cycle(range(1, MAX_REQUEST_ID + 1))
        self._pending: dict[int, asyncio.Future[bytes]] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._serving: set[asyncio.Task[Any]] = set()
        self.closed = False
        self.bytes_sent = 0
        self.bytes_received = 0

    async def request_bytes(self, body: bytes, limit: int) -> bytes:
        """Send one request and return the reply's bytes; raise TransportError if none comes within the timeout."""
        if self.closed:
            raise TransportError(f"the subscription to {self.origin.url} is closed")
        request_id = next(self._ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self.ws.send_bytes(encode_frame(Request(request_id, body)))
            self.bytes_sent += len(body)
            reply = await asyncio.wait_for(future, self.timeout)
        except (TimeoutError, ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            raise TransportError(f"no reply over the subscription to {self.origin.url}: {type(exc).__name__}") from None
        finally:
            self._pending.pop(request_id, None)
        if len(reply) > limit:
            raise TransportError(f"reply from {self.origin.url} has {len(reply)} bytes, more than {limit}")
        return reply

    async def run(self) -> None:
        """Read frames until the socket closes or breaks the protocol; serve requests and deliver replies."""
        try:
            async for message in self.ws:
                if message.type != aiohttp.WSMsgType.BINARY:
                    break  # (aiohttp answers pings and ends the loop on close; anything else is not ours)
                try:
                    frame = decode_frame(message.data)
                except MessageError as exc:
                    log.info("closing the subscription with %s: %s", self.origin.key, exc)
                    break
                if isinstance(frame, Reply):
                    future = self._pending.get(frame.id)
                    if future is not None and not future.done():
                        self.bytes_received += len(frame.message)
                        future.set_result(frame.message)
                elif isinstance(frame, Request):
                    await self._slots.acquire()
                    task = asyncio.ensure_future(self._serve(frame))
                    self._serving.add(task)
                    task.add_done_callback(self._served)
                else:
                    break  # a handshake frame after the handshake
        finally:
            await self.close()

    async def _serve(self, request: Request) -> None:
        try:
            reply = await self.handler(self.origin, request.message)
        except Exception as exc:  # (a store outage, say): answered as an HTTP route's 500 would be, and reported
            self.on_error(exc)
            reply = encode_message(ErrorReply("internal_error", "this node could not answer; try again later"))
        with contextlib.suppress(ConnectionError, RuntimeError, aiohttp.ClientError):
            await self.ws.send_bytes(encode_frame(Reply(request.id, reply)))

    def _served(self, task: asyncio.Task[Any]) -> None:
        self._serving.discard(task)
        self._slots.release()

    async def close(self) -> None:
        """Close the socket (idempotent): waiting requests fail, requests being served are cancelled."""
        self.closed = True
        for future in self._pending.values():
            if not future.done():
                future.set_exception(TransportError(f"the subscription to {self.origin.url} closed"))
        for task in list(self._serving):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()
