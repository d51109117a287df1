"""Partitioned bundle reading: every worker frames the whole bundle but decodes only its own authors' items.

The framing, head, item and trailer rules are those of `events.bundle.BundleReader` (a test checks that
the two agree item for item); what differs is speed and selection. Framing is cheap, decoding and
verifying are not, so a worker decodes only the items whose author falls in its partition and passes
over the rest. Only the worker that `checks_trailer` hashes the bytes; the others leave that to it.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator

import msgpack

from events import DecodeError, Event, EventError, ForkProof, event_from_parts
from events.bundle import TAG_END, TAG_EVENT, TAG_FORK, BadItem, BundleError, BundleHead, parse_bundle_head
from events.canonical import packb_plain
from events.event import MAX_RECORD_SIZE
from events.fork import MAX_FORK_PROOF_SIZE, decode_fork_proof

from .errors import DamagedSourceError, SourceError

_MAX_ITEM = MAX_RECORD_SIZE + 16
CHUNK_SIZE = 1 << 16
# A header is a fixarray(8), version 1, then bin8 of 32 bytes: the author sits at bytes 4..36.
_AUTHOR_PREFIX = b"\x98\x01\xc4\x20"


def partition_of(author: bytes, workers: int) -> int:
    """Return the worker (0 .. workers-1) that handles `author`; stable across processes and runs."""
    return zlib.crc32(author) % workers


def item_author(value: object) -> bytes:
    """Return the author an item claims (header bytes 4..36, or a fork proof's first header); b'' if none."""
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


class PartitionReader:
    """Yields (index, Event | ForkProof | BadItem) for this worker's items of a bundle read from byte chunks.

    Raises SourceError on broken framing. `offset` is the number of bytes framed so far (for progress).
    `count` is set once the trailer was checked (by the worker that checks it).
    """

    def __init__(self, chunks: Iterable[bytes], *, worker: int = 0, workers: int = 1, checks_trailer: bool = True):
        self._chunks = iter(chunks)
        self._unpacker = msgpack.Unpacker(raw=False, max_buffer_size=4 * _MAX_ITEM, strict_map_key=True, ext_hook=_no_ext)
        self._digest = hashlib.sha256() if checks_trailer else None
        # _buf holds the input from byte _base of the bundle on; the bytes the unpacker has not consumed yet
        # start at _buf[offset - _base]; the digest covers every consumed byte before _buf[_hashed] (hashed a
        # buffer at a time, not an item at a time)
        self._buf = b""
        self._base = 0
        self._hashed = 0
        self._worker = worker
        self._workers = workers
        self.offset = 0
        self.head: BundleHead | None = None
        self.count: int | None = None

    def _refill(self) -> bool:
        """Feed the unpacker the next chunk; False at the end of input (raising if an item is incomplete)."""
        chunk = next(self._chunks, None)
        pos = self.offset - self._base
        if chunk is None:
            if len(self._buf) > pos:
                error = DamagedSourceError if self.head is not None else SourceError
                raise error(f"bundle is truncated: {len(self._buf) - pos} byte(s) of an incomplete item") from None
            return False
        if self._digest is not None:
            self._digest.update(memoryview(self._buf)[self._hashed : pos])
        self._buf = self._buf[pos:] + chunk
        self._base = self.offset
        self._hashed = 0
        self._unpacker.feed(chunk)
        return True

    def _next(self) -> tuple[object, int] | None:
        """Return the next value and its size (its bytes end at `offset`); None at the end of input."""
        while True:
            try:
                value = self._unpacker.unpack()
            except msgpack.OutOfData:
                if not self._refill():
                    return None
                continue
            except (msgpack.FormatError, msgpack.StackError, ValueError, DecodeError) as exc:
                raise DamagedSourceError(f"bundle framing is broken after byte {self.offset}: {exc}") from None
            end = self._unpacker.tell()
            size = end - self.offset
            self.offset = end
            return value, size

    def _last_bytes(self, size: int) -> bytes:
        pos = self.offset - self._base
        return self._buf[pos - size : pos]

    def __iter__(self) -> Iterator[tuple[int, Event | ForkProof | BadItem]]:
        first = self._next()
        if first is None:
            raise SourceError("bundle is empty")
        value, size = first
        try:
            self.head = parse_bundle_head(value, self._last_bytes(size))
        except BundleError as exc:
            raise SourceError(exc.message) from None
        workers, worker = self._workers, self._worker
        # _next inlined (with item_author and partition_of for an event item): this loop runs for every item
        # of the bundle in every worker, most of them another worker's
        unpack, tell, crc32 = self._unpacker.unpack, self._unpacker.tell, zlib.crc32
        index = 0
        while True:
            try:
                value = unpack()
            except msgpack.OutOfData:
                if not self._refill():
                    raise DamagedSourceError(f"bundle is truncated: no trailer after {index} item(s)") from None
                continue
            except (msgpack.FormatError, msgpack.StackError, ValueError, DecodeError) as exc:
                raise DamagedSourceError(f"bundle framing is broken after byte {self.offset}: {exc}") from None
            end = tell()
            size = end - self.offset
            self.offset = end
            if type(value) is list and value:
                tag = value[0]
                if tag == TAG_END:
                    self._check_end(value, size, index)
                    return
                if workers == 1:
                    mine = True
                elif tag == TAG_EVENT and len(value) >= 2 and type(data := value[1]) is bytes and data[:4] == _AUTHOR_PREFIX:
                    mine = crc32(data[4:36]) % workers == worker
                else:
                    mine = partition_of(item_author(value), workers) == worker
            else:
                mine = workers == 1 or partition_of(b"", workers) == worker
            if mine:
                yield index, decode_item(index, value, size)
            index += 1

    def _check_end(self, value: list, size: int, index: int) -> None:
        digest = self._digest
        if digest is None:
            return
        pos = self.offset - self._base
        digest.update(memoryview(self._buf)[self._hashed : pos - size])
        self._hashed = pos
        if len(value) != 3 or value[1] != index or value[2] != digest.digest():
            raise DamagedSourceError(
                f"bundle trailer does not match: it counts {value[1] if len(value) > 1 else '?'} item(s), "
                f"{index} were read, or the digest of the bundle differs (damaged or reordered bytes)"
            )
        if packb_plain(value) != self._last_bytes(size):
            raise DamagedSourceError("bundle trailer is not canonically encoded")
        rest = self._buf[self.offset - self._base :] + b"".join(self._chunks)
        if rest:
            raise DamagedSourceError(f"{len(rest)} byte(s) of trailing garbage after the bundle trailer")
        self.count = index


def decode_item(index: int, value: object, size: int) -> Event | ForkProof | BadItem:
    """Return the Event or ForkProof an item (`size` bytes, decoded to `value`) holds, or a BadItem saying why it is neither."""
    try:
        if size > _MAX_ITEM:
            raise DecodeError(f"item has {size} bytes, more than {_MAX_ITEM}", field="record")
        if type(value) is not list or not value:
            raise DecodeError("item is not a tagged array", field="record")
        if value[0] == TAG_EVENT and len(value) == 4:
            event = event_from_parts(value[1], value[2], value[3])
            # Every other encoding of these values is longer (a wider array, int or bin prefix): equal length
            # means canonical, the same verdict as re-encoding and comparing (which BundleReader does).
            payload, length = event.payload, len(event.header_bytes)
            # array and tag 2 bytes, the 64-byte signature 66 (written out: this runs for every event read)
            canonical = 68 + length + (2 if length < 0x100 else 3) + (1 if payload is None else _bin_size(payload))
            if size != canonical:
                raise DecodeError("event item is not canonically encoded", field="record")
            return event
        if value[0] == TAG_FORK and len(value) == 2 and type(value[1]) is bytes:
            if len(value[1]) > MAX_FORK_PROOF_SIZE:
                raise DecodeError("fork proof is too large", field="fork_proof")
            return decode_fork_proof(value[1])
        raise DecodeError(f"unknown item tag {value[0]!r}", field="record")
    except EventError as exc:
        return BadItem(index, exc)


def _bin_size(data: bytes | None) -> int:
    if data is None:
        return 1
    size = len(data)
    return size + (2 if size < 0x100 else 3 if size < 0x10000 else 5)


def _no_ext(code: int, data: bytes) -> object:
    raise DecodeError(f"extension type {code} is not allowed")
