"""MemoryReplica ingest rules and PullSession decisions, without a network."""

from __future__ import annotations

from proto_helpers import identity, make_log, resign_wrong, unsign

from events import verify_chain
from protocol import (
    EventBatch,
    Frontier,
    FrontierEntry,
    MemoryReplica,
    PullSession,
    ReplicationPolicy,
    compare_frontiers,
    serve_want,
)
from protocol.sync import frontier_of


async def test_ingest_stores_in_any_order_and_counts_duplicates():
    log = make_log(identity(1), 5)
    replica = MemoryReplica()
    result = await replica.ingest(list(reversed(log)))
    assert [e.seq for e in result.stored] == [1, 2, 3, 4, 5]
    again = await replica.ingest(log[2:])
    assert again.stored == () and again.duplicates == 3 and again.rejected == ()
    assert verify_chain(await replica.read_log(log[0].author, 1, 100), log[0].author).ok


async def test_unvouched_bad_signature_is_rejected_and_vouched_one_accepted():
    log = make_log(identity(1), 4)
    replica = MemoryReplica()
    alone = await replica.ingest([log[0], unsign(log[1])])
    assert [e.seq for e in alone.stored] == [1]
    assert [(r.seq, r.code) for r in alone.rejected] == [(2, "bad_signature")]
    vouched = await replica.ingest([unsign(log[1]), log[2]])
    assert [e.seq for e in vouched.stored] == [2, 3]


async def test_conflicting_signed_event_becomes_fork_proof_and_nothing_is_overwritten():
    author = identity(2)
    base = make_log(author, 3)
    branch_a = make_log(author, 2, start=base[-1], tag="a")
    branch_b = make_log(author, 2, start=base[-1], tag="b")
    replica = MemoryReplica()
    await replica.ingest(base + branch_a)
    result = await replica.ingest(branch_b)
    assert len(result.forks) == 1 and result.forks[0].seq == 4
    assert result.stored == ()
    assert [e.id for e in await replica.read_log(author.public_key, 4, 2)] == [e.id for e in branch_a]
    assert [p.author for p in await replica.fork_proofs()] == [author.public_key]


async def test_forged_conflict_is_no_fork_and_forger_is_visible():
    author = identity(2)
    log = make_log(author, 3)
    other = make_log(author, 1, start=log[0], tag="x")[0]
    replica = MemoryReplica()
    await replica.ingest(log)
    result = await replica.ingest([resign_wrong(other, identity(9))])
    assert result.forks == () and await replica.fork_proofs() == []
    assert [r.code for r in result.misbehaviour] == ["conflict"]


async def test_pull_session_batches_carry_and_resume():
    author = identity(3)
    log = make_log(author, 25)
    # Every event but the 10th and the last has a bad own signature: batches of 4 end inside unsigned runs.
    served_log = [e if e.seq in (10, 25) else unsign(e) for e in log]
    server = MemoryReplica()
    server._logs[author.public_key] = served_log  # a peer may hold vouched events; seed it as such a store would
    client = MemoryReplica()
    theirs = frontier_of(await server.heads())
    session = PullSession(await client.heads(), theirs, max_events=4)
    rounds = 0
    while (want := session.next_want()) is not None:
        rounds += 1
        ready = session.accept(await serve_want(server, want))
        if ready:
            session.settle(await client.ingest(ready))
    assert session.finish() == [] and session.violations == []
    assert rounds == 7
    assert [e.id for e in await client.read_log(author.public_key, 1, 100)] == [e.id for e in log]


async def test_cut_session_resumes_from_new_heads():
    author = identity(3)
    log = make_log(author, 12)
    server, client = MemoryReplica(), MemoryReplica()
    await server.ingest(log)
    theirs = frontier_of(await server.heads())
    first = PullSession(await client.heads(), theirs, max_events=5)
    want = first.next_want()
    first.settle(await client.ingest(first.accept(await serve_want(server, want))))
    # The connection is cut here; a new session starts from the replica's heads.
    second = PullSession(await client.heads(), theirs, max_events=5)
    assert second.next_want().wants[0].from_seq == 6
    while (want := second.next_want()) is not None:
        second.settle(await client.ingest(second.accept(await serve_want(server, want))))
    assert (await client.heads())[author.public_key].seq == 12


def test_compare_frontiers_plans_wants_probes_checks_and_lacks():
    a, b, c, d = (bytes([n]) * 32 for n in (1, 2, 3, 4))
    ours = Frontier((FrontierEntry(a, 5, b"\x0a" * 32), FrontierEntry(b, 3, b"\x0b" * 32), FrontierEntry(c, 9, b"\x0c" * 32)))
    theirs = Frontier(
        (
            FrontierEntry(a, 8, b"\x1a" * 32),
            FrontierEntry(b, 3, b"\x1b" * 32),
            FrontierEntry(c, 4, b"\x1c" * 32),
            FrontierEntry(d, 2, b"\x1d" * 32),
        ),
        forked=(d,),
    )
    diff = compare_frontiers(ours, theirs)
    assert [(w.author, w.from_seq, w.limit) for w in diff.wants] == [(a, 6, 3), (d, 1, 2)]
    assert [(p.author, p.from_seq) for p in diff.probes] == [(b, 3)]
    assert [e.author for e in diff.checks] == [c]
    assert [e.author for e in diff.peer_lacks] == [c]
    assert diff.forks_to_fetch == (d,)
    blocked = compare_frontiers(ours, theirs, ReplicationPolicy.everyone(blocked=[d, a]))
    assert [w.author for w in blocked.wants] == [] and blocked.forks_to_fetch == ()


async def test_session_flags_unrequested_events():
    author, stranger = identity(4), identity(5)
    log = make_log(author, 3)
    session = PullSession({}, Frontier((FrontierEntry(author.public_key, 3, log[-1].id),)))
    session.next_want()
    ready = session.accept(EventBatch((*log, make_log(stranger, 1)[0])))
    assert [e.seq for e in ready] == [1, 2, 3]
    assert len(session.violations) == 1 and "unrequested" in session.violations[0]
