"""The node-to-node messages as frozen values: each knows its tag, its fields in wire order, and how to check them.

`items()` gives a message's fields as msgpack-ready values; `parse()` checks decoded fields (type, range,
canonical order) and builds the value. Encoding and decoding whole messages is `protocol.messages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from events import Event, EventError, ForkProof, decode_fork_proof, encode_fork_proof

from .fields import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_ERROR_MESSAGE,
    MAX_FORK_PROOFS,
    MAX_FRONTIER_ENTRIES,
    MAX_PEERS,
    MAX_URL_LENGTH,
    MAX_WANT_ITEMS,
    MAX_WANT_LIMIT,
    arity,
    array,
    ascending,
    fail,
    key,
    records,
    uint,
)

FLAG_SERVES_EVENTS = 1
FLAG_ACCEPTS_PUSH = 2
FLAG_PEER_EXCHANGE = 4
KNOWN_FLAGS = FLAG_SERVES_EVENTS | FLAG_ACCEPTS_PUSH | FLAG_PEER_EXCHANGE

_URL = re.compile(r"https?://[!-~]+")
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


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
        version, group, flags, events, size = arity(items, 5, "hello")
        return cls(
            uint(version, "version"),
            key(group, "group"),
            uint(flags, "flags", 0, 2**32 - 1),
            uint(events, "max_batch_events", 1, MAX_BATCH_EVENTS),
            uint(size, "max_batch_bytes", 1, MAX_BATCH_BYTES),
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
        raw_entries, raw_forked = arity(items, 2, "frontier")
        entries = []
        for raw in array(raw_entries, "entries", MAX_FRONTIER_ENTRIES):
            author, seq, head = arity(raw, 3, "entry")
            entries.append(FrontierEntry(key(author, "author"), uint(seq, "seq", 1), key(head, "head")))
        ascending([e.author for e in entries], "entries")
        forked = [key(a, "forked") for a in array(raw_forked, "forked", MAX_FRONTIER_ENTRIES)]
        ascending(forked, "forked")
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
        raw_wants, max_events, max_bytes = arity(items, 3, "want")
        wants = []
        for raw in array(raw_wants, "wants", MAX_WANT_ITEMS):
            author, from_seq, limit = arity(raw, 3, "want item")
            wants.append(WantItem(key(author, "author"), uint(from_seq, "from_seq", 1), uint(limit, "limit", 1, MAX_WANT_LIMIT)))
        ascending([w.author for w in wants], "wants")
        return cls(
            tuple(wants),
            uint(max_events, "max_events", 1, MAX_BATCH_EVENTS),
            uint(max_bytes, "max_bytes", 1, MAX_BATCH_BYTES),
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
        (raw,) = arity(items, 1, "event batch")
        return cls(records(raw, "events"))


@dataclass(frozen=True, slots=True)
class ForkProofs:
    """Fork proofs, each as the bin of its `events.fork` encoding (verified on decode)."""

    TAG: ClassVar[int] = 5
    proofs: tuple[ForkProof, ...]

    def items(self) -> list:
        return [[encode_fork_proof(p) for p in self.proofs]]

    @classmethod
    def parse(cls, items: list) -> ForkProofs:
        (raw,) = arity(items, 1, "fork proofs")
        proofs = []
        for data in array(raw, "proofs", MAX_FORK_PROOFS):
            if type(data) is not bytes:
                raise fail("a fork proof is not bin", "proofs")
            try:
                proofs.append(decode_fork_proof(data))
            except EventError as exc:
                raise fail(f"a fork proof does not prove a fork: {exc}", "proofs") from None
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
        (raw,) = arity(items, 1, "peer list")
        peers = []
        for entry in array(raw, "peers", MAX_PEERS):
            url, group = arity(entry, 2, "peer")
            if type(url) is not str or len(url) > MAX_URL_LENGTH or not _URL.fullmatch(url):
                raise fail(f"peer url is not an http(s) URL of at most {MAX_URL_LENGTH} characters", "url")
            peers.append(PeerInfo(url, None if group is None else key(group, "group")))
        ascending([p.url.encode() for p in peers], "peers")
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
        raw_events, raw_heads = arity(items, 2, "push")
        heads = []
        for raw in array(raw_heads, "heads", MAX_WANT_ITEMS):
            author, seq, head = arity(raw, 3, "head")
            heads.append(FrontierEntry(key(author, "author"), uint(seq, "seq", 1), key(head, "head")))
        ascending([h.author for h in heads], "heads")
        return cls(records(raw_events, "events"), tuple(heads))


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
        values = arity(items, 4, "ack")
        names = ("stored", "duplicates", "forks", "rejected")
        return cls(*(uint(v, n) for v, n in zip(values, names, strict=True)))


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
        (raw,) = arity(items, 1, "want forks")
        authors = [key(a, "authors") for a in array(raw, "authors", MAX_FORK_PROOFS)]
        ascending(authors, "authors")
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
        code, message = arity(items, 2, "error")
        if type(code) is not str or not _ERROR_CODE.fullmatch(code):
            raise fail("error code is not a lowercase identifier of at most 64 characters", "code")
        if type(message) is not str or len(message) > MAX_ERROR_MESSAGE:
            raise fail(f"error message is not text of at most {MAX_ERROR_MESSAGE} characters", "message")
        return cls(code, message)
