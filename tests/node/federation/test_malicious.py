"""A malicious peer over real HTTP: malformed, oversized, forged and replayed messages are refused and penalised."""

from __future__ import annotations

from dataclasses import replace

import aiohttp

from events import Identity, group_id_text
from events.event import signing_message
from node.federation import CONTENT_TYPE, PEER_HEADER
from node.store.base import stored_event
from node.store.recorder import HeadRow, IndexRow
from protocol import Ack, ErrorReply, Frontier, Hello, Push, decode_message, encode_message

from .test_forks_policy import forked_log


def resign_wrong(event, other: Identity):
    """Return the event signed by someone else (a forgery)."""
    return replace(event, signature=other.sign(signing_message(event.header_bytes)))


async def post(url: str, path: str, body: bytes, sender: str, content_type: str = CONTENT_TYPE):
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": content_type, PEER_HEADER: sender}
        async with session.post(f"{url}/peer/v1/{path}", data=body, headers=headers) as resp:
            return resp.status, resp.content_type, await resp.read()


async def stored_count(node) -> int:
    return sum((await node.service.astore.counts()).values())


async def test_bad_messages_are_refused_penalised_and_change_nothing(cluster):
    node = cluster.add()
    await cluster.start()
    book = node.federation.book
    before = await stored_count(node)
    ident, first, a, _ = forked_log(91)

    # Malformed: not msgpack at all, and a non-canonical ack.
    status, ctype, body = await post(node.url, "push", b"\xc1garbage", "http://mallory-1.test")
    assert (status, ctype) == (400, CONTENT_TYPE)
    assert decode_message(body, ErrorReply).code == "bad_message"
    assert book.health("http://mallory-1.test").points == 3

    # A well-formed message of the wrong kind for the path.
    frontier = encode_message(Frontier(()))
    status, _, body = await post(node.url, "push", frontier, "http://mallory-2.test")
    assert status == 400 and decode_message(body, ErrorReply).code == "unexpected_message"
    assert book.health("http://mallory-2.test").points == 3

    # Oversized: refused before decoding (hello takes 1 KiB).
    status, _, body = await post(node.url, "hello", b"\x00" * 5000, "http://mallory-3.test")
    assert status == 413 and decode_message(body, ErrorReply).code == "body_too_large"
    assert book.health("http://mallory-3.test").points == 3

    # Wrong content type.
    status, _, body = await post(node.url, "hello", b"{}", "http://mallory-4.test", "application/json")
    assert status == 415

    # Forged: an event signed by another key.
    forged = resign_wrong(first, Identity.from_seed(bytes([5]) * 32))
    status, _, body = await post(node.url, "push", encode_message(Push((forged,))), "http://mallory-5.test")
    ack = decode_message(body, Ack)
    assert status == 200 and ack.stored == 0 and ack.rejected == 1
    assert book.health("http://mallory-5.test").points == 5
    assert await stored_count(node) == before
    assert await node.service.astore.head(ident.public_key) is None

    # Replayed: a valid push stores once; sending it again is a replay.
    push = encode_message(Push((first, a)))
    status, _, body = await post(node.url, "push", push, "http://mallory-6.test")
    assert status == 200 and decode_message(body, Ack).stored == 2
    status, _, body = await post(node.url, "push", push, "http://mallory-6.test")
    assert status == 200 and decode_message(body, Ack) == Ack(0, 2, 0, 0)
    assert book.health("http://mallory-6.test").points == 2
    assert await stored_count(node) == before + 2

    # Enough misbehaviour gets a peer banned: every request is then answered 429, even a good one.
    for _ in range(3):
        await post(node.url, "push", b"\xc1", "http://mallory-1.test")
    assert book.health("http://mallory-1.test").state == "banned"
    hello = encode_message(Hello(1, ident.public_key))
    status, _, body = await post(node.url, "hello", hello, "http://mallory-1.test")
    assert status == 429 and decode_message(body, ErrorReply).code == "banned"
    status, _, body = await post(node.url, "want", b"\x93\x03\x90", "http://mallory-1.test")
    assert status == 429
    # An honest sender still gets answers.
    status, _, body = await post(node.url, "hello", hello, "http://honest.test")
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
    honest.federation.book.add(liar.url)
    report = await honest.federation.sync_with(liar.url)
    # Forged signatures: held for a vouching signature that never comes, reported unvouched, never stored.
    # The corrupted record makes the whole batch malformed: the sync fails and the liar is penalised.
    assert not report.complete and "malformed" in report.error
    assert honest.federation.book.health(liar.url).points >= 3
    for events in (forged, corrupted):
        assert await honest.service.astore.head(events[0].author) is None
