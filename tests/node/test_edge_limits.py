"""Connection and request caps and deadlines on a real node served through its gate (issue 13, item 2)."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import time

import aiohttp
import pytest
from aiohttp import web

from node.app import create_app, make_runner
from node.edge import GATE, EdgeSite, install, keepalive_timeout, raise_fd_limit
from node.http_errors import UNEXPECTED
from node.settings import EdgeLimits

LIMITS = EdgeLimits(
    max_connections=40, max_connections_per_address=8, max_requests_per_address=4, header_timeout=1.0, body_timeout=1.0
)


@pytest.fixture
async def served(node_factory):
    """A node served on loopback through EdgeSite with small limits: (app, base URL)."""
    service, token = node_factory("Gate Street Tenants")
    app = create_app(service, limits=LIMITS)
    runner = make_runner(app, keepalive_timeout=keepalive_timeout(LIMITS))  # as run_app serves
    await runner.setup()
    site = EdgeSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield app, port, token
    await runner.cleanup()
    assert app[UNEXPECTED] == []


async def _open(port: int, source: str, first: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(first)
    await writer.drain()
    return reader, writer


def _slow_post(token: str) -> bytes:
    """Headers of a 1,000-byte publish and one byte of its body: the rest never comes."""
    return (
        "POST /api/v1/events HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: 1000\r\n\r\n{{"
    ).encode()


async def _answer(reader: asyncio.StreamReader, within: float) -> tuple[bytes, bool]:
    """Return what the server sent within `within` seconds, and whether it closed the connection by then."""
    received = b""
    try:
        async with asyncio.timeout(within):
            while chunk := await reader.read(65536):
                received += chunk
    except TimeoutError:
        return received, False
    except ConnectionError:
        pass  # dropped (abort sends a reset): what came before counts
    return received, True


async def _timed_get(port: int) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/api/v1/node") as resp:
        assert resp.status == 200
        await resp.read()
    return time.perf_counter() - started


async def test_slow_clients_from_one_address_are_capped_dropped_and_starve_no_one(served):
    app, port, token = served
    gate = app[GATE]
    conns = [await _open(port, "127.0.0.80", _slow_post(token)) for _ in range(30)]
    # Over the address's 8 connections: answered 503 and closed at once.
    first = await asyncio.gather(*(_answer(r, 0.5) for r, _ in conns))
    refused = [data for data, closed in first if closed]
    assert len(refused) >= 22 and all(data.startswith(b"HTTP/1.1 503") for data in refused)
    assert gate.connections_from("127.0.0.80") <= 8
    # Meanwhile another client is served at once.
    assert await _timed_get(port) < 0.5
    # Of the 8 admitted, 4 are handled (reading the body that never comes), the others answered 429 at once; all
    # are dropped by the deadlines.
    kept = [(r, data) for (r, _), (data, closed) in zip(conns, first, strict=True) if not closed]
    rest = await asyncio.gather(*(_answer(r, 4.0) for r, _ in kept))
    assert all(closed for _, closed in rest), "a slow connection was kept past its deadlines"
    assert sum(1 for _, data in kept if data.startswith(b"HTTP/1.1 429")) >= 1
    assert gate.counters.body_timeouts >= 1 and gate.connections_from("127.0.0.80") == 0
    for _, writer in conns:
        writer.close()
    assert await _timed_get(port) < 0.5


async def test_a_connection_that_never_finishes_its_headers_is_dropped(served):
    app, port, _ = served
    reader, writer = await _open(port, "127.0.0.81", b"GET /api/v1/node HTTP/1.1\r\nHost: node\r\n")
    started = time.perf_counter()
    assert await _answer(reader, 5.0) == (b"", True)
    assert 0.8 < time.perf_counter() - started < 3.0
    assert app[GATE].counters.header_timeouts == 1
    writer.close()


async def test_the_global_cap_holds_whatever_the_addresses(served):
    app, port, _ = served
    conns = [await _open(port, f"127.0.1.{i}", b"") for i in range(1, 46)]  # 45 addresses, one idle connection each
    answers = await asyncio.gather(*(_answer(r, 0.3) for r, _ in conns))
    assert app[GATE].open <= 40
    assert sum(1 for data, closed in answers if closed and data.startswith(b"HTTP/1.1 503")) >= 5
    for _, writer in conns:
        writer.close()
    await asyncio.sleep(0.1)
    assert await _timed_get(port) < 0.5


async def test_concurrent_requests_over_the_address_cap_get_429(served):
    app, port, token = served
    conns = [await _open(port, "127.0.0.82", _slow_post(token)) for _ in range(4)]  # 4 requests held open
    await asyncio.sleep(0.2)
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.82", 0))
    async with aiohttp.ClientSession(connector=connector) as session, session.get(f"http://127.0.0.1:{port}/api/v1/node") as resp:
        assert resp.status == 429 and (await resp.json())["error"]["code"] == "too_many_requests"
    assert app[GATE].counters.refused_requests == 1
    for _, writer in conns:
        writer.close()


def test_the_fd_limit_is_raised_and_the_cap_kept_under_it():
    soft_before, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = raise_fd_limit()
    assert soft >= soft_before and (hard == resource.RLIM_INFINITY or soft <= hard)
    assert EdgeLimits().max_connections <= 1024


def test_limits_come_from_the_environment_and_bad_values_are_refused():
    from node.errors import ConfigError

    limits = EdgeLimits.from_env({"SOLNET_MAX_CONNECTIONS": "300", "SOLNET_BODY_TIMEOUT": "2.5"})
    assert (limits.max_connections, limits.body_timeout, limits.header_timeout) == (300, 2.5, 15.0)
    with pytest.raises(ConfigError, match="SOLNET_HEADER_TIMEOUT"):
        EdgeLimits.from_env({"SOLNET_HEADER_TIMEOUT": "-1"})


async def test_a_client_that_stops_reading_a_streamed_reply_is_dropped():
    # A handler streaming a large reply behind the same gate: the client reads nothing, so the write blocks.
    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            for _ in range(4096):
                await response.write(b"x" * 65536)
        return response

    app = web.Application()
    gate = install(app, LIMITS)
    app.router.add_get("/stream", stream)
    runner = make_runner(app, keepalive_timeout=keepalive_timeout(LIMITS))
    await runner.setup()
    site = EdgeSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        await asyncio.get_running_loop().sock_sendall(sock, b"GET /stream HTTP/1.1\r\nHost: node\r\n\r\n")
        deadline = time.monotonic() + 6
        while gate.counters.reply_timeouts == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert gate.counters.reply_timeouts == 1 and gate.open == 0
        sock.close()
    finally:
        await runner.cleanup()


async def test_an_idle_connection_is_closed_politely_at_the_deadline(served):
    app, port, _ = served
    reader, writer = await _open(port, "127.0.0.83", b"GET /api/v1/node HTTP/1.1\r\nHost: node\r\n\r\n")
    data, closed = await _answer(reader, 5.0)  # the reply, then (idle) a close without a reset
    assert data.startswith(b"HTTP/1.1 200") and closed
    assert app[GATE].counters.header_timeouts == 0 and app[GATE].open == 0
    writer.close()
