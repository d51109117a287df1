"""A signed event: canonical header bytes, the author's signature over them, and the payload bytes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from typing import Any

from . import ed25519
from .canonical import pack, packb_plain, unpack, unpack_array_fast
from .errors import DecodeError, NonCanonicalError, OversizedError, PayloadMismatchError
from .header import FORMAT_VERSION, MAX_HEADER_SIZE, MAX_PAYLOAD_SIZE, Header, _header, decode_header, encode_header, event_id
from .identity import Identity

SIGNING_PREFIX = b"solnet/event/v1\x00"
MAX_RECORD_SIZE = MAX_HEADER_SIZE + 64 + MAX_PAYLOAD_SIZE + 16


@dataclass(frozen=True, slots=True)
class Event:
    """One event as stored and sent: header (decoded and raw), signature, payload (None once dropped)."""

    header: Header
    header_bytes: bytes
    signature: bytes
    payload: bytes | None
    id: bytes

    @property
    def author(self) -> bytes:
        return self.header.author

    @property
    def seq(self) -> int:
        return self.header.seq

    @property
    def kind(self) -> str:
        return self.header.kind

    @property
    def id_hex(self) -> str:
        return self.id.hex()

    def payload_value(self) -> Any:
        """Return the decoded payload (a map for the kinds defined here); None if the payload was dropped."""
        if self.payload is None:
            return None
        return unpack(self.payload, max_size=MAX_PAYLOAD_SIZE)

    def without_payload(self) -> Event:
        """Return this event with its payload dropped (the header still commits to it)."""
        return Event(self.header, self.header_bytes, self.signature, None, self.id)


# Like header._header: every event read is built here, so its slots are set through their descriptors
# rather than by the frozen __init__ (one object.__setattr__ call per field).
_new = object.__new__
_set_header, _set_header_bytes, _set_signature, _set_payload, _set_id = (Event.__dict__[f.name].__set__ for f in fields(Event))


def _event(header: Header, header_bytes: bytes, signature: bytes, payload: bytes | None, eid: bytes) -> Event:
    event = _new(Event)
    _set_header(event, header)
    _set_header_bytes(event, header_bytes)
    _set_signature(event, signature)
    _set_payload(event, payload)
    _set_id(event, eid)
    return event


def signing_message(header_bytes: bytes) -> bytes:
    """Return the bytes an author signs: the domain-separation prefix followed by the header bytes."""
    return SIGNING_PREFIX + header_bytes


def create_event(
    identity: Identity,
    *,
    kind: str,
    payload: bytes,
    timestamp: int,
    previous: Event | None,
) -> Event:
    """Return the next event of `identity`'s log after `previous` (None for the first event), signed."""
    if previous is not None and previous.author != identity.public_key:
        raise DecodeError("previous event belongs to another author", field="author")
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise OversizedError(f"payload has {len(payload)} bytes, more than {MAX_PAYLOAD_SIZE}", field="payload")
    header = Header(
        version=FORMAT_VERSION,
        author=identity.public_key,
        seq=1 if previous is None else previous.seq + 1,
        prev=None if previous is None else previous.id,
        timestamp=timestamp if previous is None else max(timestamp, previous.header.timestamp),
        kind=kind,
        payload_hash=hashlib.sha256(payload).digest(),
        payload_size=len(payload),
    )
    header_bytes = encode_header(header)
    signature = identity.sign(signing_message(header_bytes))
    return Event(header, header_bytes, signature, payload, event_id(header_bytes))


def create_event_from_value(identity: Identity, *, kind: str, value: Any, timestamp: int, previous: Event | None) -> Event:
    """Like `create_event`, with the payload given as a value to encode canonically."""
    return create_event(identity, kind=kind, payload=pack(value), timestamp=timestamp, previous=previous)


def check_payload(header: Header, payload: bytes | None, eid: bytes | None = None) -> None:
    """Raise PayloadMismatchError unless `payload` is None or matches the header's size and hash."""
    if payload is None:
        return
    if len(payload) != header.payload_size:
        raise PayloadMismatchError(
            f"payload has {len(payload)} bytes, header says {header.payload_size}",
            field="payload",
            event_id=eid.hex() if eid else None,
        )
    if hashlib.sha256(payload).digest() != header.payload_hash:
        raise PayloadMismatchError("payload does not match payload_hash", field="payload", event_id=eid.hex() if eid else None)


def event_from_parts(header_bytes: bytes, signature: bytes, payload: bytes | None) -> Event:
    """Return the Event for raw parts, checking the header, signature length and payload digest (not the signature)."""
    if type(header_bytes) is not bytes:
        raise DecodeError("header is not bin", field="header")
    if type(signature) is not bytes or len(signature) != 64:
        raise DecodeError("signature is not 64 bytes of bin", field="signature")
    if payload is not None and type(payload) is not bytes:
        raise DecodeError("payload is neither bin nor nil", field="payload")
    header = decode_header(header_bytes)
    eid = event_id(header_bytes)
    check_payload(header, payload, eid)
    return _event(header, header_bytes, signature, payload, eid)


def event_from_checked(header_bytes: bytes, signature: bytes, payload: bytes | None, eid: bytes) -> Event:
    """Return the Event for parts that `event_from_parts` already accepted, with `eid` the id it computed; checks nothing.

    For parts checked elsewhere (the import's decoding process, node/commands/bundle_decoder.py): the header is
    decoded again (its fields are not sent), nothing is validated or hashed a second time.
    """
    return _event(_header(*unpack_array_fast(header_bytes)), header_bytes, signature, payload, eid)


def encode_record(event: Event) -> bytes:
    """Return the canonical record bytes: [header: bin, signature: bin, payload: bin | nil]."""
    return packb_plain([event.header_bytes, event.signature, event.payload])


def record_parts(value: object) -> Event:
    """Return the Event for an already-decoded record array (from a stream); see `decode_record`."""
    if type(value) is not list or len(value) != 3:
        raise DecodeError("record is not an array of 3 fields", field="record")
    return event_from_parts(value[0], value[1], value[2])


def decode_record(data: bytes) -> Event:
    """Decode one canonical record; raise DecodeError or PayloadMismatchError if anything is off."""
    if len(data) > MAX_RECORD_SIZE:
        raise OversizedError(f"record has {len(data)} bytes, more than {MAX_RECORD_SIZE}", field="record")
    event = record_parts(unpack_array_fast(data))
    # Every msgpack value has one shortest encoding and every other encoding of it is longer, so a record
    # whose parts decode to the right types is canonical iff its length is that of the shortest encoding.
    payload = event.payload
    canonical_size = 1 + _bin_size(len(event.header_bytes)) + 66 + (1 if payload is None else _bin_size(len(payload)))
    if canonical_size != len(data):
        raise NonCanonicalError("record is not canonically encoded", field="record")
    return event


def _bin_size(length: int) -> int:
    """Size of the shortest msgpack bin encoding of `length` bytes."""
    return length + (2 if length < 0x100 else 3 if length < 0x10000 else 5)


def signature_valid(event: Event, key: Any) -> bool:
    """True iff the event's own signature verifies under `key` (a key from `ed25519.load_public_key`)."""
    return ed25519.verify(key, event.signature, SIGNING_PREFIX + event.header_bytes)
