"""A malicious peer over real HTTP: malformed, oversized, forged and replayed messages are refused and penalised."""

from __future__ import annotations

from dataclasses import replace

import aiohttp

from events import Identity, group_id_text
from events.event import signing_message
from node.federation import CONTENT_TYPE, PEER_HEADER
from node.store.base import stored_event
from node.store.recorder import HeadRow, IndexRow
from protocol import OPEN, Ack, ErrorReply, Frontier, Hello, Push, decode_message, encode_message

from .test_forks_policy import forked_log


def resign_wrong(event, other: Identity):
    """Return the event signed by someone else (a forgery)."""
    return replace(event, signature=other.sign(signing_message(event.header_bytes)))


async def post(url: str, path: str, body: bytes, source: str, content_type: str | None = CONTENT_TYPE, claim: str | None = None):
    """POST from loopback address `source` (all of 127/8 is loopback), claiming URL `claim` in Solnet-Peer if given.

    `content_type` None sends no Content-Type header at all.
    """
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=["Content-Type"]) as session:
        headers = {**({"Content-Type": content_type} if content_type else {}), **({PEER_HEADER: claim} if claim else {})}
        async with session.post(f"{url}/peer/v1/{path}", data=body, headers=headers) as resp:
            return resp.status, resp.content_type, await resp.read()


def key(source: str) -> str:
    return f"remote:{source}"


async def stored_count(node) -> int:
    return sum((await node.service.astore.counts()).values())


async def test_bad_messages_are_refused_penalised_and_change_nothing(cluster):
    node = cluster.add(replication=OPEN)  # an open relay: a stranger's push reaches the ingest checks
    await cluster.start()
    book = node.federation.book
    before = await stored_count(node)
    ident, first, a, _ = forked_log(91)

    # Malformed: not msgpack at all, and a non-canonical ack.
    status, ctype, body = await post(node.url, "push", b"\xc1garbage", "127.0.0.11")
    assert (status, ctype) == (400, CONTENT_TYPE)
    assert decode_message(body, ErrorReply).code == "bad_message"
    assert book.health(key("127.0.0.11")).points == 3

    # A well-formed message of the wrong kind for the path.
    frontier = encode_message(Frontier(()))
    status, _, body = await post(node.url, "push", frontier, "127.0.0.12")
    assert status == 400 and decode_message(body, ErrorReply).code == "unexpected_message"
    assert book.health(key("127.0.0.12")).points == 3

    # Oversized: refused before decoding (hello takes 1 KiB).
    status, _, body = await post(node.url, "hello", b"\x00" * 5000, "127.0.0.13")
    assert status == 413 and decode_message(body, ErrorReply).code == "body_too_large"
    assert book.health(key("127.0.0.13")).points == 3

    # Wrong content type.
    status, _, body = await post(node.url, "hello", b"{}", "127.0.0.14", "application/json")
    assert status == 415
    # No content type at all is refused the same way (docs/API.md: 415 bad_content_type).
    hello_bytes = encode_message(Hello(1, ident.public_key))
    status, _, body = await post(node.url, "hello", hello_bytes, "127.0.0.14", None)
    assert status == 415 and decode_message(body, ErrorReply).code == "bad_content_type"

    # Forged: an event signed by another key.
    forged = resign_wrong(first, Identity.from_seed(bytes([5]) * 32))
    status, _, body = await post(node.url, "push", encode_message(Push((forged,))), "127.0.0.15")
    ack = decode_message(body, Ack)
    assert status == 200 and ack.stored == 0 and ack.rejected == 1
    assert book.health(key("127.0.0.15")).points == 5
    assert await stored_count(node) == before
    assert await node.service.astore.head(ident.public_key) is None

    # Replayed: a valid push stores once; sending it again is a replay.
    push = encode_message(Push((first, a)))
    status, _, body = await post(node.url, "push", push, "127.0.0.16")
    assert status == 200 and decode_message(body, Ack).stored == 2
    status, _, body = await post(node.url, "push", push, "127.0.0.16")
    assert status == 200 and decode_message(body, Ack) == Ack(0, 2, 0, 0)
    assert book.health(key("127.0.0.16")).points == 2
    assert await stored_count(node) == before + 2

    # Enough misbehaviour gets a peer banned: every request is then answered 429, even a good one.
    for _ in range(3):
        await post(node.url, "push", b"\xc1", "127.0.0.11")
    assert book.health(key("127.0.0.11")).state == "banned"
    hello = encode_message(Hello(1, ident.public_key))
    status, _, body = await post(node.url, "hello", hello, "127.0.0.11")
    assert status == 429 and decode_message(body, ErrorReply).code == "banned"
    status, _, body = await post(node.url, "want", b"\x93\x03\x90", "127.0.0.11")
    assert status == 429
    # An honest sender still gets answers.
    status, _, body = await post(node.url, "hello", hello, "127.0.0.2")
    assert status == 200 and decode_message(body, Hello).group == node.service.identity.public_key
    assert await stored_count(node) == before + 2


async def test_malicious_node_serving_forgeries_is_refused(cluster):
    """A real node whose database was tampered with serves forged and corrupted records; the puller stores none."""
    honest = cluster.add(peer_exchange=False)
    liar = cluster.add(peer_exchange=False)
    await cluster.start()
    other = Identity.from_seed(bytes([6]) * 32)
    _, first, a, _ = forked_log(93)
    forged = [resign_wrong(first, other), resign_wrong(a, other)]
    _, first2, _, _ = forked_log(94)
    corrupted = [replace(first2, payload=bytes(len(first2.payload)))]  # same header, payload not matching its hash
    for events in (forged, corrupted):
        author = events[-1].author
        oid = group_id_text(author)
        liar.service.store.recorder.insert_events(  # as a tampered database would hold them
            [stored_event(e) for e in events],
            index=[IndexRow(e.id, oid, e.seq) for e in events],
            heads=[HeadRow(oid, author, events[-1].seq, events[-1].id, events[-1].header.timestamp)],
        )
    honest.federation.book.add(liar.url, chosen=True)
    report = await honest.federation.sync_with(liar.url)
    # Forged signatures: held for a vouching signature that never comes, reported unvouched, never stored.
    # The corrupted record makes the whole batch malformed: the sync fails and the liar is penalised.
    assert not report.complete and "malformed" in report.error
    assert honest.federation.book.health(liar.url).points >= 3
    for events in (forged, corrupted):
        assert await honest.service.astore.head(events[0].author) is None


async def test_impostor_claiming_a_peers_url_is_penalised_under_its_own_address(cluster):
    """Solnet-Peer is only a claim: misbehaviour is charged to the remote address, never to the URL it names."""
    a = cluster.add(peer_exchange=False)
    b = cluster.add(peer_exchange=False)
    cluster.link(0, 1)
    await cluster.start()
    await cluster.wait_quiet()
    book = a.federation.book
    for _ in range(5):  # 3 points each: banned at the fourth, refused with 429 at the fifth
        status, _, _ = await post(a.url, "push", b"\xc1", "127.0.0.66", claim=b.url)
    assert status == 429 and book.health(key("127.0.0.66")).state == "banned"
    assert book.health(b.url).points == 0 and book.health(b.url).state == "healthy"
    assert b.url in book.available(a.federation.agent.clock())
    # The honest node behind that URL still talks to A, both ways.
    assert (await b.federation.sync_with(a.url)).complete
    assert (await a.federation.sync_with(b.url)).complete
    # A stranger is not made a peer by being penalised: it is never a contact target.
    assert key("127.0.0.66") not in book.urls()


async def test_claimed_url_is_trusted_only_after_a_hello_round_trip(cluster):
    """A greeting from an unknown URL makes it a peer only once we called it back and it answered as that group."""
    a = cluster.add(peer_exchange=False)
    b = cluster.add(peer_exchange=False)  # not linked: A learns of B only from B's greeting
    await cluster.start()
    hello_b = encode_message(Hello(1, b.service.identity.public_key))
    status, _, _ = await post(a.url, "hello", hello_b, "127.0.0.1", claim=b.url)
    assert status == 200
    await cluster.wait_until(lambda: b.url in a.federation.book.urls(), what="B confirmed and added")
    # A claim whose callback answers with another group is not trusted, and its URL is not added.
    ghost = "http://127.0.0.1:9"  # nothing listens there: the callback fails
    status, _, _ = await post(a.url, "hello", hello_b, "127.0.0.1", claim=ghost)
    assert status == 200
    lying = encode_message(Hello(1, bytes(32)))
    status, _, _ = await post(a.url, "hello", lying, "127.0.0.3", claim=b.url)
    # B greeted A but nobody chose it: A syncs with it, yet holds B's group only in quarantine, for an admin.
    await cluster.wait_until(lambda: b.url in a.federation.agent.admission.quarantine, what="B's group held")
    await cluster.wait_quiet(same=False)
    assert await a.service.astore.head(b.service.identity.public_key) is None
    assert ghost not in a.federation.book.urls()
    assert a.federation.origin(key("127.0.0.3"), b.url).url is None
    assert a.federation.origin(key("127.0.0.1"), b.url).url == b.url
