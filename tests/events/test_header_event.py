"""Headers and records: round trips; any tampered header field or payload byte is caught."""

from __future__ import annotations

import dataclasses

import pytest

from events import (
    DecodeError,
    EventError,
    Header,
    PayloadMismatchError,
    decode_header,
    decode_record,
    encode_header,
    encode_record,
    signature_valid,
)
from events.ed25519 import load_public_key
from events.header import MAX_PAYLOAD_SIZE
from tests.events.helpers import chain, identity


def test_round_trip() -> None:
    for event in chain(identity(), 3):
        assert decode_header(event.header_bytes) == event.header
        assert encode_header(event.header) == event.header_bytes
        again = decode_record(encode_record(event))
        assert again == event
        dropped = decode_record(encode_record(event.without_payload()))
        assert dropped.payload is None and dropped.id == event.id


TAMPERED = {
    "version": 2,
    "author": identity(2).public_key,
    "seq": 7,
    "prev": b"\x01" * 32,
    "timestamp": 12345,
    "kind": "test.other",
    "payload_hash": b"\x02" * 32,
    "payload_size": 9,
}


@pytest.mark.parametrize("field", list(TAMPERED))
def test_every_tampered_header_field_is_rejected(field: str) -> None:
    ident = identity()
    event = chain(ident, 2)[1]
    key = load_public_key(ident.public_key)
    header = dataclasses.replace(event.header, **{field: TAMPERED[field]})
    try:
        header_bytes = encode_header(header)
    except DecodeError:
        return  # the new value is not even a valid header
    record = encode_record(dataclasses.replace(event, header=header, header_bytes=header_bytes))
    try:
        tampered = decode_record(record)
    except EventError:
        return  # digest or decode error
    assert tampered.id != event.id
    assert not signature_valid(tampered, key) or field == "author"


def test_every_payload_byte_tampered_is_rejected() -> None:
    event = chain(identity(), 1)[0]
    for i in range(len(event.payload)):
        payload = event.payload[:i] + bytes([event.payload[i] ^ 0x01]) + event.payload[i + 1 :]
        with pytest.raises(PayloadMismatchError):
            decode_record(encode_record(dataclasses.replace(event, payload=payload)))


def test_every_record_byte_tampered_is_caught() -> None:
    ident = identity()
    key = load_public_key(ident.public_key)
    data = encode_record(chain(ident, 1)[0])
    for i in range(len(data)):
        damaged = data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1 :]
        try:
            event = decode_record(damaged)
        except EventError:
            continue
        assert not signature_valid(event, key), f"byte {i} changed unnoticed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 0),
        ("seq", 2**63),
        ("prev", None),
        ("timestamp", -1),
        ("kind", ""),
        ("kind", "a" * 65),
        ("kind", "Bad"),
        ("kind", "a..b"),
        ("kind", "a."),
        ("payload_size", MAX_PAYLOAD_SIZE + 1),
        ("author", b"\x00" * 31),
        ("payload_hash", "x" * 32),
    ],
)
def test_header_field_rules(field: str, value: object) -> None:
    header = dataclasses.replace(chain(identity(), 2)[1].header, **{field: value})
    with pytest.raises(DecodeError) as info:
        encode_header(header)
    assert info.value.field == field


def test_kind_of_64_characters_is_allowed() -> None:
    header = dataclasses.replace(chain(identity(), 1)[0].header, kind="a" * 64)
    assert decode_header(encode_header(header)) == header
    assert isinstance(header, Header)
