"""GET/POST /api/v1/peers, peer health in GET /api/v1/node and in `solnet status` (via the health file)."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from node.cli import main as solnet


async def test_peers_api_add_and_health(cluster, capsys):
    a = cluster.add(peer_exchange=False)
    b = cluster.add(peer_exchange=False)
    await cluster.start()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{a.url}/api/v1/peers") as resp:
            assert resp.status == 200 and (await resp.json()) == {"peers": []}
        async with session.post(f"{a.url}/api/v1/peers", json={"url": b.url}) as resp:
            assert resp.status == 401
        auth = {"Authorization": f"Bearer {a.token}"}
        async with session.post(f"{a.url}/api/v1/peers", json={"url": "ftp://nope"}, headers=auth) as resp:
            assert resp.status == 400 and (await resp.json())["error"]["field"] == "url"
        async with session.post(f"{a.url}/api/v1/peers", json={"url": b.url + "/"}, headers=auth) as resp:
            assert resp.status == 201 and (await resp.json())["url"] == b.url
        assert a.data.settings().peers == (b.url,)  # saved for the next start
        # A chose B, so A takes B's group; B did not choose A (it only learnt it from A's greeting).
        await cluster.wait_until(lambda: cluster.has_group(a, b), what="B's group at A")
        await cluster.wait_quiet(same=False)
        async with session.get(f"{a.url}/api/v1/peers") as resp:
            [peer] = (await resp.json())["peers"]
        assert peer["state"] == "healthy" and peer["syncs"] >= 1 and peer["group_id"] == b.service.group_id
        async with session.get(f"{a.url}/api/v1/node") as resp:
            info = await resp.json()
    assert info["peers"][0]["url"] == b.url and info["peers_healthy"] == 1
    assert info["groups"] == 2  # B's profile arrived
    await b.stop()
    await cluster.wait_until(lambda: a.federation.book.health(b.url).failures >= 1, what="A notices B is gone")

    def file_shows_failure() -> bool:
        path = a.path / "peer-health.json"
        return path.exists() and json.loads(path.read_text())["peers"][0]["failures"] >= 1

    await cluster.wait_until(file_shows_failure, what="the health file shows B failing")
    await a.stop()
    capsys.readouterr()
    assert await asyncio.to_thread(solnet, ["status", "--json", "--data", str(a.path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["peer_health"]["peers"][0]["url"] == b.url
    assert shown["peer_health"]["peers"][0]["state"] in ("backoff", "open")
