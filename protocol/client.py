"""Requests to peers that keep the peer book current: every reply, or failure to get one, lands in the peer's health."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import MessageError, PeerRejectedError, TooLargeError, TransportError, UnexpectedMessageError
from .messages import Message
from .peers import MALFORMED_POINTS, PeerBook
from .transport import Transport


class PeerClient:
    """Sends requests through a Transport and records each outcome in a PeerBook (time from `clock`)."""

    def __init__(self, transport: Transport, book: PeerBook, clock: Callable[[], float] = time.monotonic):
        self.transport = transport
        self.book = book
        self.clock = clock

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
