"""The seam between protocol logic and the network: a Transport sends requests and serves incoming ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from .messages import Message

# A server-side handler: (sender address, request bytes) -> reply bytes. It decodes, so bad bytes reach the protocol.
BytesHandler = Callable[[str, bytes], Awaitable[bytes]]


@runtime_checkable
class Transport(Protocol):
    """How a node talks to peers; the HTTP client/server in node/ and MemoryTransport here implement it.

    `request` raises TransportError when no reply arrives (peer offline, unreachable, timed out),
    MessageError when the reply is not a valid message, and PeerRejectedError when the reply is an
    ErrorReply. `serve` installs the one handler for incoming requests.
    """

    @property
    def address(self) -> str:
        """Return this node's own address (the URL peers reach it at)."""
        ...

    async def request(self, peer: str, message: Message) -> Message:
        """Send `message` to `peer` and return its decoded reply."""
        ...

    def serve(self, handler: BytesHandler) -> None:
        """Install `handler` for requests arriving at this node."""
        ...
