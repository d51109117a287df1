"""Forks found and spread as proofs, nothing overwritten; block and follow-only policies over real nodes."""

from __future__ import annotations

import aiohttp

from events import Identity, create_event, group_id_text
from events.kinds import build_payload

from .test_gossip import CALLOUT


def forked_log(seed: int) -> tuple:
    """Return an author's profile event and two different signed events at seq 2 (a fork)."""
    ident = Identity.from_seed(bytes([seed]) * 32)
    first = create_event(
        ident,
        kind="group.profile",
        payload=build_payload("group.profile", {"name": "Twofaced"}),
        timestamp=1_760_000_000_000,
        previous=None,
    )
    a = create_event(
        ident,
        kind="callout.published",
        payload=build_payload("callout.published", {**CALLOUT, "title": "A"}),
        timestamp=1_760_000_001_000,
        previous=first,
    )
    b = create_event(
        ident,
        kind="callout.published",
        payload=build_payload("callout.published", {**CALLOUT, "title": "B"}),
        timestamp=1_760_000_002_000,
        previous=first,
    )
    assert a.seq == b.seq == 2 and a.id != b.id
    return ident, first, a, b


async def test_forking_author_is_proven_everywhere_and_nothing_is_overwritten(cluster):
    for _ in range(4):
        cluster.add()
    for i in range(3):
        cluster.link(i, i + 1)
    await cluster.start()
    await cluster.wait_quiet()
    ident, first, a, b = forked_log(77)
    left, right = cluster.nodes[0], cluster.nodes[3]
    assert (await left.service.ingest([first, a])).stored
    assert (await right.service.ingest([first, b])).stored

    async def all_forked() -> bool:
        for node in cluster.nodes:
            if ident.public_key not in await node.service.astore.forked_authors():
                return False
        return True

    await cluster.wait_until(all_forked, timeout=30, what="every node holds a fork proof")
    await cluster.wait_quiet(timeout=30, same=False)
    # Each end keeps the branch it had; the middle nodes hold one branch each, whichever came first.
    assert (await left.service.astore.read_log(ident.public_key, 2, 1))[0].id == a.id
    assert (await right.service.astore.read_log(ident.public_key, 2, 1))[0].id == b.id
    for node in cluster.nodes:
        [proof] = await node.service.astore.fork_proofs(ident.public_key)
        assert {proof.id_a, proof.id_b} == {a.id, b.id}
        info = await node.service.info()
        assert group_id_text(ident.public_key) in info["forked_groups"]
    async with aiohttp.ClientSession() as session, session.get(f"{left.url}/api/v1/groups") as resp:
        groups = {g["group_id"]: g for g in (await resp.json())["groups"]}
    assert groups[group_id_text(ident.public_key)]["forked"] is True


async def test_blocked_group_is_neither_stored_nor_relayed(cluster):
    for _ in range(3):
        cluster.add(peer_exchange=False)
    cluster.link(0, 1)
    cluster.link(1, 2)
    await cluster.start()
    await cluster.wait_quiet()
    a, b, c = cluster.nodes
    await b.publish("graph.block", {"group": c.service.group_id})
    await cluster.wait_until(lambda: c.service.identity.public_key in b.federation.agent.policy.blocked, what="B's policy")
    event = await c.publish("callout.published", CALLOUT)
    # C pushes to B, B drops it; A can only hear of it through B, so it never arrives anywhere but C.
    for _ in range(3):
        for node in cluster.nodes:
            node.federation.wake()
        await cluster.wait_until(lambda: not any(n.federation.busy for n in cluster.nodes), what="rounds done")
    assert not await cluster.has_event(b, event.id)
    assert not await cluster.has_event(a, event.id)
    info = await b.service.info()
    assert info["replication"]["blocked_groups"] == [c.service.group_id]
    # B's frontier leaves C out, so A does not learn C's log from B either.
    assert c.service.identity.public_key not in {e.author for e in (await b.federation.agent.frontier()).entries}


async def test_follow_only_replicates_followed_groups(cluster):
    follower = cluster.add(follow_only=True)
    for _ in range(2):
        cluster.add()
    cluster.link(0, 1)
    cluster.link(0, 2)
    await cluster.start()
    followed, other = cluster.nodes[1], cluster.nodes[2]
    await follower.publish("graph.follow", {"group": followed.service.group_id})
    e1 = await followed.publish("callout.published", CALLOUT)
    e2 = await other.publish("callout.published", CALLOUT)
    await cluster.wait_until(lambda: cluster.has_event(follower, e1.id), what="followed group's callout")
    await cluster.wait_until(lambda: cluster.has_event(other, e1.id), what="the others still share among themselves")
    for _ in range(3):
        follower.federation.wake()
        await cluster.wait_until(lambda: not follower.federation.busy, what="round done")
    assert not await cluster.has_event(follower, e2.id)
