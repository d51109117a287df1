"""The portable log bundle: a stream of canonical msgpack items, written and read in constant memory.

Layout (docs/PROTOCOL.md, "Log bundle"): a head item, then any number of event and fork-proof items,
then a trailer that counts the items and carries the SHA-256 of every byte before it. A bundle
without its trailer is truncated; any byte after the trailer is trailing garbage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgpack

from .canonical import pack, packb_plain
from .errors import BundleError, DecodeError, EventError, TrailingBytesError
from .event import MAX_RECORD_SIZE, Event, event_from_parts
from .fork import MAX_FORK_PROOF_SIZE, ForkProof, decode_fork_proof, encode_fork_proof

BUNDLE_FORMAT = "solnet-bundle"
BUNDLE_VERSION = 1
TAG_EVENT = 1
TAG_FORK = 2
TAG_END = 3
_MAX_ITEM = MAX_RECORD_SIZE + 16


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
    """Reads a bundle from byte chunks; yields Event, ForkProof or BadItem values, then checks the trailer.

    A malformed item does not stop the reading (an auditor wants every problem); a broken framing,
    a missing or wrong trailer, or bytes after the trailer raise BundleError.
    """

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=4 * _MAX_ITEM, strict_map_key=True, ext_hook=_no_ext)
        self._digest = hashlib.sha256()
        self._offset = 0
        # Bytes fed to the unpacker but not yet returned as an item; a bytearray drops its front cheaply.
        self._buffer = bytearray()
        self._rest = b""
        self.head: BundleHead | None = None
        self.count = 0

    def _next_raw(self) -> tuple[object, bytes] | None:
        """Return (value, its bytes) of the next item, or None at a clean end of input."""
        while True:
            try:
                value = self._unpacker.unpack()
            except msgpack.OutOfData:
                piece = self._next_piece()
                if piece is None:
                    if self._buffer:
                        raise BundleError(f"bundle is truncated: {len(self._buffer)} byte(s) of an incomplete item") from None
                    return None
                self._buffer += piece
                try:
                    self._unpacker.feed(piece)
                except msgpack.BufferFull:
                    raise BundleError(f"bundle item after byte {self._offset} is larger than {_MAX_ITEM} bytes") from None
                continue
            except (msgpack.FormatError, msgpack.StackError, ValueError, DecodeError) as exc:
                raise BundleError(f"bundle framing is broken after byte {self._offset}: {exc}") from None
            size = self._unpacker.tell() - self._offset
            raw = bytes(self._buffer[:size])
            del self._buffer[:size]
            self._offset += size
            return value, raw

    def _next_piece(self) -> bytes | None:
        """Return the next at most _MAX_ITEM input bytes (the unpacker's buffer is bounded), None at the end."""
        while not self._rest:
            chunk = next(self._chunks, None)
            if chunk is None:
                return None
            self._rest = bytes(chunk)
        piece, self._rest = self._rest[:_MAX_ITEM], self._rest[_MAX_ITEM:]
        return piece

    def __iter__(self) -> Iterator[Event | ForkProof | BadItem]:
        first = self._next_raw()
        if first is None:
            raise BundleError("bundle is empty")
        value, raw = first
        self.head = parse_bundle_head(value, raw)
        self._digest.update(raw)
        index = 0
        while True:
            item = self._next_raw()
            if item is None:
                raise BundleError(f"bundle is truncated: no trailer after {index} item(s)")
            value, raw = item
            if type(value) is list and value and value[0] == TAG_END:
                self._check_end(value, raw, index)
                return
            self._digest.update(raw)
            yield self._item(index, value, raw)
            index += 1

    def _item(self, index: int, value: object, raw: bytes) -> Event | ForkProof | BadItem:
        try:
            if len(raw) > _MAX_ITEM:
                raise DecodeError(f"item has {len(raw)} bytes, more than {_MAX_ITEM}", field="record")
            if type(value) is not list or not value:
                raise DecodeError("item is not a tagged array", field="record")
            if value[0] == TAG_EVENT and len(value) == 4:
                event = event_from_parts(value[1], value[2], value[3])
                if packb_plain([TAG_EVENT, event.header_bytes, event.signature, event.payload]) != raw:
                    raise DecodeError("event item is not canonically encoded", field="record")
                return event
            if value[0] == TAG_FORK and len(value) == 2 and type(value[1]) is bytes:
                if len(value[1]) > MAX_FORK_PROOF_SIZE:
                    raise DecodeError("fork proof is too large", field="fork_proof")
                if packb_plain([TAG_FORK, value[1]]) != raw:
                    raise DecodeError("fork proof item is not canonically encoded", field="record")
                return decode_fork_proof(value[1])
            raise DecodeError(f"unknown item tag {value[0]!r}", field="record")
        except EventError as exc:
            return BadItem(index, exc)

    def _check_end(self, value: list, raw: bytes, index: int) -> None:
        # Comparing bytes, not values: 3.0 == 3 in Python, but a float trailer is not canonical.
        if raw != packb_plain([TAG_END, index, self._digest.digest()]):
            raise BundleError(
                f"bundle trailer does not match: it counts {value[1] if len(value) > 1 else '?'} item(s), "
                f"{index} were read, or the digest of the bundle differs (damaged or reordered bytes)"
            )
        rest = bytes(self._buffer) + self._rest + b"".join(self._chunks)
        if rest:
            raise BundleError(f"{len(rest)} byte(s) of trailing garbage after the bundle trailer") from TrailingBytesError(
                "trailing bytes"
            )
        self.count = index


def parse_bundle_head(value: object, raw: bytes) -> BundleHead:
    """Return the head of a bundle from its first decoded item and that item's bytes; raise BundleError if it is not one."""
    if not isinstance(value, dict) or value.get("format") != BUNDLE_FORMAT:
        raise BundleError("not a solnet bundle (no bundle head)")
    if value.get("version") != BUNDLE_VERSION:
        raise BundleError(f"bundle version {value.get('version')!r} is not supported")
    node, created = value.get("node"), value.get("created")
    if not isinstance(node, str) or type(created) is not int or not _is_canonical(value, raw):
        raise BundleError("bundle head is malformed")
    return BundleHead(node, created)


def _is_canonical(value: object, raw: bytes) -> bool:
    try:
        return pack(value) == raw
    except DecodeError:  # a float or another disallowed value somewhere in the head
        return False


def _no_ext(code: int, data: bytes) -> object:
    raise DecodeError(f"extension type {code} is not allowed")
