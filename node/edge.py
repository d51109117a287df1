"""The node's HTTP front door: caps on connections and requests per client, and deadlines, so no client starves others.

aiohttp parses and answers requests; this module decides who gets a connection and for how long (`EdgeLimits`):
- `Gate.protocol_factory` wraps aiohttp's per-connection protocol: a connection over the global cap or over its
  address's cap is answered 503 and closed at once, before aiohttp sees a byte of it; one that has not finished its
  request's headers within `header_timeout` (from its opening, or from its previous reply) is dropped;
- `edge_middleware` counts the requests of each address being handled (over the cap: 429) and drops a connection whose
  request body has not fully arrived `body_timeout` after its headers, or, while its request is handled, whose
  client has stopped reading the reply (the transport's buffer stayed full) at a `body_timeout` check;
- `EdgeSite` serves an app through the gate; `raise_fd_limit` raises the soft file-descriptor limit at start, and the
  global cap is kept to half of it; `keepalive_timeout` is what the runner gives aiohttp's own idle timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from .errors import BusyError, TooManyRequestsError
from .http_errors import raw_error_response
from .settings import EdgeLimits

log = logging.getLogger("solnet.edge")
FD_TARGET = 65536


def raise_fd_limit(target: int = FD_TARGET) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards `target` (never above the hard limit); return the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(target, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def keepalive_timeout(limits: EdgeLimits) -> float:
    """Return the runner's `keepalive_timeout`: twice the header deadline, so the gate's deadline always comes first.

    aiohttp arms its idle timer when a connection opens as well as after each reply, and when it fires closes a
    connection still waiting for a complete request. Due together with the gate's, it could close a connection that sent
    half its headers quietly, uncounted and unlogged, before the gate dropped it (a CI run failed so: when the event loop
    ran aiohttp's timer alone). The gate closes idle connections at its own deadline: aiohttp's timer is a backstop."""
    return 2 * limits.header_timeout


@dataclass
class EdgeCounters:
    """What the gate refused or dropped since the node started."""

    refused_connections: int = 0
    refused_requests: int = 0
    header_timeouts: int = 0
    body_timeouts: int = 0
    reply_timeouts: int = 0


class Gate:
    """Counts connections and requests per remote address against `EdgeLimits`; see the module docstring."""

    def __init__(self, limits: EdgeLimits):
        self.limits = limits
        self.max_connections = limits.max_connections  # (EdgeSite lowers it to half the soft fd limit)
        self.counters = EdgeCounters()
        self._connections: dict[str, int] = {}
        self._requests: dict[str, int] = {}
        self._guards: dict[asyncio.BaseTransport, _Guard] = {}
        self.open = 0

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """Return a protocol factory for `loop.create_server` that puts every connection of `inner` behind this gate."""
        return lambda: _Guard(self, inner)

    def connections_from(self, address: str) -> int:
        """Return how many connections `address` holds open now."""
        return self._connections.get(address, 0)

    def _admit(self, guard: _Guard) -> bool:
        address = guard.address
        if self.open >= self.max_connections or self._connections.get(address, 0) >= self.limits.max_connections_per_address:
            self.counters.refused_connections += 1
            return False
        self.open += 1
        self._connections[address] = self._connections.get(address, 0) + 1
        self._guards[guard.transport] = guard  # type: ignore[index]
        return True

    def _release(self, guard: _Guard) -> None:
        self.open -= 1
        self._guards.pop(guard.transport, None)  # type: ignore[arg-type]
        left = self._connections.get(guard.address, 1) - 1
        if left > 0:
            self._connections[guard.address] = left
        else:
            self._connections.pop(guard.address, None)

    def _start_request(self, address: str) -> bool:
        held = self._requests.get(address, 0)
        if held >= self.limits.max_requests_per_address:
            self.counters.refused_requests += 1
            return False
        self._requests[address] = held + 1
        return True

    def _end_request(self, address: str) -> None:
        left = self._requests.get(address, 1) - 1
        if left > 0:
            self._requests[address] = left
        else:
            self._requests.pop(address, None)


class _Guard(asyncio.Protocol):
    """One connection in front of aiohttp's protocol: admitted or refused, and dropped when a deadline passes."""

    def __init__(self, gate: Gate, inner: Callable[[], asyncio.Protocol]):
        self.gate = gate
        self._make_inner = inner
        self.inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.address = "unknown"
        self._timer: asyncio.TimerHandle | None = None
        self._paused = False  # the client is not reading what is written to it (the transport's buffer is full)
        self._heard = False  # bytes arrived since the header deadline was set (else the connection is just idle)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        if not self.gate._admit(self):
            busy = BusyError(f"too many connections (from {self.address} or in all); try again later")
            transport.write(raw_error_response(busy))  # type: ignore[attr-defined]
            transport.close()
            return
        self.inner = self._make_inner()
        self.inner.connection_made(transport)
        self.expect_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        if self.inner is not None:
            self.gate._release(self)
            self.inner.connection_lost(exc)
            self.inner = None

    def data_received(self, data: bytes) -> None:
        self._heard = True
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        self._paused = True
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        self._paused = False
        if self.inner is not None:
            self.inner.resume_writing()

    def expect_headers(self) -> None:
        """Start the header deadline: the next request's headers must be in within `header_timeout`."""
        self._heard = False
        self._arm(self.gate.limits.header_timeout, self._headers_late)

    def expect_body(self, request: web.Request) -> None:
        """Headers are in: start the body deadline for `request`."""
        self._arm(self.gate.limits.body_timeout, lambda: self._body_late(request))

    def done(self) -> None:
        """The request was answered: stop its deadline (the next request's header deadline starts)."""
        self.expect_headers()

    def _arm(self, delay: float, then: Callable[[], None]) -> None:
        self._cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, then)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_late(self) -> None:
        if not self._heard and self.transport is not None and not self.transport.get_write_buffer_size():
            self.transport.close()  # idle (keep-alive, or opened and never used): closed politely, like aiohttp would
            return
        self.gate.counters.header_timeouts += 1
        self._drop("sent no complete request headers in time")

    def _body_late(self, request: web.Request) -> None:
        if not request.content.is_eof():
            self.gate.counters.body_timeouts += 1
            self._drop("sent its request body too slowly")
        elif self._paused:
            self.gate.counters.reply_timeouts += 1
            self._drop("did not read its reply")
        else:  # the body is in and the reply flows; the handler may take its time (looked at again later)
            self.expect_body(request)

    def _drop(self, why: str) -> None:
        log.info("dropping a connection from %s: it %s", self.address, why)
        if self.transport is not None:
            self.transport.abort()


GATE = web.AppKey("edge_gate", Gate)
"""The app's Gate: its middleware counts requests; `EdgeSite` puts connections behind it."""


@web.middleware
async def edge_middleware(request: web.Request, handler):
    """Refuse a request over its address's cap (429); hold the connection to the body deadline while it is handled."""
    gate = request.app[GATE]
    address = request.remote or "unknown"
    guard = gate._guards.get(request.transport) if request.transport is not None else None  # type: ignore[arg-type]
    if guard is not None:
        guard.expect_body(request)
    if not gate._start_request(address):
        if guard is not None:
            guard.done()
        raise TooManyRequestsError(f"too many requests from {address} at once; try again when one is answered")
    try:
        return await handler(request)
    finally:
        gate._end_request(address)
        if guard is not None:
            guard.done()


def install(app: web.Application, limits: EdgeLimits) -> Gate:
    """Put `app`'s requests behind a new Gate with these limits (its connections too, when served by `EdgeSite`)."""
    gate = app[GATE] = Gate(limits)
    app.middlewares.append(edge_middleware)
    return gate


class EdgeSite(web.TCPSite):
    """A TCPSite whose connections pass the app's Gate first (raising the fd limit and fitting the cap under it)."""

    async def start(self) -> None:
        await web.BaseSite.start(self)
        runner = self._runner
        server = runner.server
        assert server is not None and isinstance(runner, web.AppRunner)
        gate = runner.app[GATE]
        fd_limit = raise_fd_limit()
        gate.max_connections = max(1, min(gate.max_connections, fd_limit // 2))
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            gate.protocol_factory(server), self._host, self._port, backlog=self._backlog, reuse_address=self._reuse_address
        )
