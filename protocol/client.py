"""Requests to peers that keep the peer book current: every reply, or failure to get one, lands in the peer's health."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .errors import MessageError, PeerRejectedError, TooLargeError, TransportError, UnexpectedMessageError
from .messages import OLDEST_PROTOCOL_VERSION, Hello, Message
from .peers import MALFORMED_POINTS, PeerBook
from .transport import Transport

MAX_VERSIONS = 4096


class PeerClient:
    """Sends requests through a Transport and records each outcome in a PeerBook (time from `clock`)."""

    def __init__(self, transport: Transport, book: PeerBook, clock: Callable[[], float] = time.monotonic):
        self.transport = transport
        self.book = book
        self.clock = clock
        self._versions: OrderedDict[str, int] = OrderedDict()  # peer URL -> protocol version agreed by hello

    def version(self, peer: str) -> int | None:
        """Return the protocol version agreed with `peer` by the last hello, or None if none was answered."""
        return self._versions.get(peer)

    async def greet(self, peer: str, hello: Callable[[int | None], Hello]) -> Hello:
        """Send our hello (`hello(None)`: our newest version); a peer that refuses that version with
        `unsupported_protocol` (a node before v2) is greeted again with version 1. Remember the agreed version."""
        ours = hello(None)
        try:
            reply = await self.request(peer, ours, Hello)
        except PeerRejectedError as exc:
            if exc.peer_code != "unsupported_protocol" or ours.version == OLDEST_PROTOCOL_VERSION:
                raise
            reply = await self.request(peer, hello(OLDEST_PROTOCOL_VERSION), Hello)
        self._versions.pop(peer, None)
        self._versions[peer] = min(reply.version, ours.version)
        if len(self._versions) > MAX_VERSIONS:
            self._versions.popitem(last=False)
        return reply

    async def request(self, peer: str, message: Message, expected: type | tuple[type, ...]) -> Any:
        """Send a request, check the reply's type, and keep the peer's health record; raise ProtocolError on failure."""
        now = self.clock()
        try:
            reply = await self.transport.request(peer, message)
            if not isinstance(reply, expected):
                raise UnexpectedMessageError(f"{peer} replied with {type(reply).__name__}", field="tag")
        except TransportError:
            self.book.record_failure(peer, now)
            raise
        except TooLargeError:
            raise  # our own request is over the limit: nothing the peer did
        except (MessageError, UnexpectedMessageError) as exc:
            self.book.record_failure(peer, now)
            self.book.penalise(peer, MALFORMED_POINTS, f"malformed reply: {exc}", now)
            raise
        except PeerRejectedError:
            self.book.record_failure(peer, now)
            raise
        self.book.record_success(peer, self.clock())
        return reply
