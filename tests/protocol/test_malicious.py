"""A malicious peer: malformed, oversized, forged, unrequested and replayed messages are refused and penalised."""

from __future__ import annotations

from dataclasses import replace

import msgpack
from proto_helpers import identity, make_log, resign_wrong, unsign

from protocol import (
    ErrorReply,
    EventBatch,
    Frontier,
    FrontierEntry,
    MemoryNetwork,
    MemoryReplica,
    PeerBook,
    Push,
    SyncAgent,
    decode_message,
    encode_message,
)
from protocol.messages import MAX_MESSAGE_SIZE

EVIL = "http://evil.test"
HONEST = "http://honest.test"


def setup():
    network = MemoryNetwork()
    replica = MemoryReplica()
    book = PeerBook(own_url=HONEST)
    book.add(EVIL)
    agent = SyncAgent(
        network.transport(HONEST), replica, identity(1).public_key, book=book, clock=lambda: 0.0, on_error=network.failures.append
    )
    evil = network.transport(EVIL)
    return network, replica, agent, evil


async def reply_to(evil, data: bytes):
    return decode_message(await evil.request_bytes(HONEST, data))


async def test_malformed_and_oversized_requests_are_refused_and_penalised():
    network, replica, agent, evil = setup()
    for data in (b"\xc1", msgpack.packb([7, 1.5, []]), msgpack.packb([99]), b"\x93\x08" + b"\x00" * (MAX_MESSAGE_SIZE + 10)):
        reply = await reply_to(evil, data)
        assert isinstance(reply, ErrorReply), data[:4]
    assert agent.book.health(EVIL).state == "banned"
    # Once banned, even a valid push is refused and nothing is stored.
    reply = await reply_to(evil, encode_message(Push(tuple(make_log(identity(2), 1)))))
    assert reply == ErrorReply("banned", "this node does not talk to you for now")
    assert await replica.heads() == {}
    await network.deliver_messages()


async def test_forged_events_are_not_stored_and_penalised():
    network, replica, agent, evil = setup()
    victim = identity(3)
    log = make_log(victim, 3)
    forged = [resign_wrong(e, identity(4)) for e in log]
    ack = await reply_to(evil, encode_message(Push(tuple(forged))))
    assert ack.stored == 0 and ack.rejected == 3
    ack = await reply_to(evil, encode_message(Push((unsign(log[0]),))))
    assert ack.stored == 0
    assert await replica.heads() == {}
    assert agent.book.health(EVIL).state == "banned"
    await network.deliver_messages()


async def test_replayed_push_is_penalised_and_changes_nothing():
    network, replica, agent, evil = setup()
    log = make_log(identity(5), 2)
    data = encode_message(Push(tuple(log)))
    first = await reply_to(evil, data)
    assert first.stored == 2
    await network.deliver_messages()
    points = agent.book.health(EVIL).points
    again = await reply_to(evil, data)
    assert again.stored == 0 and again.duplicates == 2
    assert agent.book.health(EVIL).points > points
    assert (await replica.heads())[log[0].author].seq == 2


async def test_lying_server_sends_unrequested_and_forged_events():
    network, replica, agent, evil = setup()
    victim, stranger = identity(6), identity(7)
    log = make_log(victim, 4)
    junk = make_log(stranger, 2)

    async def serve(sender: str, data: bytes) -> bytes:
        message = decode_message(data)
        if isinstance(message, Frontier):
            return encode_message(Frontier((FrontierEntry(victim.public_key, 4, log[-1].id),)))
        # Forged signatures on the asked-for events, plus events nobody asked for.
        forged = tuple(resign_wrong(e, stranger) for e in log)
        return encode_message(EventBatch(forged + tuple(junk)))

    evil.serve(serve)
    report = await agent.sync_with(EVIL)
    assert report.stored == 0 and report.violations
    assert await replica.heads() == {}
    assert agent.book.health(EVIL).points > 0
    await network.deliver_messages()


async def test_malformed_reply_is_a_failure_not_a_crash():
    network, _replica, agent, evil = setup()

    async def serve(sender: str, data: bytes) -> bytes:
        return b"\x92\x04\x91\x93\xc4\x01x\xc4\x01y\xc0"  # an event batch with a broken record

    evil.serve(serve)
    report = await agent.sync_with(EVIL)
    assert not report.complete and "record" in report.error
    health = agent.book.health(EVIL)
    assert health.failures == 1 and health.points > 0
    await network.deliver_messages()


async def test_tampered_payload_in_a_batch_is_rejected_whole():
    network, replica, agent, evil = setup()
    victim = identity(8)
    log = make_log(victim, 2)
    tampered = replace(log[1], payload=log[1].payload[:-1] + b"X")

    async def serve(sender: str, data: bytes) -> bytes:
        message = decode_message(data)
        if isinstance(message, Frontier):
            return encode_message(Frontier((FrontierEntry(victim.public_key, 2, log[-1].id),)))
        records = [[e.header_bytes, e.signature, e.payload] for e in (log[0], tampered)]
        return msgpack.packb([4, records], use_bin_type=True)

    evil.serve(serve)
    report = await agent.sync_with(EVIL)
    assert not report.complete and await replica.heads() == {}
    await network.deliver_messages()


async def test_wrong_message_for_the_path_is_refused():
    network, replica, agent, _evil = setup()
    from protocol import Want

    reply = decode_message(await agent.handle_bytes(EVIL, encode_message(Push(tuple(make_log(identity(9), 1)))), Want))
    assert isinstance(reply, ErrorReply) and reply.code == "unexpected_message"
    assert await replica.heads() == {} and agent.book.health(EVIL).points > 0
    await network.deliver_messages()


async def test_server_leaving_its_events_unvouched_is_penalised_as_a_forger():
    """Forged signatures on every served event: held for a vouching signature that never comes, then charged."""
    network, replica, agent, evil = setup()
    victim, stranger = identity(6), identity(7)
    log = make_log(victim, 3)

    async def serve(sender: str, data: bytes) -> bytes:
        message = decode_message(data)
        if isinstance(message, Frontier):
            return encode_message(Frontier((FrontierEntry(victim.public_key, 3, log[-1].id),)))
        return encode_message(EventBatch(tuple(resign_wrong(e, stranger) for e in log)))

    evil.serve(serve)
    report = await agent.sync_with(EVIL)
    assert report.complete and report.stored == 0 and report.rejected == 3
    assert await replica.heads() == {}
    assert agent.book.health(EVIL).points == 5  # FORGED_POINTS, not just unrequested ones
    await network.deliver_messages()


async def test_cut_connection_with_events_held_is_not_charged():
    """An honest run may end in events whose own signatures are bad; a cut before the vouching one is no offence."""
    network, _replica, agent, evil = setup()
    victim = identity(6)
    log = make_log(victim, 4)
    held = (unsign(log[0]), unsign(log[1]))  # vouched for by log[2], which never arrives
    calls = 0

    async def serve(sender: str, data: bytes) -> bytes:
        nonlocal calls
        message = decode_message(data)
        if isinstance(message, Frontier):
            return encode_message(Frontier((FrontierEntry(victim.public_key, 4, log[-1].id),)))
        calls += 1
        if calls > 1:
            return b"\xc1"  # the connection breaks: a malformed reply ends the session as a failure
        return encode_message(EventBatch(held))

    evil.serve(serve)
    agent.max_batch_events = 2
    report = await agent.sync_with(EVIL)
    assert not report.complete and report.stored == 0
    assert agent.book.health(EVIL).points == 3  # the malformed reply only; nothing for the held events
    await network.deliver_messages()
