"""Key rotation across nodes (docs/PROTOCOL.md §11, §11.1), agents on a MemoryNetwork: a rotated log replicates,
pulls after a rotation check signatures under the new key, old-key events after it are rejected everywhere, and a
group that rotates away from a stolen key supersedes the thief's branch on its peers."""

from __future__ import annotations

from proto_helpers import Cluster, line

from events import Identity
from tests.events.rotation_helpers import commitment, next_event, stolen_log


async def _log_ids(cluster: Cluster, i: int, author: bytes) -> list[bytes]:
    return [e.id for e in await cluster.replicas[i].read_log(author, 1, 100)]


def _penalties(cluster: Cluster) -> list:
    """Return every (node, sender, points) with misbehaviour points, peers and strangers alike."""
    return [
        (i, url, p.points)
        for i, a in enumerate(cluster.agents)
        for table in (a.book._peers, a.book._strangers)
        for url, p in table.items()
        if p.points
    ]


async def test_a_rotated_log_replicates_and_new_key_events_are_pulled_after_it():
    cluster = Cluster(4, line(4))
    k1, k2, _thief, group = stolen_log()
    await cluster.publish(0, group)
    await cluster.network.deliver_messages()
    for _ in range(3):
        await cluster.sync_round()
    for i in range(4):
        assert await _log_ids(cluster, i, k1.public_key) == [e.id for e in group], i
    # more events under the new key, stored quietly at node 0 (no push): anti-entropy pulls them, vouched by k2
    more = [next_event(k2, k1, group[-1], "campaign.created", {"title": "five"})]
    more.append(next_event(k2, k1, more[-1], "campaign.created", {"title": "six"}))
    await cluster.replicas[0].ingest(more)
    for _ in range(4):
        await cluster.sync_round()
    for i in range(4):
        assert await _log_ids(cluster, i, k1.public_key) == [e.id for e in group + more]
        assert (await cluster.replicas[i].signing_keys([k1.public_key])) == {k1.public_key: k2.public_key}
    # an old-key event after the rotation is rejected by every node, and the pusher pays for it
    forged = next_event(k1, k1, more[-1], "campaign.created", {"title": "thief"})
    for i in range(4):
        result = await cluster.replicas[i].ingest([forged])
        assert [r.code for r in result.rejected] == ["bad_signature"] and not result.stored
    assert not _penalties(cluster)


async def test_the_rotated_branch_supersedes_the_thiefs_on_every_peer():
    # node 0: the thief (old key), node 1 and 2: peers, node 3: the group after recovering with its kit
    cluster = Cluster(4, {0: {1}, 1: {0, 2}, 2: {1, 3}, 3: {2}})
    k1, _k2, thief, group = stolen_log()
    await cluster.publish(0, thief)  # commit, profile, thief 3, thief 4
    await cluster.network.deliver_messages()
    for _ in range(3):
        await cluster.sync_round()
    assert await _log_ids(cluster, 2, k1.public_key) == [e.id for e in thief]
    await cluster.replicas[3].ingest(thief[:2])  # what the group vouches for; then it rotates after seq 2
    await cluster.publish(3, group[2:])
    await cluster.network.deliver_messages()
    for _ in range(4):
        await cluster.sync_round()
    for i in (1, 2, 3):
        assert await _log_ids(cluster, i, k1.public_key) == [e.id for e in group], i
    assert [e.id for e in cluster.replicas[2].superseded] == [e.id for e in thief[2:]]
    # even the thief's own node (an honest replica) took the rotated branch; the thief goes on signing with the
    # old key on its branch, and on the rotated one: refused everywhere
    assert await _log_ids(cluster, 0, k1.public_key) == [e.id for e in group]
    late = next_event(k1, k1, thief[-1], "campaign.created", {"title": "thief 5"})
    after = next_event(k1, k1, group[-1], "campaign.created", {"title": "thief after the rotation"})
    await cluster.agents[0].publish([late, after])
    await cluster.network.deliver_messages()
    for _ in range(2):
        await cluster.sync_round()
    for i in range(4):
        assert await _log_ids(cluster, i, k1.public_key) == [e.id for e in group], i
    assert not await cluster.replicas[2].fork_proofs()
    assert {url for _i, url, _points in _penalties(cluster)} <= {cluster.addr(0)}  # honest relays cost nothing


async def test_a_rotation_to_an_uncommitted_key_is_refused_and_its_sender_penalised():
    cluster = Cluster(2, line(2))
    k1, _k2, _thief, group = stolen_log()
    await cluster.publish(0, group[:2])
    await cluster.network.deliver_messages()
    mallory = Identity.generate()
    forged = next_event(mallory, k1, group[1], "key.rotate", {"key": mallory.public_key, "next": commitment(b"x")})
    await cluster.agents[0].publish([forged])  # pushed as if node 0 had stored it
    await cluster.network.deliver_messages()
    assert await _log_ids(cluster, 1, k1.public_key) == [e.id for e in group[:2]]
    assert [(i, points) for i, _url, points in _penalties(cluster)] == [(1, 5)]
    result = await cluster.replicas[1].ingest([forged])
    assert [r.code for r in result.rejected] == ["bad_rotation"]


async def test_a_relay_pushing_only_the_event_after_a_rotation_is_followed_not_penalised():
    """The thief's node holds the old branch; a relay that holds the rotated one pushes only the event after the
    rotation (a [conflict] here, signed by a key we do not know yet): the node pulls, digs, follows the rotation,
    and the honest relay pays nothing (docs/PROTOCOL.md §11.1, §13.3)."""
    cluster = Cluster(2, line(2))
    k1, _k2, thief, group = stolen_log()
    await cluster.replicas[0].ingest(group[:3])  # the relay: commit, profile, rotation
    await cluster.replicas[1].ingest(thief)  # the thief's node: commit, profile, thief 3, thief 4
    await cluster.publish(0, group[3:])  # the event after the rotation, alone
    await cluster.network.deliver_messages()
    assert await _log_ids(cluster, 1, k1.public_key) == [e.id for e in group]
    assert not _penalties(cluster)


async def test_a_pushed_forgery_at_a_stored_seq_is_refused_and_charged_once_the_pull_explains_nothing():
    """The same push with no rotation behind it: the pull that follows finds nothing that explains it, so the
    pusher is charged as a forger then."""
    cluster = Cluster(2, line(2))
    k1, _k2, thief, _group = stolen_log()
    mallory = Identity.generate()
    await cluster.replicas[0].ingest(thief[:3])
    await cluster.replicas[1].ingest(thief)
    forged = next_event(mallory, k1, thief[2], "campaign.created", {"title": "forged 4"})
    await cluster.agents[0].publish([forged])  # pushed as if node 0 had stored it
    await cluster.network.deliver_messages()
    assert await _log_ids(cluster, 1, k1.public_key) == [e.id for e in thief]
    assert [(i, points) for i, _url, points in _penalties(cluster)] == [(1, 5)]  # FORGED_POINTS, after the dig


async def test_a_node_on_the_old_branch_follows_a_peer_whose_head_is_the_event_after_the_rotation():
    """Anti-entropy only (no push): both heads at the same seq, the peer's signed by the rotated key. The node's
    probe of that one event finds a conflict, digs below it, finds the rotation and follows."""
    cluster = Cluster(2, line(2))
    k1, _k2, thief, group = stolen_log()
    await cluster.replicas[0].ingest(group)
    await cluster.replicas[1].ingest(thief)
    for _ in range(3):
        await cluster.sync_round()
    assert await _log_ids(cluster, 1, k1.public_key) == [e.id for e in group]
    assert not _penalties(cluster)
