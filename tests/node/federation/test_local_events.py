"""What the node pushes: its own and other processes' new events at once; peers' events only by the agent's relay."""

from __future__ import annotations

from dataclasses import replace

from events.kinds import build_payload
from node.store import open_store

CALLOUT = {"title": "Bodies at the door, 7am", "text": "We need people.", "needs": ["people"], "urgency": "critical"}


async def _slow_rounds(cluster) -> None:
    """Space anti-entropy rounds a minute apart, so only pushes can carry an event in time."""
    for node in cluster.nodes:
        node.federation.config = replace(node.federation.config, interval=60.0)
        node.federation.wake()
    await cluster.wait_until(lambda: all(n.federation.counters.rounds >= 2 for n in cluster.nodes), what="last short round")
    await cluster.wait_quiet()


async def test_published_and_externally_stored_events_are_pushed_and_peers_events_are_not_pushed_back(cluster):
    a, b = cluster.add(), cluster.add()
    cluster.link(0, 1)
    await cluster.start()
    await cluster.wait_quiet()
    await _slow_rounds(cluster)
    pushes_a, pushes_b = a.federation.counters.pushes_sent, b.federation.counters.pushes_sent

    event = await a.publish("callout.published", CALLOUT)
    await cluster.wait_until(lambda: cluster.has_event(b, event.id), timeout=10, what="A's callout pushed to B")
    await cluster.wait_quiet()
    assert a.federation.counters.pushes_sent == pushes_a + 1
    assert b.federation.counters.pushes_sent == pushes_b  # B got it from a peer: the agent relays, the listener does not push

    # Another process (the CLI's `solnet publish` while B serves) stores an event: B's watcher finds it and pushes it.
    other = open_store(b.path)
    try:
        payload = build_payload("report.published", {"title": "From the CLI", "text": "t"})
        external = other.append_own(b.service.identity, "report.published", payload, 1_770_000_000_000)
    finally:
        other.close()
    await cluster.wait_until(lambda: cluster.has_event(a, external.id), timeout=10, what="B's CLI event pushed to A")
    await cluster.wait_quiet()
    assert b.federation.counters.pushes_sent == pushes_b + 1
    assert a.federation.counters.pushes_sent == pushes_a + 1
