"""Range-based reconciliation (protocol/reconcile.py): two random frontiers reconcile to exactly their
symmetric difference in a bounded number of round trips, every message within its limits, over the codec."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import ChainHead
from protocol import MessageError, decode_message, encode_message
from protocol.ranges import KeyRange, SortedHeads, item_id
from protocol.recon_messages import ITEMS, MAX_RECON_RANGES, SPLIT, RangeCheck, RangeResult, Reconcile, ReconcileReply
from protocol.reconcile import Reconciliation, answer_reconcile

keys = st.binary(min_size=32, max_size=32)


def heads(rng: random.Random, count: int, seq: int = 1) -> list[ChainHead]:
    return [ChainHead(rng.randbytes(32), seq, rng.randbytes(32), 0) for _ in range(count)]


async def reconcile(ours: SortedHeads, theirs: SortedHeads, **kw) -> tuple[object, int, int]:
    """Run a reconciliation of `ours` against `theirs` through encoded messages; return (outcome, bytes, biggest)."""
    sizes: list[int] = []

    async def send(request: Reconcile) -> ReconcileReply:
        data = encode_message(request)
        sizes.append(len(data))
        reply = encode_message(await answer_reconcile(theirs, decode_message(data, Reconcile), []))
        sizes.append(len(reply))
        return decode_message(reply, ReconcileReply)

    outcome = await Reconciliation(ours, lacks=True, **kw).run(send)
    return outcome, sum(sizes), max(sizes)


@st.composite
def frontier_pairs(draw):
    """Two frontiers sharing some entries: authors only one side has, authors both have at different heads."""
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    common = heads(rng, draw(st.integers(0, 400)))
    # a cluster of authors under one long prefix, as a key-grinding peer would make
    prefix = rng.randbytes(3)
    cluster = [ChainHead(prefix + rng.randbytes(29), 1, rng.randbytes(32), 0) for _ in range(draw(st.integers(0, 60)))]
    only_a = heads(rng, draw(st.integers(0, 80)))
    only_b = heads(rng, draw(st.integers(0, 80)))
    moved = [h for h in common if rng.random() < draw(st.floats(0, 0.3))]
    newer = [ChainHead(h.author, h.seq + 1, rng.randbytes(32), 0) for h in moved]
    split = draw(st.integers(0, len(cluster)))
    a = common + only_a + cluster[:split]
    b = [h for h in common if h not in moved] + newer + only_b + cluster
    return a, b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frontier_pairs())
def test_random_frontiers_reconcile_to_their_symmetric_difference(pair):
    a, b = pair
    outcome, _, biggest = asyncio.run(reconcile(SortedHeads(a), SortedHeads(b)))
    assert outcome.complete
    set_a = {(h.author, h.seq, h.id) for h in a}
    set_b = {(h.author, h.seq, h.id) for h in b}
    assert {(e.author, e.seq, e.head) for e in outcome.theirs} == set_b - set_a
    assert len(outcome.theirs) == len(set_b - set_a)  # each difference found once
    assert {(h.author, h.seq, h.id) for h in outcome.peer_lacks} == set_a - set_b
    ours = {h.author: h for h in a}
    assert outcome.ours == {e.author: ours[e.author] for e in outcome.theirs if e.author in ours}
    # Bounded: the trie has 64 nibble levels and each round trip descends at least one.
    assert outcome.rounds <= 2 + 64
    assert biggest < 1024 * 1024


ENTRY = 70  # bytes of one encoded [author, seq, head]


@pytest.mark.parametrize(("differences", "ratio"), [(0, 0), (1, 0), (100, 8), (2000, 3)])
async def test_cost_grows_with_the_differences_not_the_set(differences, ratio):
    """Bytes both ways: 1 difference in 20,000 within 4 KB and 4 round trips; dense differences within `ratio` x their entries."""
    rng = random.Random(differences)
    common = heads(rng, 20000)
    extra = heads(rng, differences)
    outcome, size, _ = await reconcile(SortedHeads(common), SortedHeads(common + extra))
    assert len(outcome.theirs) == differences and outcome.complete
    if differences == 0:
        assert size < 100 and outcome.rounds == 1
    elif differences == 1:
        assert size <= 4096 and outcome.rounds <= 4
    else:
        assert size <= ratio * differences * ENTRY


async def test_catch_up_from_empty_takes_every_entry_in_bounded_messages():
    rng = random.Random(5)
    theirs = heads(rng, 12000)
    outcome, _, biggest = await reconcile(SortedHeads(), SortedHeads(theirs))
    assert outcome.complete and {e.author for e in outcome.theirs} == {h.author for h in theirs}
    assert biggest < 1024 * 1024


async def test_bounds_end_an_incomplete_session():
    rng = random.Random(6)
    outcome, _, _ = await reconcile(SortedHeads(), SortedHeads(heads(rng, 5000)), max_rounds=2)
    assert not outcome.complete and outcome.rounds == 2


def test_range_children_bounds_and_membership():
    root = KeyRange.root()
    assert root.lo == bytes(32) and root.hi is None
    kids = root.children()
    assert [k.prefix for k in kids] == [bytes([i << 4]) for i in range(16)]
    assert kids[0].hi == kids[1].lo and kids[15].hi is None
    grand = kids[3].children()[5]
    assert grand == KeyRange(8, b"\x35") and grand.contains(b"\x35" + bytes(31)) and not grand.contains(b"\x36" + bytes(31))
    assert not KeyRange.valid(4, b"\x31") and not KeyRange.valid(3, b"\x30") and KeyRange.valid(256, bytes(32))
    assert KeyRange(256, bytes(32)).children() == []


async def test_a_reply_that_does_not_answer_the_request_is_malformed():
    rng = random.Random(7)
    ours = SortedHeads(heads(rng, 50))
    session = Reconciliation(ours)
    request = await session.next_request()
    assert request is not None and len(request.checks) == 1
    stranger = ChainHead(b"\xff" * 32, 1, H32, 0)
    outside = ReconcileReply((RangeResult(ITEMS, entries=()), RangeResult(ITEMS, entries=())))
    with pytest.raises(MessageError, match="results for 1 ranges"):
        await session.accept(outside)
    session = Reconciliation(ours)
    await session.next_request()
    await session.accept(ReconcileReply((RangeResult(SPLIT, tuple((1, bytes(16)) for _ in range(16))),)))
    request = await session.next_request()
    assert request is not None
    checks = request.checks
    assert all(isinstance(c, RangeCheck) for c in checks)
    wrong = [RangeResult(ITEMS, entries=(), missing=b"\xff" * ((len(c.ids or ()) + 7) // 8 + 1)) for c in checks]
    with pytest.raises(MessageError, match="missing bitmap"):
        await session.accept(ReconcileReply(tuple(wrong[:MAX_RECON_RANGES])))
    assert item_id(stranger) != item_id(ChainHead(b"\xff" * 32, 2, H32, 0))


H32 = bytes([0x11]) * 32


async def test_v2_nodes_reconcile_and_a_v1_only_node_still_syncs_with_them():
    """A line 0 - 1 - 2 where node 1 speaks only protocol 1: hellos agree on 1 with it and on 2 between the others."""
    from proto_helpers import Cluster, identity, line, make_log

    cluster = Cluster(3, line(3))
    cluster.agents[1].protocol_version = 1
    first, second = make_log(identity(1), 3), make_log(identity(2), 2)
    await cluster.replicas[0].ingest(first)  # stored without a push: only anti-entropy can carry them
    await cluster.replicas[2].ingest(second)
    for _ in range(3):
        await cluster.sync_round()
    for replica in cluster.replicas:
        heads = await replica.heads()
        assert heads[first[0].author].seq == 3 and heads[second[0].author].seq == 2
    assert cluster.agents[0].client.version(cluster.addr(1)) == 1
    assert cluster.agents[1].client.version(cluster.addr(0)) == 1
    assert cluster.agents[2].client.version(cluster.addr(1)) == 1
    for agent in cluster.agents:
        for url in agent.book.urls():
            assert agent.book.health(url).points == 0, (agent.transport.address, url)


async def test_two_v2_nodes_agree_on_version_2_and_pull_by_reconciliation():
    from proto_helpers import Cluster, identity, line, make_log

    cluster = Cluster(2, line(2))
    logs = [make_log(identity(10 + i), 2) for i in range(30)]
    for log in logs:
        await cluster.replicas[0].ingest(log)
    await cluster.sync_round()
    assert cluster.agents[1].client.version(cluster.addr(0)) == 2
    assert (await cluster.replicas[1].heads()) == (await cluster.replicas[0].heads())


async def test_a_frontier_too_large_for_protocol_1_is_refused_and_nobody_is_penalised(monkeypatch):
    """Past the frontier limit a node cannot speak protocol 1: it says so instead of sending an oversized message."""
    from proto_helpers import Cluster, identity, line, make_log

    import protocol.agent

    monkeypatch.setattr(protocol.agent, "MAX_FRONTIER_ENTRIES", 3)
    cluster = Cluster(2, line(2))
    cluster.agents[1].protocol_version = 1
    for i in range(4):
        await cluster.replicas[0].ingest(make_log(identity(20 + i), 1))
    report = await cluster.agents[0].sync_with(cluster.addr(1), greet=True)
    assert not report.complete and "too large for protocol 1" in report.error
    report = await cluster.agents[1].sync_with(cluster.addr(0), greet=True)
    assert not report.complete and "frontier_too_large" in report.error
    assert await cluster.replicas[1].heads() == {}
    for agent in cluster.agents:
        assert all(agent.book.health(url).points == 0 for url in agent.book.urls())


async def test_hello_versions_agree_on_the_smaller_and_unknown_ones_are_refused():
    from proto_helpers import Cluster, line

    from protocol import ErrorReply, Hello

    cluster = Cluster(2, line(2))
    v2, v1 = cluster.agents
    v1.protocol_version = 1
    group = bytes([7]) * 32
    assert (await v2.handle("remote:x", Hello(3, group))).version == 2  # a later peer: we agree on ours
    assert (await v2.handle("remote:x", Hello(1, group))).version == 1
    assert (await v1.handle("remote:x", Hello(1, group))).version == 1
    for agent, version in ((v2, 0), (v1, 2), (v1, 0)):
        reply = await agent.handle("remote:x", Hello(version, group))
        assert isinstance(reply, ErrorReply) and reply.code == "unsupported_protocol"


async def test_a_responder_does_not_list_authors_its_policy_excludes():
    from proto_helpers import identity, make_log

    from protocol import MemoryReplica
    from protocol.ranges import Fingerprint

    replica = MemoryReplica()
    kept, blocked = make_log(identity(30), 1), make_log(identity(31), 1)
    await replica.ingest(kept + blocked)
    empty = Fingerprint()
    request = Reconcile((RangeCheck(KeyRange.root(), 0, empty.digest),), None)
    reply = await answer_reconcile(replica, request, [], keep=lambda author: author != blocked[0].author)
    assert [e.author for e in reply.results[0].entries] == [kept[0].author]
