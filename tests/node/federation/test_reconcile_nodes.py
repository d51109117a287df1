"""Peer protocol 2 between real nodes on loopback: reconciliation carries what anti-entropy must, and a node that
speaks only protocol 1 still syncs with its neighbours (and nobody is penalised for the difference)."""

from __future__ import annotations

from events import Identity, create_event_from_value

T0 = 1_700_000_000_000


def logs(first: int, count: int, length: int = 2) -> list:
    """Return `length` signed events for each of `count` deterministic authors."""
    events = []
    for n in range(first, first + count):
        author, previous = Identity.from_seed(n.to_bytes(2, "big") * 16), None
        for seq in range(1, length + 1):
            previous = create_event_from_value(author, kind="note.test", value={"n": seq}, timestamp=T0 + seq, previous=previous)
            events.append(previous)
    return events


async def stored_quietly(node, events) -> None:
    """Store events in a node's store directly: no push, no announcement; only anti-entropy can carry them."""
    await node.service.astore.ingest(events)


def penalties(cluster) -> dict:
    return {
        (node.name, url): node.federation.book.health(url).points
        for node in cluster.nodes
        for url in node.federation.book.urls()
        if node.federation.book.health(url).points
    }


async def test_two_v2_nodes_sync_by_reconciliation(cluster):
    a, b = cluster.add(), cluster.add()
    cluster.link(0, 1)
    await cluster.start()
    await cluster.wait_quiet()
    await stored_quietly(a, logs(100, 40))
    await stored_quietly(b, logs(200, 25, length=1))
    await cluster.wait_quiet(timeout=30)
    heads = await a.heads()
    assert len(heads) == 2 + 40 + 25
    assert a.federation.agent.client.version(b.url) == 2 and b.federation.agent.client.version(a.url) == 2
    assert penalties(cluster) == {}


async def test_a_v1_only_node_in_a_line_still_carries_logs_both_ways(cluster):
    cluster.add()
    cluster.add(protocol_version=1)  # speaks as a node from before reconciliation
    cluster.add()
    cluster.link(0, 1)
    cluster.link(1, 2)
    for node in cluster.nodes:
        node.config = {**node.config, "peer_exchange": False}  # else the ends find each other and skip the middle
    await cluster.start()
    await cluster.wait_quiet()
    first, middle, last = cluster.nodes
    await stored_quietly(first, logs(300, 10))
    await stored_quietly(last, logs(400, 10))
    await cluster.wait_quiet(timeout=30)
    assert len(await middle.heads()) == 3 + 20 and await cluster.same_heads()
    assert first.federation.agent.client.version(middle.url) == 1
    assert last.federation.agent.client.version(middle.url) == 1
    assert middle.federation.agent.client.version(first.url) == 1
    assert penalties(cluster) == {}


async def test_malformed_and_oversized_reconcile_requests_get_clear_errors(cluster):
    import aiohttp

    from events.canonical import pack
    from node.federation.routes import BODY_LIMITS

    cluster.add()
    cluster.add(protocol_version=1)
    await cluster.start()
    v2, v1 = cluster.nodes
    before = await v2.heads()
    overlapping = pack([11, [[4, b"\x10", 0, bytes(16)], [8, b"\x1f", 0, bytes(16)]], None])
    valid = pack([11, [[0, b"", 0, bytes(16)]], None])
    headers = {"Content-Type": "application/x-solnet-msgpack"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{v2.url}/peer/v1/reconcile", data=overlapping, headers=headers) as resp:
            body = await resp.read()
            assert resp.status == 400 and b"bad_message" in body and b"ranges are not disjoint" in body
        async with http.post(f"{v2.url}/peer/v1/reconcile", data=bytes(BODY_LIMITS["reconcile"] + 1), headers=headers) as resp:
            assert resp.status == 413
        async with http.post(f"{v1.url}/peer/v1/reconcile", data=valid, headers=headers) as resp:
            assert resp.status == 400 and b"unsupported_protocol" in await resp.read()
        async with http.post(f"{v2.url}/peer/v1/reconcile", data=valid, headers=headers) as resp:
            assert resp.status == 200  # the root's fingerprint differs from an empty one: a split or the entries
    assert await v2.heads() == before


def test_the_largest_reconcile_messages_fit_their_http_limits_by_construction():
    """An honest node is never refused (or penalised) for a reconcile's size: the bounds make every message fit."""
    from node.federation.routes import BODY_LIMITS
    from node.federation.transport import REPLY_LIMITS
    from protocol import MAX_MESSAGE_SIZE, Reconcile, ReconcileReply, encode_message
    from protocol.message_types import FrontierEntry
    from protocol.ranges import KeyRange
    from protocol.recon_messages import (
        ITEMS,
        MAX_CHECK_IDS,
        MAX_RANGE_ITEMS,
        MAX_RECON_FORKED,
        MAX_RECON_RANGES,
        MAX_REPLY_ITEMS,
        MAX_REPLY_SPLITS,
        MAX_REQUEST_IDS,
        SAME,
        SPLIT,
        RangeCheck,
        RangeResult,
    )

    big, key = 2**63 - 1, bytes([0xEE]) * 32
    deep = [KeyRange(256, i.to_bytes(32, "big")) for i in range(MAX_RECON_RANGES)]  # longest prefixes
    with_ids = MAX_REQUEST_IDS // MAX_CHECK_IDS
    checks = [
        RangeCheck(r, MAX_CHECK_IDS, ids=tuple(j.to_bytes(8, "big") for j in range(MAX_CHECK_IDS))) for r in deep[:with_ids]
    ]
    checks += [RangeCheck(r, big, bytes(16)) for r in deep[with_ids:]]
    request = encode_message(Reconcile(tuple(checks), bytes(16)))
    assert len(request) <= BODY_LIMITS["reconcile"] < MAX_MESSAGE_SIZE
    items = [
        RangeResult(
            ITEMS, entries=tuple(FrontierEntry(i.to_bytes(32, "big"), big, key) for i in range(MAX_RANGE_ITEMS)), missing=bytes(8)
        )
        for _ in range(MAX_REPLY_ITEMS // MAX_RANGE_ITEMS)
    ]
    splits = [RangeResult(SPLIT, tuple((big, bytes(16)) for _ in range(16))) for _ in range(MAX_REPLY_SPLITS)]
    same = [RangeResult(SAME)] * (MAX_RECON_RANGES - len(items) - len(splits))
    forked = tuple(i.to_bytes(32, "big") for i in range(MAX_RECON_FORKED))
    reply = encode_message(ReconcileReply(tuple(items + splits + same), forked))
    assert len(reply) <= REPLY_LIMITS[Reconcile] < MAX_MESSAGE_SIZE
