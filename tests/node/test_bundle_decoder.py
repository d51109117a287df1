"""The import's decoding process: the same items as reading the bundle in-process, in order, and a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from events import Identity
from events.bundle import BadItem, BundleHead, BundleReader, BundleWriter
from events.canonical import packb_plain
from events.fork import fork_proof_from_events
from node.commands.bundle_decoder import STEP, BundleDecoder, DecoderError

from .store.suite import chain


def _bundle(path: Path) -> Path:
    me, other = Identity.generate(), Identity.generate()
    events = chain(me, STEP + 7) + chain(other, 5)
    branch = chain(me, 2, start=events[0], size=3)  # another seq 2 and 3 after seq 1: a fork
    writer = BundleWriter(BundleHead("sn_x", 1))
    pieces = [writer.head(), *(writer.event(e) for e in events[:10])]
    pieces.append(writer.fork_proof(fork_proof_from_events(events[1:3], branch)))
    pieces.append(writer._emit(packb_plain([1, b"not a header", b"\x00" * 64, None])))  # framed, hashed, not an event
    writer._count += 1
    pieces += [*(writer.event(e) for e in events[10:]), writer.end()]
    path.write_bytes(b"".join(pieces))
    return path


def test_the_child_yields_what_the_reader_yields_in_order_with_offsets(tmp_path: Path):
    """Every item with its index, in bundle order (events in messages of at most STEP, cut before any other item)."""
    path = _bundle(tmp_path / "mixed.bundle")
    expected = list(BundleReader([path.read_bytes()]).items())
    decoder = BundleDecoder(str(path))
    got: list[tuple[int, object]] = []
    sizes, offsets = [], []
    try:
        while (decoded := decoder.next()) is not None:
            offsets.append(decoded.offset)
            got += decoded.events
            sizes.append(len(decoded.events))
            if decoded.item is not None:
                got.append((decoded.item.index if isinstance(decoded.item, BadItem) else 10, decoded.item))  # (proof: item 10)
    finally:
        cpu = decoder.close()
    assert offsets == sorted(offsets) and decoder.offset == path.stat().st_size  # the end: every byte framed
    assert sizes == [10, 0, 0, STEP, 2]  # ten events, the fork proof, the bad item, the rest
    assert [(i, item) for i, item in got if not isinstance(item, BadItem)] == [
        (i, item) for i, item in expected if not isinstance(item, BadItem)
    ]
    [(_, bad)] = [(i, item) for i, item in got if isinstance(item, BadItem)]
    [(_, read)] = [(i, item) for i, item in expected if isinstance(item, BadItem)]
    assert bad.index == read.index == 11 and str(bad.error) == str(read.error)
    assert [type(item) for _, item in got] == [type(item) for _, item in expected]
    assert cpu is not None and cpu > 0


def _fails_with(decoder: BundleDecoder, message: str) -> None:
    """Read `decoder` to its DecoderError (matching `message`); then it reads nothing more, and close() has no CPU figure."""
    try:
        with pytest.raises(DecoderError, match=message):
            while decoder.next() is not None:
                pass
        assert decoder.next() is None
    finally:
        assert decoder.close() is None


def test_a_bundle_the_child_cannot_read_is_a_decoder_error(tmp_path: Path):
    path = _bundle(tmp_path / "cut.bundle")
    path.write_bytes(path.read_bytes()[:5000])  # cut inside an item (the import checks first; this is the child's own)
    _fails_with(BundleDecoder(str(path)), "reading the bundle failed")


def test_a_child_that_dies_before_the_end_is_a_decoder_error(tmp_path: Path):
    decoder = BundleDecoder(str(_bundle(tmp_path / "a.bundle")))
    decoder._process.kill()  # (at once: it has not imported its modules yet, let alone written a message)
    _fails_with(decoder, "ended before the end of the bundle")
