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


def _selected_reads(data: bytes, workers: int) -> tuple[list[tuple[int, str]], list[str | None]]:
    """Read `data` once per worker, each selecting its authors' items; return every (index, item) read and each error."""
    import zlib

    items: list[tuple[int, str]] = []
    errors: list[str | None] = []
    for worker in range(workers):
        reader = BundleReader(
            (data[i : i + 97] for i in range(0, len(data), 97)),
            select=lambda author, w=worker: zlib.crc32(author) % workers == w,
            check_trailer=worker == 0,
        )
        try:
            items.extend((index, repr(item)) for index, item in reader.items())
            errors.append(None)
        except BundleError as exc:
            errors.append(str(exc))
    return sorted(items), errors


def test_selected_reads_partition_the_items_with_their_indexes() -> None:
    import random

    other = identity(7)
    data = b"".join(write_bundle(HEAD, [*EVENTS, *chain(other, 12)], [fork_proof_from_events([EVENTS[1]], [_other_second()])]))
    rng = random.Random(3)
    cases = [data, data[:-3], data + b"\x00", data[:40], data[: len(data) // 2]]
    cases += [data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :] for at in (rng.randrange(60, len(data)) for _ in range(8))]
    for case in cases:
        try:
            whole, error = list(enumerate(repr(x) for x in BundleReader([case]))), None
        except BundleError as exc:
            whole, error = None, str(exc)
        for workers in (1, 2, 3):
            items, errors = _selected_reads(case, workers)
            if error is None:
                assert items == whole and errors == [None] * workers
            else:
                # the worker that checks the trailer meets every error; the others may stop at the trailer
                assert errors[0] == error


def test_items_the_selection_refuses_are_not_decoded() -> None:
    seen: list[bytes] = []
    reader = BundleReader([bundle()], select=lambda author: seen.append(author) or False)
    assert list(reader.items()) == [] and reader.count == 31
    assert seen == [IDENT.public_key] * 31  # 30 events and a fork proof, all claiming their author


def test_a_true_tag_or_a_wide_fork_proof_item_is_not_canonical() -> None:
    import hashlib

    import msgpack

    from events.bundle import TAG_END, BundleWriter
    from events.fork import encode_fork_proof

    event = EVENTS[0]
    proof = encode_fork_proof(fork_proof_from_events([EVENTS[1]], [_other_second()]))
    true_tag = msgpack.packb([True, event.header_bytes, event.signature, event.payload], use_bin_type=True)
    wide_proof = b"\x92\x02\xc6" + len(proof).to_bytes(4, "big") + proof  # bin32: not the shortest form
    body = BundleWriter(HEAD).head() + true_tag + wide_proof
    data = body + msgpack.packb([TAG_END, 2, hashlib.sha256(body).digest()], use_bin_type=True)
    items, reader = read(data, 100)
    assert [type(x) for x in items] == [BadItem, BadItem] and reader.count == 2
    assert all("not canonically encoded" in str(x.error) for x in items)


def _verdict(data: bytes, chunk: int, **options: object) -> tuple[str | None, int | None, int]:
    reader = BundleReader((data[i : i + chunk] for i in range(0, len(data), chunk)), **options)  # type: ignore[arg-type]
    try:
        for _ in reader.items():
            pass
    except BundleError as exc:
        return str(exc), reader.count, reader.offset
    return None, reader.count, reader.offset


def test_frame_only_refuses_and_accepts_exactly_what_reading_every_item_does() -> None:
    """The import's check (frame_only: event and fork-proof items skipped unbuilt) against a reader that builds every
    item and decodes none (select refuses all): the same error or none, the same count, on damaged, cut, padded
    bundles, odd items (a trailer-like item inside, an extension type, an empty array), in any chunking."""
    import random

    from events.bundle import BundleWriter
    from events.canonical import packb_plain

    data = bundle()
    writer = BundleWriter(HEAD)
    odd = [
        packb_plain([3, 0, b"\x00" * 32]),  # a trailer's shape inside the bundle
        b"\x92\x01\xc7\x01\x05x",  # an event tag, then an extension type (framed, not representable)
        b"\x90",  # an empty array
        packb_plain([1, EVENTS[0].header_bytes]),  # an event tag with too few values
    ]
    pieces = [writer.head(), writer.event(EVENTS[0])]
    for item in odd:
        pieces.append(writer._emit(item))
        writer._count += 1
    pieces += [writer.event(EVENTS[1]), writer.end()]
    rng = random.Random(5)
    cases = [data, b"".join(pieces), data[:-3], data + b"\x00", data[:40], data[: len(data) // 2]]
    for base in (data, b"".join(pieces)):
        cases += [base[:at] + bytes([base[at] ^ rng.choice((1, 0x80, 0xFF))]) + base[at + 1 :] for at in range(30, len(base), 41)]
    refused = 0
    for case in cases:
        for chunk in (7, 4096):
            expected = _verdict(case, chunk, select=lambda author: False)
            assert _verdict(case, chunk, frame_only=True) == expected
            refused += expected[0] is not None
    assert refused and refused < len(cases) * 2  # both outcomes were met
