"""Node-to-node messages: frozen values, each encoded as one canonical msgpack array whose first item is its tag.

Every message has exactly one encoding (`events.canonical`): lists that act as sets are strictly sorted,
so a decoder can reject any other byte string for the same value. Decoding checks the tag, the arity,
the type and range of every field and the message size before anything else sees the value; events
inside are checked as records (header, signature length, payload digest) but not for signatures,
which is the replica's job. See docs/PROTOCOL.md §13 for the byte layout of each message.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from events import Event, EventError, ForkProof, decode_fork_proof, encode_fork_proof, record_parts
from events.canonical import pack, unpack, unpack_array_fast
from events.event import MAX_RECORD_SIZE

from .errors import MessageError, UnexpectedMessageError, UnknownMessageError

PROTOCOL_VERSION = 1

MAX_BATCH_EVENTS = 1000
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_MESSAGE_SIZE = MAX_BATCH_BYTES + MAX_RECORD_SIZE + 1024
MAX_FRONTIER_ENTRIES = 65536
MAX_WANT_ITEMS = 1024
MAX_WANT_LIMIT = 100_000
MAX_FORK_PROOFS = 256
MAX_PEERS = 256
MAX_URL_LENGTH = 512
MAX_ERROR_MESSAGE = 512
MAX_UINT = 2**63 - 1

FLAG_SERVES_EVENTS = 1
FLAG_ACCEPTS_PUSH = 2
FLAG_PEER_EXCHANGE = 4
KNOWN_FLAGS = FLAG_SERVES_EVENTS | FLAG_ACCEPTS_PUSH | FLAG_PEER_EXCHANGE

_URL = re.compile(r"https?://[!-~]+")
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _fail(message: str, field: str) -> MessageError:
    return MessageError(message, field=field)


def _uint(value: Any, field: str, low: int = 0, high: int = MAX_UINT) -> int:
    if type(value) is not int or not low <= value <= high:
        raise _fail(f"{field} is not an integer from {low} to {high}", field)
    return value


def _key(value: Any, field: str) -> bytes:
    if type(value) is not bytes or len(value) != 32:
        raise _fail(f"{field} is not 32 bytes of bin", field)
    return value


def _array(value: Any, field: str, limit: int) -> list:
    if type(value) is not list:
        raise _fail(f"{field} is not an array", field)
    if len(value) > limit:
        raise _fail(f"{field} has {len(value)} items, more than {limit}", field)
    return value


def _ascending(keys: list, field: str) -> None:
    for a, b in itertools.pairwise(keys):
        if not a < b:
            raise _fail(f"{field} is not strictly ascending (duplicate or unsorted)", field)


def _records(value: Any, field: str) -> tuple[Event, ...]:
    items = _array(value, field, MAX_BATCH_EVENTS)
    try:
        return tuple(record_parts(item) for item in items)
    except EventError as exc:
        raise _fail(f"an event record is malformed: {exc}", field) from None


@dataclass(frozen=True, slots=True)
class Hello:
    """Who a node is and what it offers: protocol version, group key, feature flags, batch limits."""

    TAG: ClassVar[int] = 1
    version: int
    group: bytes
    flags: int = KNOWN_FLAGS
    max_batch_events: int = MAX_BATCH_EVENTS
    max_batch_bytes: int = MAX_BATCH_BYTES

    def items(self) -> list:
        return [self.version, self.group, self.flags, self.max_batch_events, self.max_batch_bytes]

    @classmethod
    def parse(cls, items: list) -> Hello:
        version, group, flags, events, size = _arity(items, 5, "hello")
        return cls(
            _uint(version, "version"),
            _key(group, "group"),
            _uint(flags, "flags", 0, 2**32 - 1),
            _uint(events, "max_batch_events", 1, MAX_BATCH_EVENTS),
            _uint(size, "max_batch_bytes", 1, MAX_BATCH_BYTES),
        )


@dataclass(frozen=True, slots=True)
class FrontierEntry:
    """One author's log as a node holds it: the newest seq and that event's id."""

    author: bytes
    seq: int
    head: bytes


@dataclass(frozen=True, slots=True)
class Frontier:
    """Every author a node holds (ascending by author) and the authors it holds fork proofs for."""

    TAG: ClassVar[int] = 2
    entries: tuple[FrontierEntry, ...]
    forked: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(sorted(self.entries, key=lambda e: e.author)))
        object.__setattr__(self, "forked", tuple(sorted(set(self.forked))))

    def as_dict(self) -> dict[bytes, FrontierEntry]:
        """Return the entries keyed by author."""
        return {e.author: e for e in self.entries}

    def items(self) -> list:
        return [[[e.author, e.seq, e.head] for e in self.entries], list(self.forked)]

    @classmethod
    def parse(cls, items: list) -> Frontier:
        raw_entries, raw_forked = _arity(items, 2, "frontier")
        entries = []
        for raw in _array(raw_entries, "entries", MAX_FRONTIER_ENTRIES):
            author, seq, head = _arity(raw, 3, "entry")
            entries.append(FrontierEntry(_key(author, "author"), _uint(seq, "seq", 1), _key(head, "head")))
        _ascending([e.author for e in entries], "entries")
        forked = [_key(a, "forked") for a in _array(raw_forked, "forked", MAX_FRONTIER_ENTRIES)]
        _ascending(forked, "forked")
        return cls(tuple(entries), tuple(forked))


@dataclass(frozen=True, slots=True)
class WantItem:
    """Ask for `limit` events of `author`'s log starting at `from_seq`."""

    author: bytes
    from_seq: int
    limit: int


@dataclass(frozen=True, slots=True)
class Want:
    """Ask for events (one item per author, ascending); the reply is an EventBatch within the given bounds."""

    TAG: ClassVar[int] = 3
    wants: tuple[WantItem, ...]
    max_events: int = 500
    max_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        object.__setattr__(self, "wants", tuple(sorted(self.wants, key=lambda w: w.author)))

    def items(self) -> list:
        return [[[w.author, w.from_seq, w.limit] for w in self.wants], self.max_events, self.max_bytes]

    @classmethod
    def parse(cls, items: list) -> Want:
        raw_wants, max_events, max_bytes = _arity(items, 3, "want")
        wants = []
        for raw in _array(raw_wants, "wants", MAX_WANT_ITEMS):
            author, from_seq, limit = _arity(raw, 3, "want item")
            wants.append(
                WantItem(_key(author, "author"), _uint(from_seq, "from_seq", 1), _uint(limit, "limit", 1, MAX_WANT_LIMIT))
            )
        _ascending([w.author for w in wants], "wants")
        return cls(
            tuple(wants),
            _uint(max_events, "max_events", 1, MAX_BATCH_EVENTS),
            _uint(max_bytes, "max_bytes", 1, MAX_BATCH_BYTES),
        )


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events as records [header, signature, payload | nil], in the order the wants were served."""

    TAG: ClassVar[int] = 4
    events: tuple[Event, ...]

    def items(self) -> list:
        return [[[e.header_bytes, e.signature, e.payload] for e in self.events]]

    @classmethod
    def parse(cls, items: list) -> EventBatch:
        (records,) = _arity(items, 1, "event batch")
        return cls(_records(records, "events"))


@dataclass(frozen=True, slots=True)
class ForkProofs:
    """Fork proofs, each as the bin of its `events.fork` encoding (verified on decode)."""

    TAG: ClassVar[int] = 5
    proofs: tuple[ForkProof, ...]

    def items(self) -> list:
        return [[encode_fork_proof(p) for p in self.proofs]]

    @classmethod
    def parse(cls, items: list) -> ForkProofs:
        (raw,) = _arity(items, 1, "fork proofs")
        proofs = []
        for data in _array(raw, "proofs", MAX_FORK_PROOFS):
            if type(data) is not bytes:
                raise _fail("a fork proof is not bin", "proofs")
            try:
                proofs.append(decode_fork_proof(data))
            except EventError as exc:
                raise _fail(f"a fork proof does not prove a fork: {exc}", "proofs") from None
        return cls(tuple(proofs))


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A peer's base URL and, when known, its group key."""

    url: str
    group: bytes | None = None


@dataclass(frozen=True, slots=True)
class PeerList:
    """Peers a node knows (ascending by URL, one entry per URL)."""

    TAG: ClassVar[int] = 6
    peers: tuple[PeerInfo, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "peers", tuple(sorted(self.peers, key=lambda p: p.url.encode())))

    def items(self) -> list:
        return [[[p.url, p.group] for p in self.peers]]

    @classmethod
    def parse(cls, items: list) -> PeerList:
        (raw,) = _arity(items, 1, "peer list")
        peers = []
        for entry in _array(raw, "peers", MAX_PEERS):
            url, group = _arity(entry, 2, "peer")
            if type(url) is not str or len(url) > MAX_URL_LENGTH or not _URL.fullmatch(url):
                raise _fail(f"peer url is not an http(s) URL of at most {MAX_URL_LENGTH} characters", "url")
            peers.append(PeerInfo(url, None if group is None else _key(group, "group")))
        _ascending([p.url.encode() for p in peers], "peers")
        return cls(tuple(peers))


@dataclass(frozen=True, slots=True)
class Push:
    """New events sent at once, and heads announced without their events (the receiver pulls if it lacks them)."""

    TAG: ClassVar[int] = 7
    events: tuple[Event, ...] = ()
    heads: tuple[FrontierEntry, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "heads", tuple(sorted(self.heads, key=lambda e: e.author)))

    def items(self) -> list:
        return [[[e.header_bytes, e.signature, e.payload] for e in self.events], [[h.author, h.seq, h.head] for h in self.heads]]

    @classmethod
    def parse(cls, items: list) -> Push:
        records, raw_heads = _arity(items, 2, "push")
        heads = []
        for raw in _array(raw_heads, "heads", MAX_WANT_ITEMS):
            author, seq, head = _arity(raw, 3, "head")
            heads.append(FrontierEntry(_key(author, "author"), _uint(seq, "seq", 1), _key(head, "head")))
        _ascending([h.author for h in heads], "heads")
        return cls(_records(records, "events"), tuple(heads))


@dataclass(frozen=True, slots=True)
class Ack:
    """The outcome of a push (events or fork proofs): how many were stored, duplicates, forks, rejected."""

    TAG: ClassVar[int] = 8
    stored: int = 0
    duplicates: int = 0
    forks: int = 0
    rejected: int = 0

    def items(self) -> list:
        return [self.stored, self.duplicates, self.forks, self.rejected]

    @classmethod
    def parse(cls, items: list) -> Ack:
        values = _arity(items, 4, "ack")
        names = ("stored", "duplicates", "forks", "rejected")
        return cls(*(_uint(v, n) for v, n in zip(values, names, strict=True)))


@dataclass(frozen=True, slots=True)
class WantForks:
    """Ask for the fork proofs held for these authors (ascending); the reply is ForkProofs."""

    TAG: ClassVar[int] = 9
    authors: tuple[bytes, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "authors", tuple(sorted(set(self.authors))))

    def items(self) -> list:
        return [list(self.authors)]

    @classmethod
    def parse(cls, items: list) -> WantForks:
        (raw,) = _arity(items, 1, "want forks")
        authors = [_key(a, "authors") for a in _array(raw, "authors", MAX_FORK_PROOFS)]
        _ascending(authors, "authors")
        return cls(tuple(authors))


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """A refusal: a machine-readable code and a sentence for people."""

    TAG: ClassVar[int] = 10
    code: str
    message: str

    def items(self) -> list:
        return [self.code, self.message]

    @classmethod
    def parse(cls, items: list) -> ErrorReply:
        code, message = _arity(items, 2, "error")
        if type(code) is not str or not _ERROR_CODE.fullmatch(code):
            raise _fail("error code is not a lowercase identifier of at most 64 characters", "code")
        if type(message) is not str or len(message) > MAX_ERROR_MESSAGE:
            raise _fail(f"error message is not text of at most {MAX_ERROR_MESSAGE} characters", "message")
        return cls(code, message)


Message = Hello | Frontier | Want | EventBatch | ForkProofs | PeerList | Push | Ack | WantForks | ErrorReply
MESSAGE_TYPES: dict[int, Any] = {
    cls.TAG: cls for cls in (Hello, Frontier, Want, EventBatch, ForkProofs, PeerList, Push, Ack, WantForks, ErrorReply)
}
M = TypeVar("M")
_EVENT_BATCH_PREFIX = bytes([0x92, EventBatch.TAG])


def _arity(value: Any, count: int, what: str) -> list:
    if type(value) is not list or len(value) != count:
        raise _fail(f"{what} is not an array of {count} fields", what.replace(" ", "_"))
    return value


def encode_message(message: Message) -> bytes:
    """Return the canonical bytes of a message: [tag, field...]."""
    data = pack([message.TAG, *message.items()])
    if len(data) > MAX_MESSAGE_SIZE:
        raise MessageError(f"message has {len(data)} bytes, more than {MAX_MESSAGE_SIZE}", field="message")
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
    """Decode one message; raise MessageError unless it is canonical, within limits and (if given) of `expected` type."""
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
