"""Peer bookkeeping (backoff, circuit breaker, bans, exchange) and the replication policy."""

from __future__ import annotations

import random

from proto_helpers import Cluster, identity, line, make_log

from protocol import PeerBook, PeerInfo, PeerList, ReplicationPolicy


def test_backoff_grows_with_jitter_and_the_circuit_opens_then_half_opens():
    book = PeerBook(base_delay=1.0, max_delay=60.0, open_after=3, rng=random.Random(1))
    book.add("http://p.test")
    delays = []
    now = 0.0
    for _ in range(8):
        book.record_failure("http://p.test", now)
        health = book.health("http://p.test")
        delays.append(health.next_attempt - now)
        assert not book.may_contact("http://p.test", now)
        now = health.next_attempt
        assert book.may_contact("http://p.test", now)  # half-open: one trial allowed
    assert health.state == "open" and health.failures == 8
    for n, delay in enumerate(delays, start=1):
        full = min(60.0, 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert len({round(d, 6) for d in delays[-3:]}) == 3  # jitter: capped delays still differ
    book.record_success("http://p.test", now)
    assert book.health("http://p.test").state == "healthy" and book.available(now) == ["http://p.test"]


def test_ban_and_its_expiry():
    book = PeerBook(ban_points=10, ban_seconds=100.0)
    book.add("http://p.test")
    assert not book.penalise("http://p.test", 5, "forged", 0.0)
    assert book.penalise("http://p.test", 5, "forged", 1.0)
    assert book.is_banned("http://p.test", 50.0) and book.available(50.0) == []
    assert not book.is_banned("http://p.test", 101.0)
    assert book.health("http://p.test").state == "healthy"


def test_peer_exchange_merges_dedupes_caps_and_skips_self():
    book = PeerBook(own_url="http://me.test", cap=3)
    added = book.merge(PeerList((*tuple(PeerInfo(f"http://p{i}.test") for i in range(5)), PeerInfo("http://me.test"))))
    assert added == 3 and len(book.urls()) == 3 and "http://me.test" not in book.urls()
    assert book.merge(PeerList((PeerInfo("http://p0.test", b"\x01" * 32),))) == 0
    assert book.health("http://p0.test").group == b"\x01" * 32
    for _ in range(5):
        book.record_failure("http://p1.test", 0.0)
    assert book.add("http://new.test") and "http://p1.test" not in book.urls()
    book.penalise("http://p2.test", 100, "bad", 0.0)
    assert "http://p2.test" not in [p.url for p in book.peer_list().peers]


def test_policy_default_follow_only_and_blocks():
    a, b, c, d = (bytes([n]) * 32 for n in range(1, 5))
    everyone = ReplicationPolicy.everyone(blocked=[d])
    assert everyone.replicates(a) and not everyone.replicates(d)
    follow = ReplicationPolicy.following([a], own=b, blocked=[d])
    assert follow.replicates(a) and follow.replicates(b) and not follow.replicates(c)
    second = ReplicationPolicy.following([a], second_degree=[c, d], blocked=[d])
    assert second.replicates(c) and not second.replicates(d)


async def test_blocked_author_is_never_stored_or_relayed():
    spam = identity(66)
    policies = {1: ReplicationPolicy.everyone(blocked=[spam.public_key])}
    cluster = Cluster(3, line(3), policies=policies)
    await cluster.publish(0, make_log(spam, 2))
    await cluster.network.deliver_messages()
    for _ in range(2):
        await cluster.sync_round()
    assert spam.public_key not in await cluster.replicas[1].heads()
    # Node 2 sits behind node 1 only, so it never hears of the blocked author.
    assert spam.public_key not in await cluster.replicas[2].heads()
    assert spam.public_key in await cluster.replicas[0].heads()


async def test_follow_only_node_replicates_just_the_followed():
    followed, other = identity(70), identity(71)
    cluster = Cluster(2, line(2), policies={1: ReplicationPolicy.following([followed.public_key])})
    await cluster.publish(0, make_log(followed, 2))
    await cluster.replicas[0].ingest(make_log(other, 2))
    await cluster.sync_round()
    assert set(await cluster.replicas[1].heads()) == {followed.public_key}


def test_penalising_a_stranger_does_not_make_it_a_peer():
    book = PeerBook(own_url="http://me.test", rng=random.Random(1))
    book.add("http://p1.test")
    assert not book.penalise("http://stranger.test", 5, "forged", 0.0)
    assert book.urls() == ["http://p1.test"] and book.available(0.0) == ["http://p1.test"]
    assert [p.url for p in book.peer_list().peers] == ["http://p1.test"]
    assert book.health("http://stranger.test").points == 5
    assert book.penalise("http://stranger.test", 5, "forged", 1.0) and book.is_banned("http://stranger.test", 2.0)
    assert book.urls() == ["http://p1.test"]
    # Added later as a peer (e.g. by peer exchange), it keeps its record: still banned, never contacted.
    book.add("http://stranger.test")
    assert book.health("http://stranger.test").state == "banned" and book.available(2.0) == ["http://p1.test"]
