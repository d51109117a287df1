"""The golden vectors of subscriptions and invitations (docs/PROTOCOL.md §16, §17), written to subscription.json.

Deterministic: keys from the seeds SHA-256("solnet test vector key N") (N = 1: the reachable/inviting node,
N = 2: the subscriber/new node), a fixed nonce and secret, and RFC 8032 signatures (deterministic).
"""

from __future__ import annotations

import hashlib

from events import Identity
from protocol import Hello, MessageError, encode_message
from protocol.invitation import (
    InvitationCode,
    Join,
    Joined,
    decode_join,
    encode_join,
    group_hint,
    join_signed_bytes,
    make_join,
)
from protocol.subscription import (
    Challenge,
    Reply,
    Request,
    answer_challenge,
    decode_frame,
    encode_frame,
    signed_bytes,
    subscriber_address,
)


def key(n: int) -> Identity:
    return Identity.from_seed(hashlib.sha256(f"solnet test vector key {n}".encode()).digest())


def _rejected(data: bytes, decode) -> dict:  # type: ignore[no-untyped-def]
    try:
        decode(data)
    except MessageError as exc:
        return {"hex": data.hex(), "error": type(exc).__name__, "code": exc.code, "field": exc.field}
    raise AssertionError(f"{data.hex()} decoded: the generator must not write a wrong vector")


def subscription_vectors() -> dict:
    """Return the document: handshake, frames, addresses, rejected frames; invitation code, join, joined."""
    peer, subscriber = key(1), key(2)
    nonce = bytes(range(32))
    challenge = Challenge(nonce, peer.public_key)
    subscribe = answer_challenge(subscriber, challenge)
    hello = encode_message(Hello(2, subscriber.public_key))
    reply = encode_message(Hello(2, peer.public_key))
    code = InvitationCode("https://hub.example.org", group_hint(peer.public_key), bytes(range(16)))
    join_nat = make_join(subscriber, code, None)
    join_url = make_join(subscriber, code, "https://home.example.org")
    return {
        "peer_group": peer.public_key.hex(),
        "subscriber_group": subscriber.public_key.hex(),
        "subscriber_address": subscriber_address(subscriber.public_key),
        "challenge": {"nonce": nonce.hex(), "frame": encode_frame(challenge).hex()},
        "subscribe": {
            "signed": signed_bytes(peer.public_key, nonce, subscriber.public_key).hex(),
            "signature": subscribe.signature.hex(),
            "frame": encode_frame(subscribe).hex(),
        },
        "request": {"id": 1, "message": hello.hex(), "frame": encode_frame(Request(1, hello)).hex()},
        "reply": {"id": 1, "message": reply.hex(), "frame": encode_frame(Reply(1, reply)).hex()},
        "rejected_frames": [
            _rejected(bytes.fromhex("9101"), decode_frame),  # tag 1 (a hello) is not a frame
            _rejected(bytes.fromhex("9312") + b"\x00" + bytes.fromhex("c400"), decode_frame),  # request id 0
            _rejected(bytes.fromhex("9310c41f") + bytes(31) + bytes.fromhex("c420") + bytes(32), decode_frame),  # short nonce
            _rejected(bytes.fromhex("dc00031301c400"), decode_frame),  # array16 header for 3 items: not canonical
        ],
        "invitation": {
            "url": code.url,
            "hint": code.hint.hex(),
            "secret": code.secret.hex(),
            "code": code.text(),
            "join_behind_nat": {
                "signed": join_signed_bytes(code.hint, code.secret, subscriber.public_key, None).hex(),
                "bytes": encode_join(join_nat).hex(),
            },
            "join_with_url": {
                "signed": join_signed_bytes(code.hint, code.secret, subscriber.public_key, join_url.url).hex(),
                "bytes": encode_join(join_url).hex(),
            },
            "joined": encode_join(Joined(peer.public_key)).hex(),
            "rejected_joins": [
                _rejected(encode_join(Join(bytes(15), subscriber.public_key, None, bytes(64))), lambda d: decode_join(d, Join)),
                _rejected(
                    encode_join(Join(bytes(16), subscriber.public_key, "ftp://x", bytes(64))), lambda d: decode_join(d, Join)
                ),
            ],
        },
    }
