"""Subscriptions (docs/PROTOCOL.md §16): the frames an outbound-only node and a reachable peer trade over one WebSocket.

A node nobody can reach opens the socket; the peer it opens it to sends a `challenge` (a fresh nonce and its own
group key), the subscriber answers `subscribe` (its group key, the key that signs for it, and a signature over
both keys and the nonce), and from then on either side sends the peer protocol's own messages (§13.2), unchanged,
each wrapped in a `request` or `reply` frame that carries a request id. The peer knows the subscriber under the
address `sub:<group id>` and treats it like any reachable peer: pushes, announcements and pulls go over the socket.

Pure: frames in, values out; no sockets, no clocks (the nonce is passed in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from events import ed25519
from events.canonical import pack, unpack
from events.errors import EventError
from events.identity import Identity, group_id_text, parse_group_id

from .errors import MessageError
from .fields import arity, fail, key, uint

SUBSCRIBE_CONTEXT = b"solnet/subscribe/v1\x00"
SUBSCRIBER_PREFIX = "sub:"
NONCE_SIZE = 32
MAX_REQUEST_ID = 2**32 - 1
MAX_FRAME_BODY = 8 * 1024 * 1024 + 1024
"""The largest message a `request` or `reply` frame carries (a version-1 frontier of 65,536 entries fits)."""
MAX_FRAME_SIZE = MAX_FRAME_BODY + 16


@dataclass(frozen=True, slots=True)
class Challenge:
    """The reachable peer's first frame: a fresh nonce to sign, and the peer's own group key."""

    TAG: ClassVar[int] = 16
    nonce: bytes
    group: bytes

    def items(self) -> list:
        return [self.nonce, self.group]


@dataclass(frozen=True, slots=True)
class Subscribe:
    """The subscriber's answer: its group key, the key in force for it (the group key until it rotates), a signature."""

    TAG: ClassVar[int] = 17
    group: bytes
    signing_key: bytes
    signature: bytes

    def items(self) -> list:
        return [self.group, self.signing_key, self.signature]


@dataclass(frozen=True, slots=True)
class Request:
    """A peer-protocol request (its §13.2 bytes, as they are) and the id its reply will carry."""

    TAG: ClassVar[int] = 18
    id: int
    message: bytes

    def items(self) -> list:
        return [self.id, self.message]


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply (its §13.2 bytes) to the request with the same id."""

    TAG: ClassVar[int] = 19
    id: int
    message: bytes

    def items(self) -> list:
        return [self.id, self.message]


Frame = Challenge | Subscribe | Request | Reply
_TYPES: dict[int, type] = {t.TAG: t for t in (Challenge, Subscribe, Request, Reply)}


def encode_frame(frame: Frame) -> bytes:
    """Return the canonical bytes of a frame: an array of its tag and its fields."""
    return pack([frame.TAG, *frame.items()])


def decode_frame(data: bytes) -> Frame:
    """Return the frame `data` encodes; raise MessageError (bad_message) for anything else."""
    try:
        value = unpack(data, max_size=MAX_FRAME_SIZE)
    except EventError as exc:
        raise MessageError(f"frame: {exc}", field="frame") from None
    if type(value) is not list or not value or type(value[0]) is not int or value[0] not in _TYPES:
        raise fail("a frame is an array whose first item is a frame tag (16 to 19)", "tag")
    tag, items = value[0], value[1:]
    if tag == Challenge.TAG:
        nonce, group = arity(items, 2, "challenge")
        if type(nonce) is not bytes or len(nonce) != NONCE_SIZE:
            raise fail(f"nonce is not {NONCE_SIZE} bytes of bin", "nonce")
        return Challenge(nonce, key(group, "group"))
    if tag == Subscribe.TAG:
        group, signing_key, signature = arity(items, 3, "subscribe")
        if type(signature) is not bytes or len(signature) != 64:
            raise fail("signature is not 64 bytes of bin", "signature")
        return Subscribe(key(group, "group"), key(signing_key, "signing_key"), signature)
    request_id, message = arity(items, 2, "request" if tag == Request.TAG else "reply")
    if type(message) is not bytes or len(message) > MAX_FRAME_BODY:
        raise fail(f"message is not bin of at most {MAX_FRAME_BODY} bytes", "message")
    return _TYPES[tag](uint(request_id, "id", 1, MAX_REQUEST_ID), message)


def signed_bytes(peer_group: bytes, nonce: bytes, group: bytes) -> bytes:
    """Return what a subscriber signs: the context, the peer's group key, the peer's nonce, its own group key."""
    return SUBSCRIBE_CONTEXT + peer_group + nonce + group


def answer_challenge(identity: Identity, challenge: Challenge) -> Subscribe:
    """Return the `subscribe` frame that proves `identity` holds its group's key in force, for this challenge."""
    signature = identity.sign(signed_bytes(challenge.group, challenge.nonce, identity.public_key))
    return Subscribe(identity.public_key, identity.signing_key, signature)


def check_subscribe(subscribe: Subscribe, challenge: Challenge, key_in_force: bytes | None) -> None:
    """Raise MessageError (field `signature`) unless `subscribe` answers `challenge` with a valid signature.

    `key_in_force` is the subscriber's signing key as the peer's store knows it (None for a group it does not
    store, whose key must then be the group key itself: a rotated group proves its rotation by its log first).
    """
    expected = key_in_force if key_in_force is not None else subscribe.group
    if subscribe.signing_key != expected:
        raise fail("signing_key is not the key in force for this group", "signing_key")
    try:
        public = ed25519.load_public_key(subscribe.signing_key)
    except EventError:
        raise fail("signing_key is not a valid Ed25519 key", "signing_key") from None
    if not ed25519.verify(public, subscribe.signature, signed_bytes(challenge.group, challenge.nonce, subscribe.group)):
        raise fail("signature does not verify for this challenge", "signature")


def subscriber_address(group: bytes) -> str:
    """Return the address a peer knows a subscriber by: `sub:` + its group id (never a URL anyone can dial)."""
    return SUBSCRIBER_PREFIX + group_id_text(group)


def is_subscriber_address(address: str) -> bool:
    """True iff `address` names a subscriber (reached only over its own socket)."""
    return address.startswith(SUBSCRIBER_PREFIX)


def subscriber_group(address: str) -> bytes:
    """Return the group key of a subscriber address; raise MessageError if it is not one."""
    if not is_subscriber_address(address):
        raise fail(f"{address!r:.80} is not a subscriber address", "address")
    try:
        return parse_group_id(address[len(SUBSCRIBER_PREFIX) :])
    except EventError:
        raise fail(f"{address!r:.80} does not hold a group id", "address") from None
