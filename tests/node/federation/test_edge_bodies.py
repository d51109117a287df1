"""Peer bodies on a real node: framing refused as it arrives, cheaply; large bodies decoded off the loop (issue 13, item 1)."""

from __future__ import annotations

import asyncio
import os
import time
import tracemalloc

from node.federation import CONTENT_TYPE, routes
from protocol import ErrorReply, Frontier, FrontierEntry, decode_message, encode_message

from .test_malicious import key, post, stored_count

HOSTILE_PUSH = bytes.fromhex("9307dd00155cc0") + bytes.fromhex("81a090") * 1_400_000 + b"\x90"
"""The issue's 4 MB push: an events array claiming 1.4 million items, each a map {"": []}."""


async def test_a_push_claiming_a_million_events_is_refused_cheaply_and_changes_nothing(cluster):
    node = cluster.add()
    await cluster.start()
    before = await stored_count(node)
    tracemalloc.start()
    try:
        status, ctype, body = await post(node.url, "push", HOSTILE_PUSH, "127.0.0.41")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (status, ctype) == (400, CONTENT_TYPE)
    error = decode_message(body, ErrorReply)
    assert error.code == "bad_message" and "1400000 items, more than 1000" in error.message
    # Decoding it whole took ~720 MB; refusing it at its third header takes what was read (the whole process,
    # client included, is traced here).
    assert peak < 48 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert node.federation.book.health(key("127.0.0.41")).points == 3
    assert await stored_count(node) == before


async def test_a_bad_header_is_answered_before_the_rest_of_the_body_arrives(cluster):
    node = cluster.add()
    await cluster.start()
    port = int(node.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.42", 0))
    head = (
        f"POST /peer/v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {CONTENT_TYPE}\r\n"
        f"Content-Length: {len(HOSTILE_PUSH)}\r\n\r\n"
    )
    writer.write(head.encode() + HOSTILE_PUSH[:3000])  # then nothing more: the answer must not wait for the rest
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 400"), status_line


def _big_frontier(count: int) -> bytes:
    entries = [FrontierEntry(os.urandom(32), 1 + i % 100, os.urandom(32)) for i in range(count)]
    return encode_message(Frontier(tuple(entries)))


async def _max_loop_lag(node, body: bytes, sources: list[str]) -> float:
    """Return the longest the node's event loop went unanswered while `sources` each posted `body` as a frontier."""
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.002)
            lags.append(time.perf_counter() - t - 0.002)

    tick = asyncio.create_task(ticker())
    results = await asyncio.gather(*(post(node.url, "frontier", body, source) for source in sources))
    stop.set()
    await tick
    assert all(status == 200 for status, _, _ in results)
    return max(lags)


async def test_large_bodies_are_decoded_off_the_event_loop(cluster, monkeypatch):
    node = cluster.add()
    await cluster.start()
    body = _big_frontier(58_000)  # ~4.2 MB, within MAX_MESSAGE_SIZE
    offloaded = await _max_loop_lag(node, body, [f"127.0.0.{50 + i}" for i in range(4)])
    # The same four requests with every body decoded on the loop (as before the fix), on this machine now.
    monkeypatch.setattr(routes, "OFFLOAD_BYTES", 1 << 40)
    on_loop = await _max_loop_lag(node, body, [f"127.0.0.{60 + i}" for i in range(4)])
    print(f"longest loop stall: {offloaded * 1000:.0f} ms offloaded, {on_loop * 1000:.0f} ms decoding on the loop")
    assert offloaded < on_loop / 2
