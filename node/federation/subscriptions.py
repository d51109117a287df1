"""Subscriptions (docs/PROTOCOL.md §16): both ends of the WebSocket that lets a node nobody can reach get pushes.

`Subscriptions.serve` is the reachable end (GET /peer/v1/subscribe): at most `max_subscribers` sockets at once,
a challenge signed by the subscriber's group key, then the subscriber is a peer like any other, under the address
`sub:<group id>`, reached over its socket (HttpTransport.channels). `Subscriptions.start` is the other end: one
task per peer URL that dials, answers the challenge, and keeps the socket open, dialing again with a jittered,
growing delay (`RETRY_DELAYS`) when it closes. Each time a socket opens, both ends run an anti-entropy sync over
it, so whatever either side published while it was closed is traded at once (the subscription resumes from the
heads, not from a position in a stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
from aiohttp import web

from events import Identity
from protocol import MessageError, Origin, PeerBook, SyncAgent
from protocol.peers import MALFORMED_POINTS
from protocol.subscription import (
    MAX_FRAME_SIZE,
    Challenge,
    Subscribe,
    answer_challenge,
    check_subscribe,
    decode_frame,
    encode_frame,
    subscriber_address,
)

from ..errors import BusyError
from .channel import Channel
from .transport import OFFLOAD_BYTES, HttpTransport, decode_off_loop

log = logging.getLogger("solnet.federation")
PATH = "/peer/v1/subscribe"
HANDSHAKE_TIMEOUT = 10.0
RETRY_DELAYS = (0.25, 30.0)  # the first and the longest delay before dialing again (doubling, "equal jitter")
STEADY = 10.0  # a socket that stayed open this long resets the delay to the first one


class Subscriptions:
    """The sockets this node serves to subscribers (bounded) and those it keeps open to the peers it subscribes to."""

    def __init__(
        self,
        *,
        identity: Identity,
        transport: HttpTransport,
        book: PeerBook,
        agent: SyncAgent,
        signing_keys: Callable[[Sequence[bytes]], Awaitable[Mapping[bytes, bytes]]],
        sync: Callable[[str], Awaitable[Any]],
        spawn: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        max_subscribers: int = 32,
        heartbeat: float = 20.0,
        timeout: float = 10.0,
        rng: random.Random | None = None,
    ):
        self.identity = identity
        self.transport = transport
        self.book = book
        self.agent = agent
        self.signing_keys = signing_keys
        self.sync = sync
        self.spawn = spawn
        self.on_error = on_error
        self.max_subscribers = max_subscribers
        self.heartbeat = heartbeat
        self.timeout = timeout
        self._rng = rng or random.Random()
        self.served: dict[str, Channel] = {}  # subscriber address -> its socket
        self.open: dict[str, Channel] = {}  # peer URL -> our socket to it
        self._arriving = 0  # sockets in their handshake (they count against the bound too)
        self._dialers: set[asyncio.Task[None]] = set()
        self._dialing: set[str] = set()
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False

    # --- the reachable end ---------------------------------------------------------------------------------------

    async def serve(self, request: web.Request, key: str) -> web.StreamResponse:
        """Serve one subscriber's socket until it closes (raise BusyError when `max_subscribers` are connected)."""
        if self._stopping or len(self.served) + self._arriving >= self.max_subscribers:
            raise BusyError(f"this node serves at most {self.max_subscribers} subscribers; try another peer or later")
        if self.agent.is_banned(Origin(key), self.agent.clock()):
            raise BusyError("this node does not talk to you for now")
        ws = web.WebSocketResponse(heartbeat=self.heartbeat, max_msg_size=MAX_FRAME_SIZE)
        self._arriving += 1
        try:
            await ws.prepare(request)
            group = await self._handshake(ws, key)
        finally:
            self._arriving -= 1
        if group is None:
            await ws.close()
            return ws
        address = subscriber_address(group)
        channel = Channel(ws, Origin(key, address), self._handler, on_error=self.on_error, timeout=self.timeout)
        old = self.served.pop(address, None)
        if old is not None:  # the same group again (it reconnected before we saw the old socket close)
            await old.close()
        self.served[address] = channel
        self._attach(address, group, channel)
        log.info("subscriber %s connected from %s", address, key)
        try:
            await channel.run()
        finally:
            if self.served.get(address) is channel:
                del self.served[address]
            self._detach(address, channel)
        return ws

    async def _handshake(self, ws: web.WebSocketResponse, key: str) -> bytes | None:
        challenge = Challenge(os.urandom(32), self.identity.public_key)
        try:
            await ws.send_bytes(encode_frame(challenge))
            message = await ws.receive(timeout=HANDSHAKE_TIMEOUT)
            if message.type != aiohttp.WSMsgType.BINARY:
                return None
            frame = decode_frame(message.data)
            if not isinstance(frame, Subscribe):
                raise MessageError("the first frame of a subscriber is `subscribe`", field="tag")
            if frame.group == self.identity.public_key:
                raise MessageError("a node does not subscribe to itself", field="group")
            check_subscribe(frame, challenge, (await self.signing_keys([frame.group])).get(frame.group))
        except MessageError as exc:
            self.book.penalise(key, MALFORMED_POINTS, f"bad subscription: {exc}", self.agent.clock())
            return None
        except (TimeoutError, ConnectionError, RuntimeError):
            return None
        return frame.group

    # --- the outbound-only end -----------------------------------------------------------------------------------

    def start(self, session: aiohttp.ClientSession, urls: Sequence[str]) -> None:
        """Keep a subscription open to each of `urls` (dialing again with backoff) until `stop`."""
        self._session = session
        for url in urls:
            self.add(url)

    def add(self, url: str) -> None:
        """Keep a subscription open to one more peer (after `start`; nothing if one is kept already)."""
        url = url.rstrip("/")
        if url in self._dialing or self._session is None:
            return
        self._dialing.add(url)
        task = asyncio.create_task(self._dial_forever(self._session, url), name=f"subscription {url}")
        self._dialers.add(task)
        task.add_done_callback(self._dialer_done)

    def _dialer_done(self, task: asyncio.Task[None]) -> None:
        self._dialers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.on_error(task.exception())  # type: ignore[arg-type]

    async def _dial_forever(self, session: aiohttp.ClientSession, url: str) -> None:
        failures = 0
        while not self._stopping:
            started = time.monotonic()
            opened = await self._dial(session, url)
            steady = opened and time.monotonic() - started >= STEADY
            failures = 0 if steady else failures + 1
            await asyncio.sleep(self.retry_delay(failures) if failures else 0.0)

    def retry_delay(self, failures: int) -> float:
        """Return the delay before dialing again after `failures` short-lived or failed tries ("equal jitter")."""
        first, longest = RETRY_DELAYS
        delay = min(longest, first * 2 ** min(failures - 1, 16))
        return delay / 2 + self._rng.uniform(0, delay / 2)

    async def _dial(self, session: aiohttp.ClientSession, url: str) -> bool:
        """Open one subscription to `url` and keep it until it closes; return True iff the handshake was answered."""
        channel: Channel | None = None
        try:
            async with session.ws_connect(
                url + PATH,
                heartbeat=self.heartbeat,
                max_msg_size=MAX_FRAME_SIZE,
                timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
            ) as ws:  # (a redirect is followed: the socket carries only what the signed handshake binds to the peer)
                message = await ws.receive(timeout=HANDSHAKE_TIMEOUT)
                if message.type != aiohttp.WSMsgType.BINARY:
                    return False
                challenge = decode_frame(message.data)
                if not isinstance(challenge, Challenge):
                    raise MessageError("the first frame of a peer is `challenge`", field="tag")
                await ws.send_bytes(encode_frame(answer_challenge(self.identity, challenge)))
                channel = Channel(
                    ws, Origin(f"subscription:{url}", url), self._handler, on_error=self.on_error, timeout=self.timeout
                )
                self.open[url] = channel
                self._attach(url, challenge.group, channel)
                log.info("subscribed to %s", url)
                await channel.run()
                return True
        except (aiohttp.ClientError, OSError, TimeoutError, MessageError) as exc:
            log.info("subscription to %s failed: %s: %s", url, type(exc).__name__, exc)
            return False
        finally:
            if channel is not None:
                self.open.pop(url, None)
                self._detach(url, channel)

    # --- both ends -----------------------------------------------------------------------------------------------

    async def _handler(self, origin: Origin, body: bytes) -> bytes:
        decode = decode_off_loop if len(body) > OFFLOAD_BYTES else None
        return await self.agent.handle_bytes(origin, body, decode=decode)

    def _attach(self, address: str, group: bytes, channel: Channel) -> None:
        self.transport.channels[address] = channel
        self.book.add(address, group, make_room=True)
        self.book.record_success(address, self.agent.clock())  # what failed while it was away is forgotten
        self.spawn(self.sync(address))  # resume: trade what either side published while the socket was closed

    def _detach(self, address: str, channel: Channel) -> None:
        if self.transport.channels.get(address) is channel:
            del self.transport.channels[address]
            if address not in self.open and not self.book.is_chosen(address):
                self.book.remove(address)  # a subscriber nobody chose is a peer only while its socket is open

    def status(self) -> dict[str, Any]:
        """Return who is subscribed here and which subscriptions of ours are open."""
        return {"subscribers": sorted(self.served), "max_subscribers": self.max_subscribers, "subscribed_to": sorted(self.open)}

    async def stop(self) -> None:
        """Stop dialing and close every socket (idempotent)."""
        self._stopping = True
        for task in list(self._dialers):
            task.cancel()
        for channel in [*self.served.values(), *self.open.values()]:
            await channel.close()
        for task in list(self._dialers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
