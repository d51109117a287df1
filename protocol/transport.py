"""The seam between protocol logic and the network: a Transport sends requests and serves incoming ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .messages import Message


@dataclass(frozen=True, slots=True)
class Origin:
    """Who sent a request, as far as the transport can tell (docs/PROTOCOL.md §13, "Who sent it").

    `key` is what the transport itself vouches for (over HTTP: the remote address); penalties, bans and
    replay memory are kept under it. `url` is where the sender can be reached, only once that has been
    confirmed (else None); gossip bookkeeping (who holds what, whom to pull an announcement from) uses it.
    """

    key: str
    url: str | None = None

    @classmethod
    def authentic(cls, address: str) -> Origin:
        """Return the origin for a transport whose sender address cannot be forged (e.g. MemoryTransport)."""
        return cls(address, address)


# A server-side handler: (sender, request bytes) -> reply bytes. It decodes, so bad bytes reach the protocol.
# A plain string sender is taken as authentic (Origin.authentic).
BytesHandler = Callable[[str | Origin, bytes], Awaitable[bytes]]


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
