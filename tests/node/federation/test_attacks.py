"""The five attacks of issue 12, on real nodes over loopback: each now fails to do harm.

The node under attack runs with `allow_private_peers=False` (the default outside tests) wherever the attack
names a loopback address; a `Recorder` is a loopback listener that records every connection it gets, so
"no request to an unchosen address" is checked where it would land.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

import aiohttp
import pytest
from aiohttp import web

from events import Identity, create_event_from_value
from node.notices import Source
from protocol import Ack, ErrorReply, Hello, PeerInfo, PeerList, Push, TooLargeError, decode_message, encode_message

from .test_gossip import CALLOUT
from .test_malicious import key, post


def one_event_groups(count: int, salt: str = "flood") -> list:
    """Return `count` one-event logs of fresh groups (keys are free)."""
    events = []
    for i in range(count):
        ident = Identity.from_seed(hashlib.sha256(f"{salt}{i}".encode()).digest())
        events.append(create_event_from_value(ident, kind="callout", value={"n": i}, timestamp=1_700_000_000_000, previous=None))
    return events


class Recorder:
    """A loopback TCP listener that records each connection's first bytes; `tarpit` holds them open without a word."""

    def __init__(self, *, tarpit: bool = False):
        self.tarpit = tarpit
        self.seen: list[bytes] = []
        self.open_now = 0
        self.most_open = 0
        self.server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> Recorder:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc) -> None:
        self._closing.set()
        self.server.close()
        for writer in self._writers:
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            self.seen.append(await asyncio.wait_for(reader.read(4096), 5))
            if self.tarpit:
                await asyncio.wait_for(self._closing.wait(), 60)
        except (TimeoutError, OSError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


async def test_a_flood_of_fake_groups_from_a_stranger_stores_nothing_and_splits_nobody(cluster):
    a = cluster.add(allow_private_peers=False)
    b = cluster.add(allow_private_peers=False)
    cluster.link(0, 1)
    await cluster.start()
    await cluster.wait_quiet()
    before = await a.heads()
    flood = one_event_groups(3000)
    for start in range(0, len(flood), 1000):
        body = encode_message(Push(tuple(flood[start : start + 1000])))
        status, _, reply = await post(a.url, "push", body, "127.0.0.77", claim="http://127.0.0.77:9/x")
        assert status == 200 and decode_message(reply, Ack).stored == 0
    assert await a.heads() == before  # nothing stored
    quarantine = a.federation.agent.admission.quarantine
    assert list(quarantine) == [key("127.0.0.77")]  # held per origin, and bounded
    assert len(quarantine[key("127.0.0.77")].authors) == 16 and quarantine[key("127.0.0.77")].dropped == 3000 - 16
    # The honest pair goes on as before: a callout from B reaches A; nobody is scored or banned.
    callout = await b.publish("callout.published", CALLOUT)
    await cluster.wait_until(lambda: cluster.has_event(a, callout.id), what="B's callout at A")
    for node, other in ((a, b), (b, a)):
        health = node.federation.book.health(other.url)
        assert health.points == 0 and health.state == "healthy"
    assert a.federation.book.health(key("127.0.0.77")).points == 0 if key("127.0.0.77") in a.federation.book.urls() else True

    # An admin accepts two of the held groups (API): their held events are stored, the rest stays held.
    held = list(quarantine[key("127.0.0.77")].authors)[:2]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {a.token}"}) as session:
        async with session.get(f"{a.url}/api/v1/quarantine") as resp:
            page = await resp.json()
        assert resp.status == 200 and page["quarantine"][0]["origin"] == key("127.0.0.77")
        groups = [g["group_id"] for g in page["quarantine"][0]["groups"][:2]]
        accept = {"origin": key("127.0.0.77"), "groups": groups}
        async with session.post(f"{a.url}/api/v1/quarantine/accept", json=accept) as resp:
            assert resp.status == 200 and await resp.json() == {"origin": key("127.0.0.77"), "accepted": 2, "stored": 2}
        async with session.post(f"{a.url}/api/v1/quarantine/accept", json={"origin": "remote:nobody"}) as resp:
            assert resp.status == 404
        async with session.post(f"{a.url}/api/v1/quarantine/accept", json={"origin": 5}) as resp:
            assert resp.status == 400 and (await resp.json())["error"]["field"] == "origin"
    async with aiohttp.ClientSession() as session, session.get(f"{a.url}/api/v1/quarantine") as resp:
        assert resp.status == 401
    for author in held:
        assert await a.service.astore.head(author) is not None
    assert len(quarantine[key("127.0.0.77")].authors) == 14


async def test_a_chosen_peer_adds_at_most_its_hourly_quota_of_new_groups(cluster):
    a = cluster.add(new_authors_per_hour=40)
    b = cluster.add(replication="open")  # B takes a flood (it is an open relay), then offers it to A
    cluster.link(0, 1)
    await cluster.start()
    flood = one_event_groups(200, salt="quota")
    await b.service.ingest(flood)

    async def new_groups() -> set[bytes]:
        return set(await a.heads()) - {a.service.identity.public_key}

    async def quota_reached() -> bool:
        return len(await new_groups()) >= 40

    await cluster.wait_until(quota_reached, what="A adds its quota of new groups")
    rounds = a.federation.counters.rounds
    await cluster.wait_until(lambda: a.federation.counters.rounds >= rounds + 3, what="three more rounds at A")
    await cluster.wait_quiet(same=False)
    assert len(await new_groups()) == 40  # B's own group and 39 of the flood: the quota, not more
    assert a.federation.book.health(b.url).points == 0


async def test_no_call_back_to_an_address_nobody_chose(cluster):
    a = cluster.add(allow_private_peers=False)
    await cluster.start()
    hello = encode_message(Hello(1, bytes(range(32))))
    async with Recorder() as recorder:
        claims = [
            f"{recorder.url}/internal/admin/0?next=",
            recorder.url,
            f"http://user:pw@{recorder.url[7:]}",
            recorder.url.replace("127.0.0.1", "localhost"),
            recorder.url.replace("127.0.0.1", "[::1]"),
        ]
        for n, claim in enumerate(claims):
            status, _, _ = await post(a.url, "hello", hello, f"127.0.0.{40 + n}", claim=claim)
            assert status == 200
        await asyncio.sleep(1.0)
        assert recorder.seen == []
    assert a.federation.book.urls() == []


async def test_peer_lists_from_strangers_or_with_exchange_off_are_not_merged(cluster):
    async with Recorder() as recorder:
        listed = encode_message(PeerList(tuple(PeerInfo(f"{recorder.url}/p{i}") for i in range(20))))
        off = cluster.add(peer_exchange=False, allow_private_peers=True)
        on = cluster.add(allow_private_peers=False)
        await cluster.start()
        for node in (off, on):
            status, _, reply = await post(node.url, "peers", listed, "127.0.0.50")
            assert status == 200 and decode_message(reply, PeerList).peers == ()  # nothing merged, nothing handed out
        # Exchange on, and a sender the node confirmed (a chosen peer): loopback URLs are still refused.
        friend = cluster.add(allow_private_peers=True)
        await cluster.start(2)
        on.federation.book.add(friend.url, chosen=True)
        friend.federation.book.add(on.url, chosen=True)
        friend.federation.book.merge(PeerList(tuple(PeerInfo(f"{recorder.url}/q{i}") for i in range(5))))
        assert await on.federation.exchange_peers(friend.url) == 0
        await asyncio.sleep(1.0)
        # (The friend itself may contact the URLs it holds: it allows private ranges. The nodes under test never do.)
        senders = {
            line.split(b": ", 1)[1] for seen in recorder.seen for line in seen.split(b"\r\n") if line.startswith(b"Solnet-Peer")
        }
        assert senders <= {friend.url.encode()}
    assert off.federation.book.urls() == [] and on.federation.book.urls() == [friend.url]


async def test_redirects_are_never_followed_by_the_peer_client_nor_the_auditor(cluster, tmp_path):
    from node.cli import main as solnet

    async with Recorder() as recorder:

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(f"{recorder.url}/internal{request.path}")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", redirect)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        redirector = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        try:
            a = cluster.add(allow_private_peers=False)
            a.peers.append(redirector)  # chosen by the operator: contacted, but its redirect is not followed
            await cluster.start()
            report = await a.federation.sync_with(redirector)
            assert not report.complete and "redirect" in report.error
            assert a.federation.book.health(redirector).points == 0
            code = await asyncio.to_thread(solnet, ["audit", redirector])
            assert code != 0
            await asyncio.sleep(0.5)
            assert recorder.seen == []
        finally:
            await runner.cleanup()


async def test_a_flood_of_call_backs_into_a_tarpit_does_not_delay_sync(cluster):
    # Call-backs to loopback allowed: the worst case. No rounds of its own after the first: only the syncs timed here.
    a = cluster.add(allow_private_peers=True, timeout=30.0, interval=600.0)
    b = cluster.add()
    cluster.link(0, 1)
    await cluster.start()
    await b.service.ingest(one_event_groups(400, salt="before"), source=Source.PEER)  # not pushed: A must pull
    started = time.monotonic()
    assert (await a.federation.sync_with(b.url)).complete
    normal = time.monotonic() - started
    hello = encode_message(Hello(1, bytes(range(32))))
    async with Recorder(tarpit=True) as tarpit, aiohttp.ClientSession() as session:

        async def greet(n: int) -> None:
            headers = {"Content-Type": "application/x-solnet-msgpack", "Solnet-Peer": f"{tarpit.url}/t{n}"}
            async with session.post(f"{a.url}/peer/v1/hello", data=hello, headers=headers) as resp:
                assert resp.status == 200

        await asyncio.gather(*(greet(n) for n in range(300)))
        await b.service.ingest(one_event_groups(400, salt="after"), source=Source.PEER)
        started = time.monotonic()
        report = await a.federation.sync_with(b.url)
        during = time.monotonic() - started
        assert report.complete and len(await a.heads()) == 2 + 800
        print(f"\nsync of 400 one-event groups: {normal:.2f} s before, {during:.2f} s during 300 tarpit call-backs")
        assert during < max(3 * normal, normal + 3.0), (normal, during)  # (a tarpit holds a call-back for 3 s or more)
        assert tarpit.most_open <= 2  # the call-backs' own budget
    claims = a.federation.claims
    assert len(claims._recent) == 1  # one remote address, rate-limited
    assert a.federation.book.health(b.url).points == 0


async def test_a_large_but_correct_reply_or_our_own_oversized_request_is_nobodys_fault(cluster, monkeypatch):
    from node.federation import transport

    a = cluster.add()
    b = cluster.add()
    cluster.link(0, 1)
    await cluster.start()
    await b.service.ingest(one_event_groups(50, salt="big"))
    # B's correct frontier (protocol 1) and reconcile reply (protocol 2) are now "too large"
    monkeypatch.setitem(transport.REPLY_LIMITS, transport.Frontier, 200)
    monkeypatch.setitem(transport.REPLY_LIMITS, transport.Reconcile, 200)
    report = await a.federation.sync_with(b.url)
    assert not report.complete and "the most accepted" in report.error
    health = a.federation.book.health(b.url)
    assert health.points == 0 and health.state != "banned"
    monkeypatch.undo()
    # Our own push over the message limit is refused before sending: the peer is neither scored nor failed.
    failures = a.federation.book.health(b.url).failures
    with pytest.raises(TooLargeError):
        await a.federation.agent.request(b.url, Push(tuple(_padded(80))), Ack)
    assert a.federation.book.health(b.url).failures == failures
    health = a.federation.book.health(b.url)
    assert health.points == 0 and health.state != "banned"
    status, _, body = await post(b.url, "hello", b"\x00" * 2000, "127.0.0.90")
    assert status == 413 and decode_message(body, ErrorReply).code == "body_too_large"


def _padded(count: int) -> list:
    """Return `count` one-event groups whose payloads are ~64 KB each (together over the message limit)."""
    events = []
    for i in range(count):
        ident = Identity.from_seed(hashlib.sha256(f"pad{i}".encode()).digest())
        value = {"blob": "x" * 60_000}
        events.append(create_event_from_value(ident, kind="callout", value=value, timestamp=1_700_000_000_000, previous=None))
    return events
