"""Outbound-only nodes (docs/PROTOCOL.md §16): real nodes on loopback, one of them known to nobody by URL."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from protocol.subscription import Challenge, Subscribe, decode_frame, encode_frame, subscriber_address

from .cluster import Cluster, Node, TcpRelay

CALLOUT = {"title": "Bodies at the door, 7am", "text": "We need people.", "needs": ["people"], "urgency": "critical"}
SLOW = {"interval": 600.0}  # anti-entropy every ten minutes: only pushes (and the resume sync) can be seen


def group(node: Node) -> bytes:
    return node.data.load_identity().public_key


def outbound_only(cluster: Cluster, reachable: Node, name: str = "Home") -> Node:
    """Add a node that subscribes to `reachable` and claims no URL; `reachable` accepts it as a chosen peer."""
    home = cluster.add(name, reachable=False, subscribe=(reachable.url,), **SLOW)
    reachable.peers.append(subscriber_address(group(home)))
    return home


async def subscribed(cluster: Cluster, peer: Node, home: Node) -> None:
    address = subscriber_address(group(home))
    await cluster.wait_until(
        lambda: address in peer.federation.subscriptions.served and peer.url in home.federation.subscriptions.open,
        10,
        "subscription open",
    )
    await cluster.wait_quiet([peer, home], 10)  # the resume sync of both ends is over


async def arrives(cluster: Cluster, publisher: Node, receiver: Node) -> float:
    """Publish a callout at `publisher`; return the seconds until `receiver` stores it."""
    started = time.monotonic()
    event = await publisher.publish("callout.published", CALLOUT)
    await cluster.wait_until(lambda: cluster.has_event(receiver, event.id), 5, "callout arrived")
    return time.monotonic() - started


async def test_outbound_only_node_gets_and_gives_pushes_within_a_second(cluster: Cluster) -> None:
    peer = cluster.add("Reachable", **SLOW)
    home = outbound_only(cluster, peer)
    await cluster.start()
    await subscribed(cluster, peer, home)

    assert await arrives(cluster, peer, home) < 1.0
    assert await arrives(cluster, home, peer) < 1.0
    # Nobody learnt the home node's URL: the peer knows it only by its subscriber address.
    assert home.url not in peer.federation.book.urls()
    assert all(not url.startswith("http") for url in peer.federation.book.urls())


async def test_subscription_survives_a_restart_of_the_peer_and_resumes_from_the_heads(cluster: Cluster) -> None:
    peer = cluster.add("Reachable", **SLOW)
    home = outbound_only(cluster, peer)
    await cluster.start()
    await subscribed(cluster, peer, home)

    await peer.stop()
    missed = await home.publish("callout.published", {**CALLOUT, "title": "published while the peer was down"})
    await peer.start()
    await subscribed(cluster, peer, home)
    assert await cluster.has_event(peer, missed.id)  # the resume sync traded it, with anti-entropy 10 minutes away

    assert await arrives(cluster, peer, home) < 1.0
    assert await arrives(cluster, home, peer) < 1.0


async def test_subscribers_are_bounded(cluster: Cluster) -> None:
    peer = cluster.add("Reachable", max_subscribers=1, **SLOW)
    first = outbound_only(cluster, peer, "First")
    await cluster.start()
    await subscribed(cluster, peer, first)
    async with (
        aiohttp.ClientSession() as session,
        session.get(peer.url + "/peer/v1/subscribe", headers={"Upgrade": "websocket"}) as resp,
    ):
        assert resp.status == 503


async def test_a_forged_subscribe_is_refused(cluster: Cluster) -> None:
    peer = cluster.add("Reachable", **SLOW)
    victim = cluster.add("Victim", **SLOW)
    await cluster.start()
    async with aiohttp.ClientSession() as session, session.ws_connect(peer.url + "/peer/v1/subscribe") as ws:
        challenge = decode_frame((await ws.receive(timeout=5)).data)
        assert isinstance(challenge, Challenge) and challenge.group == group(peer)
        # Claims the victim's group, with a signature that is not the victim's.
        await ws.send_bytes(encode_frame(Subscribe(group(victim), group(victim), bytes(64))))
        closed = await ws.receive(timeout=5)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await asyncio.sleep(0.05)
    assert not peer.federation.subscriptions.served
    assert subscriber_address(group(victim)) not in peer.federation.book.urls()


async def test_a_cut_subscription_is_dialed_again_and_resumes(cluster: Cluster) -> None:
    """Through a TCP relay (the home router, or a proxy) that drops every connection and refuses new ones for a while."""
    peer = cluster.add("Reachable", **SLOW)
    relay = TcpRelay(peer.port)
    await relay.start()
    home = cluster.add("Home", reachable=False, subscribe=(relay.url,), **SLOW)
    peer.peers.append(subscriber_address(group(home)))
    try:
        await cluster.start()
        address = subscriber_address(group(home))
        await cluster.wait_until(lambda: address in peer.federation.subscriptions.served, 10, "subscribed")
        relay.cut()
        await cluster.wait_until(lambda: address not in peer.federation.subscriptions.served, 10, "socket gone")
        missed = await peer.publish("callout.published", {**CALLOUT, "title": "published while cut off"})
        await asyncio.sleep(1.0)  # a few failed dials: the delay grows
        assert not await cluster.has_event(home, missed.id)
        relay.heal()
        await cluster.wait_until(lambda: cluster.has_event(home, missed.id), 10, "resumed after the cut")
        await cluster.wait_quiet([peer, home], 10)
        assert await arrives(cluster, peer, home) < 1.0
    finally:
        await relay.close()
