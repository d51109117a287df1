"""Issue 14, items 1 and 2: a group that restores a backup never forks its own log (real nodes over loopback).

A publishes seq 1-20, which B holds; A's data dir is then replaced by a backup taken at about seq 10, and A
publishes again. Whatever B's state at A's restart, A must continue at seq 21 and nobody may hold a fork proof.
"""

from __future__ import annotations

import asyncio
import os
import stat

import aiohttp
import pytest

from node.backup import backup_data_dir
from node.cli import main as solnet
from node.datadir import DataDir
from node.errors import OwnHeadUnconfirmedError, SeqHeldByPeerError

from .cluster import Cluster, Node

CALLOUT = {"title": "Bodies at the door", "text": "We need people.", "needs": ["people"]}


async def own_seq(node: Node, of: Node) -> int:
    """Return the seq of `of`'s log that `node` holds."""
    assert node.service is not None and of.service is not None
    head = await node.service.astore.head(of.service.identity.public_key)
    return head.seq if head is not None else 0


async def no_forks(*nodes: Node) -> None:
    for node in nodes:
        assert node.service is not None
        assert await node.service.astore.fork_proofs() == [], f"{node.name} holds a fork proof"


async def publish_api(node: Node, title: str) -> tuple[int, dict]:
    """Publish a callout through the node's JSON API, as a script would; return status and body."""
    async with aiohttp.ClientSession() as session:
        resp = await session.post(
            node.url + "/api/v1/events",
            json={"kind": "callout.published", "payload": {**CALLOUT, "title": title}},
            headers={"Authorization": f"Bearer {node.token}"},
        )
        return resp.status, await resp.json()


async def published_then_restored(cluster: Cluster, tmp_path, *, b_running: bool) -> tuple[Node, Node]:
    """A publishes to seq 20 (B holds it all), backed up at seq 10; A's data dir is then the backup, A stopped."""
    a, b = cluster.add("A"), cluster.add("B")
    cluster.link(0, 1)
    await cluster.start()
    for i in range(9):  # the profile is seq 1
        await a.publish("callout.published", {**CALLOUT, "title": f"call {i + 2}"})
    backup = tmp_path / "last-week"
    await asyncio.to_thread(backup_data_dir, a.data, backup)  # while A serves
    for i in range(10):
        await a.publish("callout.published", {**CALLOUT, "title": f"call {i + 11}"})
    await cluster.wait_quiet()
    assert await own_seq(b, a) == 20
    await a.stop()
    if not b_running:
        await b.stop()
    a.data, a.path = DataDir.at(backup), backup  # the disk died; last week's backup is the data dir now
    a.only_copy = False  # as `solnet serve` starts
    return a, b


async def test_restored_node_with_its_peer_reachable_continues_at_21(cluster, tmp_path):
    a, b = await published_then_restored(cluster, tmp_path, b_running=True)
    await a.start()
    assert a.service is not None
    assert await own_seq(a, a) == 10 or a.service.own_head.confirmed  # the first round may already have run
    await cluster.wait_until(lambda: a.service.own_head.confirmed, what="a peer confirms A's own head")
    assert a.service.own_head.confirmed_by == b.url
    assert await own_seq(a, a) == 20  # caught up on its own log before publishing
    status, body = await publish_api(a, "after the restore")
    assert status == 201, body
    assert (await a.publish("callout.published", CALLOUT)).seq == 22
    await cluster.wait_quiet()
    assert await own_seq(b, a) == 22
    await no_forks(a, b)


async def test_restored_node_waits_while_its_peer_is_down(cluster, tmp_path):
    a, b = await published_then_restored(cluster, tmp_path, b_running=False)
    await a.start()
    assert a.service is not None
    await cluster.wait_until(lambda: b.url in a.service.own_head.asked, what="A asked B, which is down")
    with pytest.raises(OwnHeadUnconfirmedError):
        await a.publish("callout.published", CALLOUT)
    status, body = await publish_api(a, "while B is down")
    assert status == 503 and body["error"]["code"] == "own_head_unconfirmed", body
    assert "--i-am-the-only-copy" in body["error"]["message"]
    info = await a.service.info()
    assert info["own_head"]["confirmed"] is False
    assert await own_seq(a, a) == 10  # nothing was signed
    await b.start()
    await cluster.wait_until(lambda: a.service.own_head.confirmed, timeout=40, what="A confirmed once B is back")
    assert await own_seq(a, a) == 20
    status, body = await publish_api(a, "once B answered")
    assert status == 201, body
    await cluster.wait_quiet()
    assert await own_seq(b, a) == 21
    await no_forks(a, b)


async def test_a_seq_a_peer_holds_is_never_reused_even_as_the_only_copy(cluster, tmp_path):
    a, b = await published_then_restored(cluster, tmp_path, b_running=False)
    a.only_copy = True  # the operator says so, wrongly
    await a.start()
    assert a.service is not None and b.service is not None
    # What B's frontier says about A's log (B answered a sync, or called A with its frontier) is known to A.
    a.federation.agent.gossip.learn(b.url, a.service.identity.public_key, 20)
    with pytest.raises(SeqHeldByPeerError, match="seq 11"):
        await a.publish("callout.published", CALLOUT)
    status, body = await publish_api(a, "over B's copy")
    assert status == 409 and body["error"]["code"] == "seq_held_by_peer", body
    assert await own_seq(a, a) == 10
    await b.start()
    await cluster.wait_until(lambda: own_seq(a, a), what="A pulls its own events from B")
    await cluster.wait_until(lambda: _is(own_seq(a, a), 20), what="A caught up to 20")
    status, body = await publish_api(a, "after catching up")
    assert status == 201, body
    await cluster.wait_quiet()
    await no_forks(a, b)


async def _is(value, expected) -> bool:
    return await value == expected


async def test_backup_while_serving_and_publishing_restores_and_continues(cluster, tmp_path):
    a, b = cluster.add("A"), cluster.add("B")
    cluster.link(0, 1)
    await cluster.start()
    dest = tmp_path / "copy"

    async def keep_publishing() -> None:
        for i in range(30):
            await a.publish("callout.published", {**CALLOUT, "title": f"during the backup {i}"})

    publishing = asyncio.create_task(keep_publishing())
    await asyncio.sleep(0.05)
    code = await asyncio.to_thread(solnet, ["backup", str(dest), "--data", str(a.path)])
    await publishing
    assert code == 0
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    for name in os.listdir(dest):
        assert stat.S_IMODE(os.stat(dest / name).st_mode) == 0o600, name
    await cluster.wait_quiet()
    assert await own_seq(b, a) == 31
    await a.stop()

    a.data, a.path, a.only_copy = DataDir.at(dest), dest, False  # restored on a fresh data dir
    await a.start()
    assert a.service is not None
    copied = await own_seq(a, a)
    assert 1 <= copied <= 31  # a consistent prefix: the store opened and its own log verifies up to its head
    await cluster.wait_until(lambda: a.service.own_head.confirmed, what="B confirms the restored A")
    assert await own_seq(a, a) == 31
    assert (await a.publish("callout.published", CALLOUT)).seq == 32
    await cluster.wait_quiet()
    await no_forks(a, b)
