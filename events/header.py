"""The signed header of an event: its fields, canonical bytes and id."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, fields

from .canonical import packb_plain, unpack_array_fast
from .errors import DecodeError, NonCanonicalError, OversizedError, UnsupportedVersionError

FORMAT_VERSION = 1
MAX_HEADER_SIZE = 256
MAX_PAYLOAD_SIZE = 65536
MAX_SEQ = 2**63 - 1
MAX_TIMESTAMP = 2**63 - 1
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
MAX_KIND_LEN = 64


@dataclass(frozen=True, slots=True)
class Header:
    """What an author signs: position in the log, link to the previous event, and the payload's digest."""

    version: int
    author: bytes
    seq: int
    prev: bytes | None
    timestamp: int
    kind: str
    payload_hash: bytes
    payload_size: int

    def fields(self) -> list:
        return [
            self.version,
            self.author,
            self.seq,
            self.prev,
            self.timestamp,
            self.kind,
            self.payload_hash,
            self.payload_size,
        ]


# Header(...) sets each field through object.__setattr__ (the class is frozen); a header is built for every
# event read, so decode_header sets the slots through their descriptors instead: the same value, ~2x cheaper.
_new = object.__new__
_set_version, _set_author, _set_seq, _set_prev, _set_timestamp, _set_kind, _set_hash, _set_size = (
    Header.__dict__[f.name].__set__ for f in fields(Header)
)


def _header(
    version: int, author: bytes, seq: int, prev: bytes | None, timestamp: int, kind: str, payload_hash: bytes, payload_size: int
) -> Header:
    header = _new(Header)
    _set_version(header, version)
    _set_author(header, author)
    _set_seq(header, seq)
    _set_prev(header, prev)
    _set_timestamp(header, timestamp)
    _set_kind(header, kind)
    _set_hash(header, payload_hash)
    _set_size(header, payload_size)
    return header


def encode_header(header: Header) -> bytes:
    """Return the canonical bytes of a header (validating every field first)."""
    data = packb_plain(header.fields())
    decode_header(data)
    return data


def event_id(header_bytes: bytes) -> bytes:
    """Return the event id: SHA-256 of the canonical header bytes."""
    return hashlib.sha256(header_bytes).digest()


@functools.lru_cache(maxsize=1024)
def _kind_ok(kind: str) -> bool:
    # A log uses a handful of kinds; caching the verdict saves a regex match per event.
    return 0 < len(kind) <= MAX_KIND_LEN and KIND_PATTERN.fullmatch(kind) is not None


def decode_header(data: bytes) -> Header:
    """Decode canonical header bytes; raise DecodeError naming the field that is wrong."""
    if len(data) > MAX_HEADER_SIZE:
        raise OversizedError(f"header has {len(data)} bytes, more than {MAX_HEADER_SIZE}", field="header")
    fields = unpack_array_fast(data)
    if type(fields) is not list or len(fields) != 8:
        raise DecodeError("header is not an array of 8 fields", field="header")
    version, author, seq, prev, timestamp, kind, payload_hash, payload_size = fields
    if type(version) is not int:
        raise DecodeError("version is not an integer", field="version")
    if version != FORMAT_VERSION:
        raise UnsupportedVersionError(f"format version {version} is not supported", field="version")
    if type(author) is not bytes or len(author) != 32:
        raise DecodeError("author is not 32 bytes", field="author")
    # integer checks written out rather than through a helper: this runs once for every event read
    if type(seq) is not int or not 1 <= seq <= MAX_SEQ:
        raise DecodeError("seq is not an integer from 1 to 2**63-1", field="seq")
    if seq == 1:
        if prev is not None:
            raise DecodeError("prev must be nil at seq 1", field="prev")
    elif type(prev) is not bytes or len(prev) != 32:
        raise DecodeError("prev is not 32 bytes", field="prev")
    if type(timestamp) is not int or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise DecodeError("timestamp is not an integer from 0 to 2**63-1", field="timestamp")
    if type(kind) is not str or not _kind_ok(kind):
        raise DecodeError("kind is not a dotted lowercase name of 1 to 64 characters", field="kind")
    if type(payload_hash) is not bytes or len(payload_hash) != 32:
        raise DecodeError("payload_hash is not 32 bytes", field="payload_hash")
    if type(payload_size) is not int or not 0 <= payload_size <= MAX_PAYLOAD_SIZE:
        raise DecodeError(f"payload_size is not an integer from 0 to {MAX_PAYLOAD_SIZE}", field="payload_size")
    if packb_plain(fields) != data:
        raise NonCanonicalError("header is not canonically encoded", field="header")
    return _header(version, author, seq, prev, timestamp, kind, payload_hash, payload_size)
