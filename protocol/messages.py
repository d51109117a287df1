"""Node-to-node messages: frozen values, each encoded as one canonical msgpack array whose first item is its tag.

Every message has exactly one encoding (`events.canonical`): lists that act as sets are strictly sorted,
so a decoder can reject any other byte string for the same value. Decoding checks the tag, the arity,
the type and range of every field and the message size before anything else sees the value; events
inside are checked as records (header, signature length, payload digest) but not for signatures,
which is the replica's job. See docs/PROTOCOL.md §13 for the byte layout of each message.

This module is the codec and the one place to import messages from: the values live in
`protocol.message_types`, the limits and field checks in `protocol.fields`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from events import EventError
from events.canonical import pack, unpack, unpack_array_fast

from .errors import MessageError, TooLargeError, UnexpectedMessageError, UnknownMessageError
from .fields import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_ERROR_MESSAGE,
    MAX_FORK_PROOFS,
    MAX_FRONTIER_ENTRIES,
    MAX_MESSAGE_SIZE,
    MAX_PEERS,
    MAX_UINT,
    MAX_URL_LENGTH,
    MAX_WANT_ITEMS,
    MAX_WANT_LIMIT,
)
from .framing import check_frame
from .message_types import (
    FLAG_ACCEPTS_PUSH,
    FLAG_PEER_EXCHANGE,
    FLAG_SERVES_EVENTS,
    KNOWN_FLAGS,
    Ack,
    ErrorReply,
    EventBatch,
    ForkProofs,
    Frontier,
    FrontierEntry,
    Hello,
    PeerInfo,
    PeerList,
    Push,
    Want,
    WantForks,
    WantItem,
)
from .recon_messages import Reconcile, ReconcileReply

__all__ = [
    "FLAG_ACCEPTS_PUSH",
    "FLAG_PEER_EXCHANGE",
    "FLAG_SERVES_EVENTS",
    "KNOWN_FLAGS",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_ERROR_MESSAGE",
    "MAX_FORK_PROOFS",
    "MAX_FRONTIER_ENTRIES",
    "MAX_MESSAGE_SIZE",
    "MAX_PEERS",
    "MAX_UINT",
    "MAX_URL_LENGTH",
    "MAX_WANT_ITEMS",
    "MAX_WANT_LIMIT",
    "MESSAGE_TYPES",
    "OLDEST_PROTOCOL_VERSION",
    "PROTOCOL_VERSION",
    "Ack",
    "ErrorReply",
    "EventBatch",
    "ForkProofs",
    "Frontier",
    "FrontierEntry",
    "Hello",
    "Message",
    "PeerInfo",
    "PeerList",
    "Push",
    "Reconcile",
    "ReconcileReply",
    "Want",
    "WantForks",
    "WantItem",
    "decode_ack",
    "decode_error",
    "decode_event_batch",
    "decode_fork_proofs",
    "decode_frontier",
    "decode_hello",
    "decode_message",
    "decode_peer_list",
    "decode_push",
    "decode_reconcile",
    "decode_reconcile_reply",
    "decode_want",
    "decode_want_forks",
    "encode_ack",
    "encode_error",
    "encode_event_batch",
    "encode_fork_proofs",
    "encode_frontier",
    "encode_hello",
    "encode_message",
    "encode_peer_list",
    "encode_push",
    "encode_reconcile",
    "encode_reconcile_reply",
    "encode_want",
    "encode_want_forks",
]

PROTOCOL_VERSION = 2
"""The newest peer protocol this node speaks; version 1 (full frontiers, no reconcile) is still spoken to old peers."""
OLDEST_PROTOCOL_VERSION = 1

Message = (
    Hello
    | Frontier
    | Want
    | EventBatch
    | ForkProofs
    | PeerList
    | Push
    | Ack
    | WantForks
    | ErrorReply
    | Reconcile
    | ReconcileReply
)
_ALL = (Hello, Frontier, Want, EventBatch, ForkProofs, PeerList, Push, Ack, WantForks, ErrorReply, Reconcile, ReconcileReply)
MESSAGE_TYPES: dict[int, Any] = {cls.TAG: cls for cls in _ALL}
M = TypeVar("M")
_EVENT_BATCH_PREFIX = bytes([0x92, EventBatch.TAG])


def encode_message(message: Message) -> bytes:
    """Return the canonical bytes of a message: [tag, field...]."""
    data = pack([message.TAG, *message.items()])
    if len(data) > MAX_MESSAGE_SIZE:
        raise TooLargeError(f"message has {len(data)} bytes, more than {MAX_MESSAGE_SIZE}", field="message")
    return data


def _bin_size(length: int) -> int:
    return length + (2 if length < 0x100 else 3 if length < 0x10000 else 5)


def _array_header_size(count: int) -> int:
    return 1 if count < 16 else 3 if count < 0x10000 else 5


def _decode_event_batch(data: bytes) -> EventBatch:
    """Decode an event_batch without re-encoding it: it is canonical iff its size is that of its shortest encoding.

    Every msgpack value has one shortest encoding and any other is longer, so once the parts have the right
    types (records are checked by `events.record_parts`, their headers for canonicity) comparing the total
    length with the sum of the shortest lengths is the same test as re-encoding, at a fraction of the cost.
    """
    if len(data) > MAX_MESSAGE_SIZE:
        raise MessageError(f"message is not canonical msgpack: {len(data)} bytes, more than {MAX_MESSAGE_SIZE}", field="message")
    try:
        value = unpack_array_fast(data)
    except EventError as exc:
        raise MessageError(f"message is not canonical msgpack: {exc}", field="message") from None
    batch = EventBatch.parse(value[1:])
    size = 2 + _array_header_size(len(batch.events))
    for e in batch.events:
        size += 67 + _bin_size(len(e.header_bytes)) + (1 if e.payload is None else _bin_size(len(e.payload)))
    if size != len(data):
        raise MessageError("message is not canonical msgpack: not the canonical encoding of its value", field="message")
    return batch


def decode_message(data: bytes, expected: type[M] | tuple[type, ...] | None = None) -> M:
    """Decode one message; raise MessageError unless it is canonical, within limits and (if given) of `expected` type.

    The framing is checked first (`protocol.framing`), so a body whose headers break its message's shape is refused
    before any of it is decoded.
    """
    check_frame(data)
    if data[:2] == _EVENT_BATCH_PREFIX:
        cls: Any = EventBatch
        message = _decode_event_batch(data)
    else:
        try:
            value = unpack(data, max_size=MAX_MESSAGE_SIZE)
        except EventError as exc:
            raise MessageError(f"message is not canonical msgpack: {exc}", field="message") from None
        if type(value) is not list or not value or type(value[0]) is not int:
            raise MessageError("message is not an array starting with an integer tag", field="tag")
        cls = MESSAGE_TYPES.get(value[0])
        if cls is None:
            raise UnknownMessageError(f"message tag {value[0]} is unknown", field="tag")
        message = cls.parse(value[1:])
    if expected is not None and not isinstance(message, expected):
        names = expected.__name__ if isinstance(expected, type) else "/".join(t.__name__ for t in expected)
        raise UnexpectedMessageError(f"got {cls.__name__} where {names} was expected", field="tag")
    return message


def _pair(cls: type[M]) -> tuple[Callable[[M], bytes], Callable[[bytes], M]]:
    def decode(data: bytes) -> M:
        return decode_message(data, cls)

    decode.__doc__ = f"Decode a {cls.__name__} message; raise MessageError otherwise."
    return encode_message, decode


encode_hello, decode_hello = _pair(Hello)
encode_frontier, decode_frontier = _pair(Frontier)
encode_want, decode_want = _pair(Want)
encode_event_batch, decode_event_batch = _pair(EventBatch)
encode_fork_proofs, decode_fork_proofs = _pair(ForkProofs)
encode_peer_list, decode_peer_list = _pair(PeerList)
encode_push, decode_push = _pair(Push)
encode_ack, decode_ack = _pair(Ack)
encode_want_forks, decode_want_forks = _pair(WantForks)
encode_error, decode_error = _pair(ErrorReply)
encode_reconcile, decode_reconcile = _pair(Reconcile)
encode_reconcile_reply, decode_reconcile_reply = _pair(ReconcileReply)
