"""Origin confirmation (`Claims`), want serving (`serve_want` / `want_records`) and peer statistics, without HTTP."""

from __future__ import annotations

from proto_helpers import identity, make_log

from events.event import encode_record
from protocol import (
    Claims,
    MemoryNetwork,
    MemoryReplica,
    Origin,
    PeerBook,
    ReplicationPolicy,
    SyncAgent,
    SyncReport,
    SyncStats,
    Want,
    WantItem,
    serve_want,
    want_records,
)

A, B = "http://a.test", "http://b.test"


def two_agents():
    network = MemoryNetwork()
    agents = [
        SyncAgent(network.transport(url), MemoryReplica(), identity(n).public_key, on_error=network.failures.append)
        for n, url in ((1, A), (2, B))
    ]
    return network, agents


async def test_a_claim_counts_once_a_call_back_got_the_greeting_group():
    network, (a, b) = two_agents()
    claims = Claims(a.transport, a.book, a.hello_message)
    assert claims.origin("remote:1", None) == (Origin("remote:1"), None)
    origin, callback = claims.origin("remote:1", B, b.group)
    assert origin.url is None and callback is not None
    assert claims.origin("remote:1", B, b.group)[1] is None  # one call-back per claim at a time
    assert await claims.confirm(callback)
    assert claims.origin("remote:1", B, b.group) == (Origin("remote:1", B), None)
    assert a.book.health(B).group == b.group  # a node that greets us becomes a peer
    # Another remote address claiming B's URL is not trusted on B's account, and a wrong group never confirms.
    origin, callback = claims.origin("remote:2", B, bytes(32))
    assert origin.url is None and callback is not None and not await claims.confirm(callback)
    assert claims.origin("remote:2", B)[0].url is None
    await network.deliver_messages()


async def test_a_claim_of_our_own_url_or_of_nobody_is_never_confirmed_and_call_backs_are_capped():
    network, (a, _b) = two_agents()
    claims = Claims(a.transport, a.book, a.hello_message, pending=1)
    _, own = claims.origin("remote:1", A, a.group)
    assert own is not None and claims.origin("remote:2", "http://c.test")[1] is None  # the cap: one under way
    assert not await claims.confirm(own)
    _, nobody = claims.origin("remote:2", "http://c.test")
    assert nobody is not None and not await claims.confirm(nobody)
    assert a.book.urls() == []
    await network.deliver_messages()


async def test_want_records_choose_what_serve_want_chooses():
    replica = MemoryReplica()
    logs = [make_log(identity(10 + n), 6) for n in range(3)]
    for log in logs:
        await replica.ingest(log)

    async def read_records(author: bytes, from_seq: int, limit: int) -> list[bytes]:
        return [encode_record(e) for e in await replica.read_log(author, from_seq, limit)]

    size = len(encode_record(logs[0][0]))
    items = tuple(sorted((WantItem(log[0].author, 2, 4) for log in logs), key=lambda i: i.author))
    blocked = ReplicationPolicy.everyone(blocked=[items[1].author])
    for want, policy in (
        (Want(items, 1000, 10_000_000), None),
        (Want(items, 5, 10_000_000), None),
        (Want(items, 1000, size * 3 + 1), None),
        (Want(items, 1000, 1), None),  # a record over the byte bound still gets through alone
        (Want(items, 1000, 10_000_000), blocked),
    ):
        batch = await serve_want(replica, want, policy, max_events=7)
        records = await want_records(read_records, want, policy, max_events=7)
        assert records == [encode_record(e) for e in batch.events] and records
    assert [len(await want_records(read_records, w)) for w in (Want(items, 5, 10_000_000), Want(items, 1000, 1))] == [5, 1]


def test_sync_stats_count_per_peer_and_in_total():
    stats = SyncStats()
    book = PeerBook()
    book.add(A)
    stats.record_sync(SyncReport(A, True, stored=4), wall=100.0)
    stats.record_sync(SyncReport(A, False, stored=1, error="no reply"), wall=110.0)
    for n in range(25):
        stats.record_error(RuntimeError(f"failure {n}"))
    peer = stats.peer_json(book, A, now=0.0, wall=112.0)
    assert (peer["syncs"], peer["events_received"], peer["seconds_since_sync"]) == (2, 5, 2.0)
    assert peer["last_sync_error"] == "no reply"
    status = stats.status_json(book, ReplicationPolicy(), own_url=B, sent=1, received=2, now=0.0, wall=112.0)
    assert status["peers"] == [peer] and status["peers_healthy"] == 1
    assert status["sync"]["events_received"] == 5 and status["sync"]["errors"][-1] == "RuntimeError: failure 24"
    assert len(stats.counters.errors) == 20
