"""GET/POST /api/v1/peers, peer health in GET /api/v1/node and in `solnet status` (via the health file)."""

from __future__ import annotations

import asyncio
import ipaddress
import json

import aiohttp
import pytest

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


async def test_adding_a_peer_to_a_full_book_works_and_evicts_a_learnt_one(cluster):
    a = cluster.add(peer_exchange=False)
    b = cluster.add(peer_exchange=False)
    await cluster.start()
    book = a.federation.book
    for i in range(book.cap):  # learnt peers (as peer exchange would add them) fill the book
        assert book.add(f"http://learnt{i}.example.org")
    async with aiohttp.ClientSession() as session:
        auth = {"Authorization": f"Bearer {a.token}"}
        async with session.post(f"{a.url}/api/v1/peers", json={"url": b.url}, headers=auth) as resp:
            shown = await resp.json()
            assert resp.status == 201 and shown["url"] == b.url and shown["chosen"] is True
    assert len(book.urls()) == book.cap and book.is_chosen(b.url)
    try:
        await cluster.wait_until(lambda: cluster.has_group(a, b), what="the operator's peer used at once")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; A's view of B: {a.federation.peer_json(b.url)}") from exc


async def test_learnt_host_names_resolving_to_private_addresses_are_not_contacted():
    import socket

    from node.federation.guard import GuardedResolver

    resolver = GuardedResolver()
    for sneaky in ("localhost", "2130706433", "0x7f.1", "127.1"):  # names getaddrinfo turns into 127.0.0.1
        with pytest.raises(OSError):
            await resolver.resolve(sneaky, 80)
    allowed = await GuardedResolver(allow_private=True).resolve("localhost", 80)
    assert allowed and all(r["host"] in ("127.0.0.1", "::1") for r in allowed)
    name = socket.gethostname()
    infos = await asyncio.get_running_loop().getaddrinfo(name, 80)
    if any(ipaddress.ip_address(i[4][0]).is_global for i in infos):
        pytest.skip(f"{name} resolves to a public address here")
    with pytest.raises(OSError):
        await resolver.resolve(name, 80)  # a name that passes the syntax check still cannot reach a private address


async def test_solnet_quarantine_lists_and_accepts_through_the_running_node(cluster, capsys, monkeypatch):
    from protocol import Push, encode_message

    from .test_attacks import one_event_groups
    from .test_malicious import post

    a = cluster.add()
    await cluster.start()
    offered = one_event_groups(3, salt="cli")
    await post(a.url, "push", encode_message(Push(tuple(offered))), "127.0.0.31")
    monkeypatch.setenv("SOLNET_TOKEN", a.token)
    capsys.readouterr()
    assert await asyncio.to_thread(solnet, ["quarantine", "list", "--url", a.url, "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert page["mode"] == "trusted" and page["quarantine"][0]["origin"] == "remote:127.0.0.31"
    assert len(page["quarantine"][0]["groups"]) == 3
    assert await asyncio.to_thread(solnet, ["quarantine", "accept", "remote:127.0.0.31", "--url", a.url]) == 0
    assert "accepted 3 groups from remote:127.0.0.31" in capsys.readouterr().out
    for event in offered:
        assert await a.service.astore.head(event.author) is not None
    monkeypatch.setenv("SOLNET_TOKEN", "wrong")
    assert await asyncio.to_thread(solnet, ["quarantine", "list", "--url", a.url]) != 0
    assert "HTTP 401" in capsys.readouterr().err
