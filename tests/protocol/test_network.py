"""Many agents in one process on a MemoryNetwork: relay, convergence, outages, partitions, forks."""

from __future__ import annotations

import statistics

import pytest
from proto_helpers import Cluster, identity, line, make_log, random_topology

from protocol import MemoryNetwork, MemoryReplica, Push, SyncAgent


async def converge(cluster: Cluster, rounds: int = 6) -> int:
    """Run sync rounds until every frontier is the same; return how many rounds it took."""
    for n in range(1, rounds + 1):
        await cluster.sync_round()
        frontiers = await cluster.frontiers()
        if all(f == frontiers[0] for f in frontiers):
            return n
    raise AssertionError("frontiers did not converge")


async def test_push_relays_along_a_line_of_five():
    cluster = Cluster(5, line(5))
    callout = make_log(cluster.identities[0], 1)
    await cluster.publish(0, callout)
    await cluster.network.deliver_messages()
    for replica in cluster.replicas:
        assert [e.id for e in await replica.read_log(callout[0].author, 1, 10)] == [callout[0].id]
    copies = cluster.network.event_copies(callout[0].id)
    assert all(copies[cluster.addr(i)] == 1 for i in range(1, 5)), copies


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_one_callout_reaches_sixteen_nodes_with_few_copies(seed):
    cluster = Cluster(16, random_topology(16, 4, seed), seed=seed)
    origin = seed % 16
    callout = make_log(cluster.identities[origin], 1)
    await cluster.publish(origin, callout)
    await cluster.network.deliver_messages()
    reached = [i for i in range(16) if (await cluster.replicas[i].heads()).get(callout[0].author)]
    copies = cluster.network.event_copies(callout[0].id)
    per_node = [copies[cluster.addr(i)] for i in range(16) if i != origin]
    print(f"seed {seed}: push reached {len(reached)}/16, copies mean {statistics.mean(per_node):.2f} max {max(per_node)}")
    assert len(reached) == 16
    assert statistics.mean(per_node) <= 2
    assert max(per_node) <= 3


async def test_sixteen_nodes_converge_on_a_random_topology():
    cluster = Cluster(16, random_topology(16, 4, 7), seed=7)
    for i in range(0, 16, 3):
        await cluster.publish(i, make_log(cluster.identities[i], 5))
    await cluster.network.deliver_messages()
    # Events published while nobody relays (announce off, no push) still arrive by anti-entropy.
    quiet = make_log(
        cluster.identities[1], 3, start=(await cluster.replicas[1].read_log(cluster.identities[1].public_key, 1, 1) or [None])[-1]
    )
    await cluster.replicas[1].ingest(quiet)
    await converge(cluster)
    frontier = (await cluster.frontiers())[0]
    assert len(frontier.entries) == 7 and sum(e.seq for e in frontier.entries) == 6 * 5 + 3


async def test_node_offline_then_back_catches_up_and_peers_back_off():
    cluster = Cluster(4, {0: {1, 2, 3}, 1: {0, 2, 3}, 2: {0, 1, 3}, 3: {0, 1, 2}})
    cluster.network.set_online(cluster.addr(3), False)
    log = make_log(cluster.identities[0], 6)
    await cluster.publish(0, log)
    await cluster.network.deliver_messages()
    assert await cluster.replicas[3].heads() == {}
    report = await cluster.agents[0].sync_with(cluster.addr(3))
    assert not report.complete
    health = cluster.agents[0].book.health(cluster.addr(3))
    assert health.failures >= 1 and health.state in ("backoff", "open") and health.next_attempt > cluster.clock_now
    assert cluster.addr(3) not in cluster.agents[0].book.available(cluster.clock_now)
    cluster.network.set_online(cluster.addr(3), True)
    cluster.clock_now += 10_000
    await converge(cluster)
    assert (await cluster.replicas[3].heads())[log[0].author].seq == 6
    assert cluster.agents[0].book.health(cluster.addr(3)).state == "healthy"


async def test_partition_heals():
    cluster = Cluster(6, random_topology(6, 3, 5), seed=5)
    left, right = [0, 1, 2], [3, 4, 5]
    cluster.network.partition([cluster.addr(i) for i in left], [cluster.addr(i) for i in right])
    await cluster.publish(0, make_log(cluster.identities[0], 3))
    await cluster.publish(5, make_log(cluster.identities[5], 4))
    await cluster.sync_round()
    authors = [set(await r.heads()) for r in cluster.replicas]
    assert all(cluster.identities[5].public_key not in authors[i] for i in left)
    assert all(cluster.identities[0].public_key not in authors[i] for i in right)
    cluster.network.heal()
    cluster.clock_now += 10_000
    await converge(cluster)
    assert len((await cluster.frontiers())[0].entries) == 2


async def test_forking_author_is_proven_and_gossiped_and_nothing_overwritten():
    cluster = Cluster(8, random_topology(8, 3, 11), seed=11)
    forker = identity(42)
    base = make_log(forker, 3)
    branch_a = make_log(forker, 2, start=base[-1], tag="a")
    branch_b = make_log(forker, 2, start=base[-1], tag="b")
    cluster.network.partition([cluster.addr(7)], [cluster.addr(i) for i in range(7)])
    await cluster.publish(0, base + branch_a)
    await cluster.publish(7, base + branch_b)  # the author's second device wrote to node 7
    await cluster.network.deliver_messages()
    cluster.network.heal()
    cluster.clock_now += 10_000
    for _ in range(6):
        await cluster.sync_round()
        if all([await r.fork_proofs() for r in cluster.replicas]):
            break
    for i, replica in enumerate(cluster.replicas):
        assert [p.author for p in await replica.fork_proofs()] == [forker.public_key], i
        stored = await replica.read_log(forker.public_key, 1, 10)
        assert [e.id for e in stored] == [e.id for e in base + (branch_b if i == 7 else branch_a)], i


async def test_handler_exception_propagates_to_the_test():
    class Broken(MemoryReplica):
        async def ingest(self, events):
            raise RuntimeError("bug in the store")

    network = MemoryNetwork()
    good = SyncAgent(
        network.transport("http://a.test"), MemoryReplica(), identity(1).public_key, on_error=network.failures.append
    )
    SyncAgent(network.transport("http://b.test"), Broken(), identity(2).public_key, on_error=network.failures.append)
    with pytest.raises(RuntimeError, match="bug in the store"):
        await good.transport.request("http://b.test", Push(tuple(make_log(identity(1), 1))))
    with pytest.raises(RuntimeError, match="bug in the store"):
        network.failures.append(RuntimeError("bug in the store"))
        await network.deliver_messages()
