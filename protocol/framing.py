"""A message's framing checked as its bytes arrive, before anything is decoded whole.

Every message has a fixed shape (docs/PROTOCOL.md §13.2): an array whose first item is the tag, then fields
that are scalars or arrays of a bounded count of items of one shape. `FrameCheck` walks the bytes with
msgpack's `Unpacker` (array headers read one at a time, scalars read one at a time with no container allowed)
and refuses at the first header that breaks the shape: a count over its limit, a map, an array where a
scalar belongs, a scalar of the wrong type or too long, nesting the shape does not have. So a hostile body is
refused after reading only as far as its first bad header, with memory proportional to what was read and no
value built for it; what passes is then decoded and checked in full by `protocol.messages`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import msgpack

from events.fork import MAX_FORK_PROOF_SIZE
from events.header import MAX_HEADER_SIZE, MAX_PAYLOAD_SIZE

from .errors import MessageError, UnknownMessageError
from .fields import (
    MAX_BATCH_EVENTS,
    MAX_ERROR_MESSAGE,
    MAX_FORK_PROOFS,
    MAX_FRONTIER_ENTRIES,
    MAX_MESSAGE_SIZE,
    MAX_PEERS,
    MAX_URL_LENGTH,
    MAX_WANT_ITEMS,
)
from .ranges import BRANCH, DIGEST_SIZE
from .recon_messages import ID_SIZE, MAX_CHECK_IDS, MAX_RANGE_ITEMS, MAX_RECON_FORKED, MAX_RECON_RANGES

__all__ = ["FrameCheck", "check_frame"]


@dataclass(frozen=True, slots=True)
class Scalar:
    """One scalar: its allowed Python types after decoding and, for str/bin, its largest length."""

    field: str
    types: tuple[type, ...]
    max_len: int = 0


@dataclass(frozen=True, slots=True)
class Fields:
    """An array of exactly these items (a message's fields, an entry, a record)."""

    name: str
    items: tuple[Scalar | Fields | Items | Loose, ...]


@dataclass(frozen=True, slots=True)
class Items:
    """An array of at most `limit` items of one shape."""

    field: str
    item: Scalar | Fields | Loose
    limit: int


@dataclass(frozen=True, slots=True)
class Loose:
    """A value of a few alternative shapes (checked in full by the message's parser after this): a scalar (int, bin
    of at most `max_len` bytes, or nil), or an array of at most limits[0] items, each again Loose with limits[1:]."""

    field: str
    limits: tuple[int, ...]
    max_len: int


def _uint(field: str) -> Scalar:
    return Scalar(field, (int,))


def _key(field: str) -> Scalar:
    return Scalar(field, (bytes,), 32)


def _entry(name: str) -> Fields:
    return Fields(name, (_key("author"), _uint("seq"), _key("head")))


_RECORD = Fields(
    "record",
    (
        Scalar("header", (bytes,), MAX_HEADER_SIZE),
        Scalar("signature", (bytes,), 64),
        Scalar("payload", (bytes, type(None)), MAX_PAYLOAD_SIZE),
    ),
)
_TEXT_BYTES = 4  # a character is at most 4 bytes of UTF-8; the decoder checks lengths in characters
SHAPES: dict[int, Fields] = {
    1: Fields("hello", (_uint("version"), _key("group"), _uint("flags"), _uint("max_batch_events"), _uint("max_batch_bytes"))),
    2: Fields(
        "frontier",
        (Items("entries", _entry("entry"), MAX_FRONTIER_ENTRIES), Items("forked", _key("forked"), MAX_FRONTIER_ENTRIES)),
    ),
    3: Fields(
        "want",
        (
            Items("wants", Fields("want item", (_key("author"), _uint("from_seq"), _uint("limit"))), MAX_WANT_ITEMS),
            _uint("max_events"),
            _uint("max_bytes"),
        ),
    ),
    4: Fields("event batch", (Items("events", _RECORD, MAX_BATCH_EVENTS),)),
    5: Fields("fork proofs", (Items("proofs", Scalar("proofs", (bytes,), MAX_FORK_PROOF_SIZE), MAX_FORK_PROOFS),)),
    6: Fields(
        "peer list",
        (
            Items(
                "peers",
                Fields("peer", (Scalar("url", (str,), MAX_URL_LENGTH * _TEXT_BYTES), Scalar("group", (bytes, type(None)), 32))),
                MAX_PEERS,
            ),
        ),
    ),
    7: Fields("push", (Items("events", _RECORD, MAX_BATCH_EVENTS), Items("heads", _entry("head"), MAX_WANT_ITEMS))),
    8: Fields("ack", (_uint("stored"), _uint("duplicates"), _uint("forks"), _uint("rejected"))),
    9: Fields("want forks", (Items("authors", _key("authors"), MAX_FORK_PROOFS),)),
    10: Fields("error", (Scalar("code", (str,), 64), Scalar("message", (str,), MAX_ERROR_MESSAGE * _TEXT_BYTES))),
    # reconcile: ranges of [bits, prefix, count, digest] or [bits, prefix, ids]; forked digest or nil
    11: Fields(
        "reconcile",
        (
            Items("ranges", Loose("range", (4,), MAX_CHECK_IDS * ID_SIZE), MAX_RECON_RANGES),
            Scalar("forked", (bytes, type(None)), DIGEST_SIZE),
        ),
    ),
    # reconcile reply: results of [mode], [mode, 16 x [count, digest]] or [mode, entries, missing]; forked or nil
    12: Fields(
        "reconcile reply",
        (
            Items("results", Loose("result", (3, max(BRANCH, MAX_RANGE_ITEMS), 3), 32), MAX_RECON_RANGES),
            Loose("forked", (MAX_RECON_FORKED,), 32),
        ),
    ),
}
"""The shape of each message by tag: the same fields, order and limits as `protocol.message_types`."""

_MAX_BIN = max(MAX_PAYLOAD_SIZE, MAX_FORK_PROOF_SIZE)
_MAX_STR = MAX_ERROR_MESSAGE * _TEXT_BYTES


def _what(shape: Scalar) -> str:
    names = {int: "an integer", bytes: "bin", str: "text", type(None): "nil"}
    kinds = " or ".join(names[t] for t in shape.types)
    return f"{kinds} of at most {shape.max_len} bytes" if shape.max_len else kinds


def _arity(shape: Fields) -> MessageError:
    return MessageError(f"{shape.name} is not an array of {len(shape.items)} fields", field=shape.name.replace(" ", "_"))


class FrameCheck:
    """Checks one message's framing incrementally: `feed` it the body's pieces as they arrive; it raises MessageError
    at the first header that breaks the message's shape, having read no further and built no container."""

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE):
        self.max_size = max_size
        self.size = 0
        self._unpacker = msgpack.Unpacker(
            raw=False,
            max_buffer_size=max_size,
            max_bin_len=_MAX_BIN,
            max_str_len=_MAX_STR,
            max_array_len=0,  # scalars are read with unpack(): a non-empty array or map there is refused at its header
            max_map_len=0,
            max_ext_len=0,
        )
        self._count = -1  # the top-level array's count, once read
        self._stack: list[list] = []  # [shape, position, end] of each open array
        self._done = False

    @property
    def complete(self) -> bool:
        """True once a whole message's framing has been read (bytes after it are the decoder's to refuse)."""
        return self._done

    def feed(self, data: bytes) -> None:
        """Check the next piece of the body; raise MessageError as soon as the framing read so far is wrong."""
        self.size += len(data)
        if self.size > self.max_size:
            raise MessageError(f"message has more than the limit of {self.max_size} bytes", field="message")
        if self._done or not data:
            return
        self._unpacker.feed(data)
        with contextlib.suppress(msgpack.OutOfData):  # (then it waits for the next piece)
            self._walk()

    def finish(self) -> None:
        """Raise MessageError unless a whole message's framing has been read."""
        if not self._done:
            raise MessageError("message ends before its last field", field="message")

    def _walk(self) -> None:
        u = self._unpacker
        if self._count < 0:
            try:
                self._count = u.read_array_header()
            except ValueError:
                raise MessageError("message is not an array starting with an integer tag", field="tag") from None
            if self._count == 0:
                raise MessageError("message is not an array starting with an integer tag", field="tag")
        if not self._stack:
            tag = self._scalar(Scalar("tag", (int,)))
            shape = SHAPES.get(tag)
            if shape is None:
                raise UnknownMessageError(f"message tag {tag} is unknown", field="tag")
            if self._count != len(shape.items) + 1:
                raise MessageError(
                    f"{shape.name} is not an array of {len(shape.items)} fields", field=shape.name.replace(" ", "_")
                )
            self._stack.append([shape, 0, len(shape.items)])
        stack = self._stack
        while stack:
            frame = stack[-1]
            shape, position, end = frame
            if position == end:
                stack.pop()
                continue
            want = shape.items[position] if type(shape) is Fields else shape.item
            if type(want) is Scalar:
                self._scalar(want)
                frame[1] = position + 1
                continue
            if type(want) is Loose:
                try:
                    count = u.read_array_header()
                except msgpack.OutOfData:
                    raise
                except ValueError:  # not an array (the header is not consumed): a scalar
                    self._scalar(Scalar(want.field, (int, bytes, type(None)), want.max_len))
                    frame[1] = position + 1
                    continue
                if not want.limits or count > want.limits[0]:
                    raise MessageError(f"{want.field} is nested too deeply or has too many items", field=want.field)
                frame[1] = position + 1
                stack.append([Items(want.field, Loose(want.field, want.limits[1:], want.max_len), want.limits[0]), 0, count])
                continue
            try:
                count = u.read_array_header()
            except msgpack.OutOfData:
                raise
            except ValueError:
                name = want.name if type(want) is Fields else want.field
                raise MessageError(f"{name} is not an array", field=name.replace(" ", "_")) from None
            if type(want) is Fields:
                if count != len(want.items):
                    raise MessageError(
                        f"{want.name} is not an array of {len(want.items)} fields", field=want.name.replace(" ", "_")
                    )
            elif count > want.limit:
                raise MessageError(f"{want.field} has {count} items, more than {want.limit}", field=want.field)
            frame[1] = position + 1
            stack.append([want, 0, count])
        self._done = True

    def _scalar(self, want: Scalar) -> object:
        try:
            value = self._unpacker.unpack()
        except msgpack.OutOfData:
            raise
        except (ValueError, TypeError, msgpack.FormatError, msgpack.StackError) as exc:  # UnicodeDecodeError is a ValueError
            raise MessageError(f"{want.field} is not {_what(want)} ({type(exc).__name__})", field=want.field) from None
        if type(value) is float:
            raise MessageError(f"{want.field} is a float: floats are not allowed", field=want.field)
        if type(value) not in want.types or (want.max_len and type(value) in (bytes, str) and len(value) > want.max_len):  # type: ignore[arg-type]
            raise MessageError(f"{want.field} is not {_what(want)}", field=want.field)
        return value


def check_frame(data: bytes, max_size: int = MAX_MESSAGE_SIZE) -> None:
    """Raise MessageError unless `data` starts with one whole message of a known tag whose framing fits its shape."""
    check = FrameCheck(max_size)
    check.feed(data)
    check.finish()
