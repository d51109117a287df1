"""An in-memory internet: many nodes in one process, messages delivered with `loop.call_soon`.

Requests and replies cross the network as bytes (encoded and decoded like on a real wire), one loop
turn apart. Nodes can be taken offline, links cut by partitions or dropped per direction. A handler
that raises anything is a bug, not a network condition: the exception reaches the requester as
itself and is re-raised by `deliver_messages()`, so the test fails instead of logging it.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Iterable

from .errors import MessageError, PeerRejectedError, TransportError
from .messages import ErrorReply, EventBatch, Message, Push, decode_message, encode_message
from .transport import BytesHandler


class MemoryNetwork:
    """The in-memory internet: addresses, link state, delivery, counters, and `deliver_messages()`."""

    def __init__(self, *, seed: int = 0):
        self._nodes: dict[str, MemoryTransport] = {}
        self._offline: set[str] = set()
        self._groups: dict[str, int] | None = None
        self._drop: dict[tuple[str, str], float] = {}
        self._rng = random.Random(seed)
        self._in_flight = 0
        self.failures: list[BaseException] = []
        self.messages: Counter[str] = Counter()
        self.copies: dict[bytes, Counter[str]] = defaultdict(Counter)

    def transport(self, address: str) -> MemoryTransport:
        """Return a new transport registered at `address`."""
        if address in self._nodes:
            raise ValueError(f"address {address} is taken")
        self._nodes[address] = MemoryTransport(self, address)
        return self._nodes[address]

    def set_online(self, address: str, online: bool) -> None:
        """Take a node offline (requests to and from it fail) or bring it back."""
        (self._offline.discard if online else self._offline.add)(address)

    def partition(self, *groups: Iterable[str]) -> None:
        """Split the network: only nodes in the same group reach each other (unlisted nodes form one more group)."""
        self._groups = {a: i for i, group in enumerate(groups) for a in group}

    def heal(self) -> None:
        """Remove the partition."""
        self._groups = None

    def set_drop(self, source: str, target: str, probability: float) -> None:
        """Drop requests from `source` to `target` with `probability` (1.0 cuts the link one way)."""
        self._drop[(source, target)] = probability

    def reachable(self, source: str, target: str) -> bool:
        """True iff a request from `source` to `target` would be delivered now (drops aside)."""
        if target not in self._nodes or self._nodes[target]._handler is None:
            return False
        if source in self._offline or target in self._offline:
            return False
        return not (self._groups is not None and self._groups.get(source, -1) != self._groups.get(target, -1))

    def event_copies(self, event_id: bytes) -> Counter[str]:
        """Return how many times each node received the event (pushes and pulled batches)."""
        return self.copies[event_id]

    async def deliver_messages(self, timeout: float = 30.0) -> None:
        """Wait until nothing is in flight and no other task runs; re-raise the first handler failure."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        me = asyncio.current_task()
        quiet = 0
        while quiet < 3:
            await asyncio.sleep(0)
            self.raise_failures()
            busy = self._in_flight or any(not t.done() for t in asyncio.all_tasks() if t is not me)
            quiet = 0 if busy else quiet + 1
            if loop.time() > deadline:
                raise TimeoutError(f"network not quiet after {timeout}s ({self._in_flight} in flight)")
        self.raise_failures()

    def raise_failures(self) -> None:
        """Re-raise the first exception a handler raised (once)."""
        if self.failures:
            first = self.failures[0]
            self.failures.clear()
            raise first

    async def _send(self, source: str, target: str, data: bytes) -> bytes:
        if not self.reachable(source, target):
            raise TransportError(f"{target} is not reachable from {source}")
        if self._rng.random() < self._drop.get((source, target), 0.0):
            raise TransportError(f"request from {source} to {target} was dropped")
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[bytes] = loop.create_future()
        self._in_flight += 1
        loop.call_soon(self._deliver, source, target, data, reply)
        try:
            return await reply
        finally:
            self._in_flight -= 1

    def _deliver(self, source: str, target: str, data: bytes, reply: asyncio.Future[bytes]) -> None:
        if not self.reachable(source, target):
            reply.set_exception(TransportError(f"{target} went away before the request arrived"))
            return
        handler = self._nodes[target]._handler
        assert handler is not None
        task = asyncio.ensure_future(handler(source, data))

        def done(t: asyncio.Task[bytes]) -> None:
            if reply.done():
                return
            exc = t.exception()
            if exc is not None:
                self.failures.append(exc)
                reply.set_exception(exc)
            elif not self.reachable(source, target):
                reply.set_exception(TransportError(f"{target} went away before replying"))
            else:
                asyncio.get_running_loop().call_soon(_resolve, reply, t.result())

        task.add_done_callback(done)

    def _count(self, target: str, events: Iterable) -> None:
        for event in events:
            self.copies[event.id][target] += 1


def _resolve(reply: asyncio.Future[bytes], data: bytes) -> None:
    if not reply.done():
        reply.set_result(data)


class MemoryTransport:
    """A node's attachment to a MemoryNetwork; implements protocol.transport.Transport."""

    def __init__(self, network: MemoryNetwork, address: str):
        self._network = network
        self._address = address
        self._handler: BytesHandler | None = None

    @property
    def address(self) -> str:
        return self._address

    def serve(self, handler: BytesHandler) -> None:
        """Install the handler for requests arriving at this address."""
        self._handler = handler

    async def request_bytes(self, peer: str, data: bytes) -> bytes:
        """Send raw bytes and return the raw reply (for tests that play a malicious peer)."""
        return await self._network._send(self._address, peer, data)

    async def request(self, peer: str, message: Message) -> Message:
        """Send a message, return the decoded reply; raise TransportError, MessageError or PeerRejectedError."""
        network = self._network
        network.messages[type(message).__name__] += 1
        data = await self.request_bytes(peer, encode_message(message))
        if isinstance(message, Push):
            network._count(peer, message.events)
        try:
            reply = decode_message(data)
        except MessageError as exc:
            raise MessageError(f"reply from {peer}: {exc.message}", field=exc.field) from None
        if isinstance(reply, ErrorReply):
            raise PeerRejectedError(f"{peer} refused: {reply.code}: {reply.message}", peer_code=reply.code)
        if isinstance(reply, EventBatch):
            network._count(self._address, reply.events)
        return reply
