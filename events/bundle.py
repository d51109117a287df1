"""The portable log bundle: a stream of canonical msgpack items, written and read in constant memory.

Layout (docs/PROTOCOL.md, "Log bundle"): a head item, then any number of event and fork-proof items,
then a trailer that counts the items and carries the SHA-256 of every byte before it. A bundle
without its trailer is truncated; any byte after the trailer is trailing garbage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import msgpack

from .canonical import pack, packb_plain
from .errors import BundleError, DecodeError, EventError, TrailingBytesError
from .event import MAX_RECORD_SIZE, Event, event_from_parts
from .fork import MAX_FORK_PROOF_SIZE, ForkProof, decode_fork_proof, encode_fork_proof
from .msgframe import value_end

BUNDLE_FORMAT = "solnet-bundle"
BUNDLE_VERSION = 1
TAG_EVENT = 1
TAG_FORK = 2
TAG_END = 3
_MAX_ITEM = MAX_RECORD_SIZE + 16
MAX_ITEM_SIZE = _MAX_ITEM
"""The largest item (event or fork proof) in bytes: a reader holds one item at a time, so a larger one stops it."""
MAX_HEAD_SIZE = 1024
MAX_NODE_SIZE = 512  # UTF-8 bytes of the head's `node`
_HEAD_KEYS = ("created", "format", "node", "version")
# A header is a fixarray(8), version 1, then bin8 of 32 bytes: the author sits at bytes 4..36.
_AUTHOR_PREFIX = b"\x98\x01\xc4\x20"
_SKIPPABLE = frozenset({TAG_EVENT, TAG_FORK})  # as a positive fixint, the byte is the value
_FRAMING_ERRORS = (msgpack.FormatError, msgpack.StackError, ValueError, DecodeError)
Select = Callable[[bytes], bool]
"""Picks the items a BundleReader decodes, by the author they claim (b"" if none)."""


@dataclass(frozen=True, slots=True)
class BundleHead:
    """What the bundle says about itself: who wrote it and when (ms since the Unix epoch)."""

    node: str
    created: int


@dataclass(frozen=True, slots=True)
class BadItem:
    """An item that could not be read as an event or a fork proof, with its index and the reason."""

    index: int
    error: EventError


class BundleWriter:
    """Produces the bytes of a bundle piece by piece; `hashlib` keeps the running digest."""

    def __init__(self, head: BundleHead):
        self._digest = hashlib.sha256()
        self._count = 0
        self._head = self._emit(
            pack({"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "node": head.node, "created": head.created})
        )

    def _emit(self, data: bytes) -> bytes:
        self._digest.update(data)
        return data

    def head(self) -> bytes:
        return self._head

    def event(self, event: Event) -> bytes:
        self._count += 1
        return self._emit(packb_plain([TAG_EVENT, event.header_bytes, event.signature, event.payload]))

    def fork_proof(self, proof: ForkProof) -> bytes:
        self._count += 1
        return self._emit(packb_plain([TAG_FORK, encode_fork_proof(proof)]))

    def end(self) -> bytes:
        return packb_plain([TAG_END, self._count, self._digest.digest()])


def write_bundle(head: BundleHead, events: Iterable[Event], proofs: Iterable[ForkProof] = ()) -> Iterator[bytes]:
    """Yield the bytes of a whole bundle, in pieces."""
    writer = BundleWriter(head)
    yield writer.head()
    for event in events:
        yield writer.event(event)
    for proof in proofs:
        yield writer.fork_proof(proof)
    yield writer.end()


class BundleReader:
    """Reads a bundle from byte chunks: yields its items (Event, ForkProof or BadItem), then checks the trailer.

    A malformed item does not stop the reading (an auditor wants every problem); a broken framing, a missing or
    wrong trailer, or bytes after the trailer raise BundleError. `select` picks the items to decode: it is given
    the author an item claims (read from the item's bytes before it is decoded; b"" if it claims none), and
    the items it refuses are framed and counted, but neither decoded nor yielded. `check_trailer=False` skips
    hashing and the trailer checks, for readers that share a bundle with one that does them. `frame_only=True`
    yields nothing: it frames, counts and hashes every item and checks the trailer (a check of the bytes before
    anything is read), skipping an event or fork-proof item without building its values. `offset` is the
    number of bytes framed so far; `count` is the number of items, set once the trailer has been checked.
    """

    def __init__(
        self, chunks: Iterable[bytes], *, select: Select | None = None, check_trailer: bool = True, frame_only: bool = False
    ):
        self._chunks = iter(chunks)
        self._unpacker = _unpacker()
        self._origin = 0  # the offset in the bundle where the unpacker started (it is restarted after a malformed item)
        self._digest = hashlib.sha256() if check_trailer else None
        self._select = select
        self._frame_only = frame_only
        # _buf holds the input from byte _base of the bundle on; the bytes the unpacker has not consumed yet
        # start at _buf[offset - _base]; the digest covers every consumed byte before _buf[_hashed] (hashed a
        # buffer at a time, not an item at a time). _rest is what is left of an input chunk larger than an item.
        self._buf = b""
        self._base = 0
        self._hashed = 0
        self._rest = b""
        self.offset = 0
        self.head: BundleHead | None = None
        self.count: int | None = None

    def _next_piece(self) -> bytes | None:
        """Return the next at most _MAX_ITEM input bytes (the unpacker's buffer is bounded), None at the end."""
        rest = self._rest
        while not rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return None
            if len(chunk) <= _MAX_ITEM:
                return chunk
            rest = bytes(chunk)
        self._rest = rest[_MAX_ITEM:]
        return rest[:_MAX_ITEM]

    def _refill(self) -> bool:
        """Feed the unpacker the next piece of input; False at the end of input (raising if an item is incomplete)."""
        piece = self._pull()
        if piece is None:
            return False
        try:
            self._unpacker.feed(piece)
        except msgpack.BufferFull:
            raise BundleError(f"bundle item after byte {self.offset} is larger than {_MAX_ITEM} bytes") from None
        return True

    def _pull(self) -> bytes | None:
        """Append the next piece of input to the buffer and return it; None at the end (raising if an item is incomplete)."""
        piece = self._next_piece()
        pos = self.offset - self._base
        if piece is None:
            if len(self._buf) > pos:
                raise BundleError(f"bundle is truncated: {len(self._buf) - pos} byte(s) of an incomplete item") from None
            return None
        if self._digest is not None:
            self._digest.update(memoryview(self._buf)[self._hashed : pos])
        self._buf = self._buf[pos:] + piece
        self._base = self.offset
        self._hashed = 0
        return piece

    def _skip_malformed(self, exc: Exception) -> DecodeError:
        """Skip the well-framed item at `offset` that the decoder cannot represent, restarting the decoder after it.

        Raise BundleError if the bytes are not well-framed (events/msgframe.py); return the item's error.
        """
        while True:
            pos = self.offset - self._base
            try:
                end = value_end(self._buf, pos)
            except DecodeError as framing:
                raise BundleError(f"bundle framing is broken after byte {self.offset}: {framing}") from None
            if end is not None or len(self._buf) - pos > _MAX_ITEM:
                break
            if self._pull() is None:
                raise BundleError("bundle is truncated inside an item") from None
        if end is None or end - pos > _MAX_ITEM:
            raise BundleError(f"bundle item after byte {self.offset} is larger than {_MAX_ITEM} bytes") from None
        self.offset += end - pos
        self._origin = self.offset
        self._unpacker = _unpacker()
        self._unpacker.feed(self._buf[end:])
        return DecodeError(f"item is not canonical msgpack: {exc}", field="record")

    def _next(self) -> tuple[object, int] | None:
        """Return the next value and its size in bytes (they end at `offset`); None at the end of input."""
        while True:
            try:
                value = self._unpacker.unpack()
            except msgpack.OutOfData:
                if not self._refill():
                    return None
                continue
            except _FRAMING_ERRORS as exc:
                raise BundleError(f"bundle framing is broken after byte {self.offset}: {exc}") from None
            end = self._origin + self._unpacker.tell()
            size = end - self.offset
            self.offset = end
            return value, size

    def _last_bytes(self, size: int) -> bytes:
        """Return the bytes of the item just framed (`size` bytes ending at `offset`)."""
        pos = self.offset - self._base
        return self._buf[pos - size : pos]

    def __iter__(self) -> Iterator[Event | ForkProof | BadItem]:
        for _index, item in self.items():
            yield item

    def items(self) -> Iterator[tuple[int, Event | ForkProof | BadItem]]:
        """Yield (index, item) for each selected item (indexes count every item after the head), then check the trailer."""
        first = self._next()
        if first is None:
            raise BundleError("bundle is empty")
        if first[1] > MAX_HEAD_SIZE:
            raise BundleError(f"bundle head has {first[1]} bytes, more than {MAX_HEAD_SIZE}")
        self.head = parse_bundle_head(first[0], self._last_bytes(first[1]))
        unpacker, select, origin = self._unpacker, self._select, self._origin
        frame_only = self._frame_only
        index = 0
        skipping: bool | None = None  # how the current item is being read (kept across OutOfData: msgpack resumes it)
        # _next inlined, and the author of an event item read here: this loop runs for every item of the
        # bundle, in an audit once in every worker, most of the items another worker's
        while True:
            try:
                if skipping is None:
                    # (frame_only) an array of 1 to 15 values whose first is the int 1 or 2 is an event or a fork proof,
                    # never the trailer: skipped, as msgpack frames it, without building its values
                    buf, at = self._buf, self.offset - self._base
                    skipping = frame_only and len(buf) > at + 1 and 0x91 <= buf[at] <= 0x9F and buf[at + 1] in _SKIPPABLE
                value = unpacker.skip() if skipping else unpacker.unpack()
            except msgpack.OutOfData:
                if not self._refill():
                    raise BundleError(f"bundle is truncated: no trailer after {index} item(s)") from None
                continue
            except _FRAMING_ERRORS as exc:
                # well-framed but not representable (an extension type, a non-str map key, invalid UTF-8): a bad item
                skipping = None
                error = self._skip_malformed(exc)
                unpacker, origin = self._unpacker, self._origin
                if not frame_only and (select is None or select(b"")):
                    yield index, BadItem(index, error)
                index += 1
                continue
            end = origin + unpacker.tell()
            size = end - self.offset
            self.offset = end
            if size > _MAX_ITEM:
                raise BundleError(f"bundle item after byte {end - size} is larger than {_MAX_ITEM} bytes")
            if skipping:
                skipping = None
                index += 1
                continue
            skipping = None
            if type(value) is list and value:
                tag = value[0]
                if tag == TAG_END:
                    self._check_end(value, size, index)
                    return
                if frame_only:
                    pass
                elif select is None:
                    yield index, self._item(index, value, size)
                elif tag == TAG_EVENT and len(value) >= 2 and type(data := value[1]) is bytes and data[:4] == _AUTHOR_PREFIX:
                    if select(data[4:36]):
                        yield index, self._item(index, value, size)
                elif select(item_author(value)):
                    yield index, self._item(index, value, size)
            elif not frame_only and (select is None or select(b"")):
                yield index, self._item(index, value, size)
            index += 1

    def _item(self, index: int, value: object, size: int) -> Event | ForkProof | BadItem:
        try:
            if type(value) is not list or not value:
                raise DecodeError("item is not a tagged array", field="record")
            tag = value[0]
            # Canonical means shortest: every other encoding of the same values is longer (a wider array, int or
            # bin prefix), except `true` for the tag 1, so the item's length decides, without re-encoding it.
            if tag == TAG_EVENT and len(value) == 4:
                event = event_from_parts(value[1], value[2], value[3])
                length = len(event.header_bytes)
                # array and tag 2 bytes, the 64-byte signature 66 (written out: this runs for every event read)
                canonical = 68 + length + (2 if length < 0x100 else 3) + _bin_size(event.payload)
                if size != canonical or type(tag) is not int:
                    raise DecodeError("event item is not canonically encoded", field="record")
                return event
            if tag == TAG_FORK and len(value) == 2 and type(value[1]) is bytes:
                if len(value[1]) > MAX_FORK_PROOF_SIZE:
                    raise DecodeError("fork proof is too large", field="fork_proof")
                if size != 2 + _bin_size(value[1]) or type(tag) is not int:
                    raise DecodeError("fork proof item is not canonically encoded", field="record")
                return decode_fork_proof(value[1])
            raise DecodeError(f"unknown item tag {tag!r}", field="record")
        except EventError as exc:
            return BadItem(index, exc)

    def _check_end(self, value: list, size: int, index: int) -> None:
        digest = self._digest
        if digest is None:
            return
        pos = self.offset - self._base
        digest.update(memoryview(self._buf)[self._hashed : pos - size])
        self._hashed = pos
        expected = [TAG_END, index, digest.digest()]
        if value != expected:
            raise BundleError(
                f"bundle trailer does not match: it counts {value[1] if len(value) > 1 else '?'} item(s), "
                f"{index} were read, or the digest of the bundle differs (damaged or reordered bytes)"
            )
        # Comparing bytes, not values: 3.0 == 3 in Python, but a float trailer is not canonical.
        if self._last_bytes(size) != packb_plain(expected):
            raise BundleError("bundle trailer is not canonically encoded")
        # counted, not joined: trailing garbage may be large
        extra = len(self._buf) - pos + len(self._rest) + sum(len(chunk) for chunk in self._chunks)
        if extra:
            raise BundleError(f"{extra} byte(s) of trailing garbage after the bundle trailer") from TrailingBytesError(
                "trailing bytes"
            )
        self.count = index


def item_author(value: object) -> bytes:
    """Return the author a decoded item claims, from its raw header bytes (a fork proof's first header); b'' if none."""
    if type(value) is list and len(value) >= 2 and type(value[1]) is bytes:
        data = value[1]
        if value[0] == TAG_EVENT and data[:4] == _AUTHOR_PREFIX:
            return data[4:36]
        if value[0] == TAG_FORK:
            # [1, [header, ...], sig, ...]: the first header starts after a few framing bytes
            at = data.find(_AUTHOR_PREFIX)
            if 0 <= at < 8:
                return data[at + 4 : at + 36]
    return b""


def parse_bundle_head(value: object, raw: bytes) -> BundleHead:
    """Return the head of a bundle from its first decoded item and that item's bytes; raise BundleError if it is not one.

    docs/PROTOCOL.md §10: exactly the keys created, format, node, version; `node` a str of at most MAX_NODE_SIZE
    bytes (informational: it is not signed, so it is not checked as a group id), `created` an int 0 .. 2**63-1.
    """
    if not isinstance(value, dict) or value.get("format") != BUNDLE_FORMAT:
        raise BundleError("not a solnet bundle (no bundle head)")
    if type(value.get("version")) is not int or value["version"] != BUNDLE_VERSION:
        raise BundleError(f"bundle version {value.get('version')!r} is not supported")
    if tuple(sorted(value)) != _HEAD_KEYS:
        extra = ", ".join(sorted(set(value) - set(_HEAD_KEYS))) or "none"
        raise BundleError(f"bundle head must have exactly the keys {', '.join(_HEAD_KEYS)} (extra: {extra})")
    node, created = value["node"], value["created"]
    if type(node) is not str or type(created) is not int or not 0 <= created < 2**63 or not _is_canonical(value, raw):
        raise BundleError("bundle head is malformed (node must be text, created an int 0 .. 2**63-1, all canonical)")
    if len(node.encode("utf-8", "surrogatepass")) > MAX_NODE_SIZE:
        raise BundleError(f"bundle head's node has more than {MAX_NODE_SIZE} bytes")
    return BundleHead(node, created)


def _is_canonical(value: object, raw: bytes) -> bool:
    try:
        return pack(value) == raw
    except DecodeError:  # a float or another disallowed value somewhere in the head
        return False


def _bin_size(data: bytes | None) -> int:
    """Return the length of the canonical encoding of `data` (bin or nil)."""
    if data is None:
        return 1
    size = len(data)
    return size + (2 if size < 0x100 else 3 if size < 0x10000 else 5)


def _no_ext(code: int, data: bytes) -> object:
    raise DecodeError(f"extension type {code} is not allowed")


def _unpacker() -> msgpack.Unpacker:
    return msgpack.Unpacker(raw=False, max_buffer_size=4 * _MAX_ITEM, strict_map_key=True, ext_hook=_no_ext)
