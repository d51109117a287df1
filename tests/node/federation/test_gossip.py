"""Gossip between real nodes over HTTP: relay along a line, convergence, outage, partition healing."""

from __future__ import annotations

import random
from dataclasses import replace

from .cluster import TcpRelay, random_connected

CALLOUT = {"title": "Bodies at the door, 7am", "text": "We need people.", "needs": ["people"], "urgency": "critical"}


async def test_callout_relays_along_a_line_by_push(cluster):
    for _ in range(5):
        cluster.add()
    for i in range(4):
        cluster.link(i, i + 1)
    await cluster.start()
    await cluster.wait_quiet()
    # From now on anti-entropy rounds are a minute apart: only pushes and announcements can carry the callout in time.
    for node in cluster.nodes:
        node.federation.config = replace(node.federation.config, interval=60.0)
        node.federation.wake()
    await cluster.wait_until(lambda: all(n.federation.counters.rounds >= 2 for n in cluster.nodes), what="last short round")
    await cluster.wait_quiet()
    event = await cluster.nodes[0].publish("callout.published", CALLOUT)
    last = cluster.nodes[4]
    await cluster.wait_until(lambda: cluster.has_event(last, event.id), timeout=10, what="callout at the end of the line")
    await cluster.wait_quiet()
    digests = {await n.service.digest() for n in cluster.nodes}
    assert len(digests) == 1
    callouts = await last.service.query(lambda v: [p.doc["title"] for p in v.scan("callouts")])
    assert callouts == [CALLOUT["title"]]


async def test_random_topology_converges_to_one_digest(cluster):
    rng = random.Random(7)
    size = 8
    for _ in range(size):
        cluster.add()
    for a, b in sorted(random_connected(size, 3, rng)):
        cluster.link(a, b)
    await cluster.start()
    published = []
    for i in rng.sample(range(size), 4):
        published.append(await cluster.nodes[i].publish("callout.published", {**CALLOUT, "title": f"callout from {i}"}))
    await cluster.wait_quiet(timeout=40)
    digests = [await n.service.digest() for n in cluster.nodes]
    assert len(set(digests)) == 1, digests
    heads = await cluster.nodes[0].heads()
    assert len(heads) == size  # every group's profile, everywhere
    for event in published:
        for node in cluster.nodes:
            assert await cluster.has_event(node, event.id)


async def test_node_offline_and_back_catches_up(cluster):
    for _ in range(3):
        cluster.add(peer_exchange=False)  # else A learns C's address and goes around B
    cluster.link(0, 1)
    cluster.link(1, 2)
    await cluster.start()
    await cluster.wait_quiet()
    b = cluster.nodes[1]
    await b.stop()
    event = await cluster.nodes[0].publish("callout.published", CALLOUT)
    # With B down, A's pushes fail: B's circuit is counted as failing, nothing reaches C.
    await cluster.wait_until(lambda: cluster.nodes[0].federation.book.health(b.url).failures >= 1, what="A notices B is down")
    assert not await cluster.has_event(cluster.nodes[2], event.id)
    await b.start()
    await cluster.wait_until(lambda: cluster.has_event(cluster.nodes[2], event.id), timeout=30, what="callout reaches C")
    await cluster.wait_quiet()
    a_book = cluster.nodes[0].federation.book
    await cluster.wait_until(lambda: a_book.health(b.url).state == "healthy", what="A's circuit to B closes again")


async def test_partition_heals(cluster):
    """Two triangles joined by one link that runs through TCP relays; the link is cut while every node keeps running."""
    for _ in range(6):
        cluster.add(peer_exchange=False)
    for a, b in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)]:
        cluster.link(a, b)
    bridge_a, bridge_b = cluster.nodes[2], cluster.nodes[3]
    to_a, to_b = TcpRelay(bridge_a.port), TcpRelay(bridge_b.port)
    await to_a.start()
    await to_b.start()
    try:
        # Each bridge node knows the other only by its relay, and names itself by its own relay, so the
        # hello call-back that confirms a claimed URL goes through the relays too: there is no other path.
        bridge_a.public_url, bridge_b.public_url = to_a.url, to_b.url
        bridge_a.peers.append(to_b.url)
        bridge_b.peers.append(to_a.url)
        await cluster.start()
        await cluster.wait_quiet()
        assert len({await n.service.digest() for n in cluster.nodes}) == 1
        left, right = cluster.nodes[:3], cluster.nodes[3:]

        to_a.cut()
        to_b.cut()
        a_event = await cluster.nodes[0].publish("callout.published", {**CALLOUT, "title": "left side"})
        b_event = await cluster.nodes[5].publish("callout.published", {**CALLOUT, "title": "right side"})
        await cluster.wait_until(lambda: all_have(cluster, left, a_event.id), timeout=20, what="left side spreads its callout")
        await cluster.wait_until(lambda: all_have(cluster, right, b_event.id), timeout=20, what="right side spreads its callout")
        await cluster.wait_quiet(left)
        await cluster.wait_quiet(right)
        for node in left:
            assert not await cluster.has_event(node, b_event.id)
        for node in right:
            assert not await cluster.has_event(node, a_event.id)
        left_digests = {await n.service.digest() for n in left}
        right_digests = {await n.service.digest() for n in right}
        assert len(left_digests) == 1 and len(right_digests) == 1 and left_digests != right_digests
        assert bridge_a.federation.book.health(to_b.url).failures >= 1  # the bridge saw the cut as failures

        to_a.heal()
        to_b.heal()
        await cluster.wait_quiet(timeout=40)
        for node in cluster.nodes:
            assert await cluster.has_event(node, a_event.id) and await cluster.has_event(node, b_event.id)
        assert len({await n.service.digest() for n in cluster.nodes}) == 1
        book = bridge_a.federation.book
        await cluster.wait_until(lambda: book.health(to_b.url).state == "healthy", what="the bridge is healthy again")
    finally:
        await cluster.stop()
        await to_a.close()
        await to_b.close()


async def all_have(cluster, nodes, event_id) -> bool:
    for node in nodes:
        if not await cluster.has_event(node, event_id):
            return False
    return True
