"""Every client has reply size limits and timeouts: the peer transport and the auditor's digest call, against real
hostile servers on loopback (issue 13, item 4)."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from node.commands import audit as audit_command
from node.federation import CONTENT_TYPE
from node.federation.transport import HttpTransport
from protocol import Frontier, Hello, MessageError, TransportError

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
REPLY_BOMB = bytes.fromhex("9302dd00155cc0") + bytes.fromhex("81a090") * 1_400_000 + b"\x90"
"""A 4 MB frontier reply whose entries array claims 1.4 million items, each a map."""


async def _server(serve: Serve) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0)
    await reader.readexactly(length)


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await asyncio.sleep(30)


async def _dripping(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: 1000\r\n\r\n".encode())
    for _ in range(300):
        writer.write(b"\x00")
        await writer.drain()
        await asyncio.sleep(0.1)


async def _bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: {len(REPLY_BOMB)}\r\n\r\n".encode())
    writer.write(REPLY_BOMB)
    await writer.drain()
    writer.close()


@pytest.mark.parametrize("serve", [_silent, _dripping], ids=["silent", "dripping"])
async def test_a_peer_that_does_not_finish_its_reply_times_out(serve):
    server, url = await _server(serve)
    async with server, aiohttp.ClientSession() as session:
        transport = HttpTransport(session, "http://127.0.0.1:1", timeout=1.0)
        started = time.perf_counter()
        with pytest.raises(TransportError, match="no reply"):
            await transport.request(url, Hello(1, bytes(32)))
        assert time.perf_counter() - started < 3.0


async def test_a_reply_bomb_is_refused_at_its_framing_in_bounded_memory():
    server, url = await _server(_bomb)
    async with server, aiohttp.ClientSession() as session:
        transport = HttpTransport(session, "http://127.0.0.1:1", timeout=10.0)
        tracemalloc.start()
        try:
            with pytest.raises(MessageError, match="1400000 items"):
                await transport.request(url, Frontier(()))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # The reply is read within its limit (4.2 MB) and refused at its third header, not decoded whole (~700 MB).
    assert peak < 48 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


async def test_the_auditors_digest_call_times_out(monkeypatch):
    server, url = await _server(_silent)
    monkeypatch.setattr(audit_command, "FETCH_TIMEOUT", 1.0)  # (120 s in use)
    async with server, aiohttp.ClientSession() as session:
        started = time.perf_counter()
        with pytest.raises(TransportError, match="no reply"):
            await audit_command.advertised_digest(session, url)
        assert time.perf_counter() - started < 3.0
