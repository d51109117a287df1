"""FrameCheck: every valid message passes however its bytes are split; a bad header is refused where it is read."""

from __future__ import annotations

import msgpack
import pytest
from golden import samples
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import MessageError, UnknownMessageError, encode_message
from protocol.framing import SHAPES, FrameCheck, check_frame
from protocol.message_types import Ack, ErrorReply, EventBatch, ForkProofs, Frontier, Hello, PeerList, Push, Want, WantForks
from protocol.recon_messages import Reconcile, ReconcileReply

ENCODED = {name: encode_message(message) for name, message in samples().items()}  # type: ignore[arg-type]
HOSTILE_PUSH_HEAD = bytes.fromhex("9307dd00155cc0") + bytes.fromhex("81a090") * 10


def test_every_message_type_has_a_shape_with_its_arity():
    kinds = (Hello, Frontier, Want, EventBatch, ForkProofs, PeerList, Push, Ack, WantForks, ErrorReply, Reconcile, ReconcileReply)
    for cls in kinds:
        assert cls.TAG in SHAPES
    assert set(SHAPES) == {cls.TAG for cls in kinds}
    for name, data in ENCODED.items():
        value = msgpack.unpackb(data)
        assert len(SHAPES[value[0]].items) == len(value) - 1, name


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.sampled_from(sorted(ENCODED)), st.lists(st.integers(0, 4000), max_size=6))
def test_valid_messages_pass_whatever_the_pieces(name, cuts):
    data = ENCODED[name]
    check = FrameCheck()
    last = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        check.feed(data[last:cut])
        assert not check.complete or cut == len(data) or last == len(data)
        last = cut
    check.feed(data[last:])
    check.finish()
    assert check.complete


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_a_prefix_of_a_valid_message_is_incomplete_not_wrong(name):
    data = ENCODED[name]
    for end in range(len(data)):
        check = FrameCheck()
        check.feed(data[:end])  # never raises
        with pytest.raises(MessageError, match="ends before"):
            check.finish()


def test_the_issues_push_is_refused_at_its_third_header_from_its_first_bytes():
    check = FrameCheck()
    with pytest.raises(MessageError, match="events has 1400000 items, more than 1000") as caught:
        check.feed(HOSTILE_PUSH_HEAD)
    assert caught.value.field == "events"


@pytest.mark.parametrize(
    ("data", "field", "match"),
    [
        (b"\x81\xa0\x90", "tag", "array starting with an integer tag"),  # a map, not an array
        (b"\x90", "tag", "array starting with an integer tag"),
        (b"\x92\x63\x90", "tag", "tag 99 is unknown"),
        (b"\x94\x07\x90\x90\x90", "push", "push is not an array of 2 fields"),
        (b"\x93\x07\x91\x80\x90", "record", "record is not an array"),  # a map where a record belongs
        (b"\x93\x07\x91\x94", "record", "record is not an array of 3 fields"),
        (b"\x93\x07\x91\x93\x91", "header", "header is not bin"),  # an array where a scalar belongs
        (b"\x93\x07\x91\x93\xc5\x01\x01", "header", "header is not bin of at most 256 bytes"),  # too long
        (b"\x93\x02\x90\x91\xca\x00\x00\x00\x00", "forked", "float"),
        (b"\x95\x08\xd4\x01\x02", "stored", "stored is not an integer"),  # an extension type
        (b"\x93\x0a\xa1a\xc4\x01x", "message", "message is not text"),
    ],
)
def test_bad_headers_are_named(data, field, match):
    with pytest.raises(MessageError, match=match) as caught:
        check_frame(data + bytes(300))
    assert caught.value.field == field


def test_an_unknown_tag_is_its_own_error():
    with pytest.raises(UnknownMessageError):
        check_frame(b"\x92\x63\x90")


def test_a_body_over_the_limit_is_refused_as_it_arrives():
    check = FrameCheck(max_size=100)
    check.feed(b"\x92\x05")
    with pytest.raises(MessageError, match="limit of 100"):
        check.feed(bytes(99))


def test_reconcile_messages_of_the_vectors_pass_and_a_too_deep_one_is_refused_at_its_header():
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).resolve().parents[2] / "docs" / "vectors" / "reconcile.json").read_text())
    found = 0

    def walk(value):
        nonlocal found
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("bytes", "request", "reply") and isinstance(v, str):
                    data = bytes.fromhex(v)
                    if data and data[0] >> 4 == 9 and data[1] in (11, 12):  # a fixarray starting with tag 11 or 12
                        check_frame(data)
                        found += 1
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc)
    assert found > 3
    too_deep = msgpack.packb([11, [[[[[1]]]]], None])
    with pytest.raises(MessageError):
        check_frame(too_deep)
