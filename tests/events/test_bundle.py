"""Log bundles: round trip in any chunking, and truncation, trailing garbage and damage are reported."""

from __future__ import annotations

import pytest

from events import BundleError, Event, ForkProof, create_event_from_value, fork_proof_from_events
from events.bundle import BadItem, BundleHead, BundleReader, write_bundle
from tests.events.helpers import chain, identity

IDENT = identity()
EVENTS = chain(IDENT, 30)
OTHER = chain(IDENT, 2)
HEAD = BundleHead(IDENT.group_id, 1_700_000_000_000)


def bundle() -> bytes:
    proof = fork_proof_from_events([EVENTS[1]], [_other_second()])
    return b"".join(write_bundle(HEAD, [*EVENTS[:10], EVENTS[10].without_payload(), *EVENTS[11:]], [proof]))


def _other_second() -> Event:
    return create_event_from_value(
        IDENT, kind="test.note", value={"other": True}, timestamp=EVENTS[1].header.timestamp, previous=EVENTS[0]
    )


def read(data: bytes, size: int) -> tuple[list, BundleReader]:
    reader = BundleReader(data[i : i + size] for i in range(0, len(data), size))
    return list(reader), reader


@pytest.mark.parametrize("size", [1, 7, 64, 1000, 10**7])
def test_round_trip_in_chunks(size: int) -> None:
    items, reader = read(bundle(), size)
    assert reader.head == HEAD and reader.count == 31
    assert [i.id for i in items[:30]] == [e.id for e in EVENTS]
    assert items[10].payload is None and items[9].payload == EVENTS[9].payload
    assert isinstance(items[30], ForkProof)


def test_large_bundle_in_one_chunk() -> None:
    many = chain(IDENT, 600)
    data = b"".join(write_bundle(HEAD, many))
    items, reader = read(data, len(data))
    assert len(items) == 600 and reader.count == 600


def test_truncation_is_reported() -> None:
    data = bundle()
    for cut in (0, 5, len(data) // 2, len(data) - 40, len(data) - 1):
        with pytest.raises(BundleError):
            read(data[:cut], 50)


def test_trailing_garbage_is_reported() -> None:
    with pytest.raises(BundleError, match="trailing garbage"):
        read(bundle() + b"\x00", 50)


def test_damaged_byte_is_reported() -> None:
    data = bundle()
    for i in range(60, len(data), 97):
        damaged = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]
        problems = 0
        try:
            items, _ = read(damaged, 100)
            problems = sum(isinstance(x, BadItem) for x in items)
        except BundleError:
            problems = 1
        assert problems, f"damage at byte {i} went unnoticed"


def test_bad_item_does_not_stop_reading() -> None:
    from events.bundle import BundleWriter
    from events.canonical import packb_plain

    writer = BundleWriter(HEAD)
    bad = packb_plain([1, EVENTS[0].header_bytes, EVENTS[0].signature, EVENTS[0].payload + b"x"])
    writer._emit(bad)
    writer._count += 1
    data = writer.head() + bad + writer.event(EVENTS[0]) + writer.end()
    items, reader = read(data, 100)
    assert isinstance(items[0], BadItem) and items[0].error.code == "payload_mismatch"
    assert isinstance(items[1], Event) and reader.count == 2
