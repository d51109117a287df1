"""Message encodings: golden bytes (also in docs/PROTOCOL.md §13), round trips, and every rejection."""

from __future__ import annotations

import re
from pathlib import Path

import msgpack
import pytest
from golden import A, H, samples
from hypothesis import given
from hypothesis import strategies as st
from proto_helpers import identity, make_log

from protocol import (
    MAX_MESSAGE_SIZE,
    Ack,
    Frontier,
    FrontierEntry,
    Hello,
    MessageError,
    Push,
    UnexpectedMessageError,
    UnknownMessageError,
    Want,
    WantItem,
    decode_message,
    encode_message,
)
from protocol.messages import decode_ack, decode_frontier, decode_hello, encode_hello

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"

GOLDEN = {
    "hello": ("960101c420aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa07cd01f4ce00100000"),
    "frontier": (
        "93029293c420aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa03c420111111111111111111"
        "111111111111111111111111111111111111111111111193c420bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
        "bbbbbbbbbbbbbbbb01c420111111111111111111111111111111111111111111111111111111111111111191c420bbbbbbbb"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    ),
    "want": ("94039193c420aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa040acd01f4ce00100000"),
    "event_batch": (
        "92049193c45a9801c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c01c0cf0000018bcf"
        "e56801a763616c6c6f7574c420ed6d2565e0adbc3fd3c0b513db012ba9570b07257c8892d2c648a6ba6b06882a12c4403c47"
        "30771ba5fc88e147afab297bd7a0a519171b5ac7d11c9ba2a69907e6adaaaa1f01578daeb2f77552ba4d7c6ecabb763b570a"
        "e8656e3bea9b198e0337810fc41282a16e00a57469746c65a76576656e742031"
    ),
    "fork_proofs": (
        "920591c50182950191c47b9801c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c02c420"
        "de958c6a00f347586cd650d2e2d69eed059bbf4a3e17bd26f1f036f34bc41afdcf0000018bcfe56802a763616c6c6f7574c4"
        "20823bd926a103b5ee2ddca8e756f78c978d772b0a18539543f3754c9b472587d412c440e5c8798614b6416439882c9e8300"
        "9c86a298a6bb318d026d6ec031e12e30e5ce7ba8a9adf9c1cb9de26e32181f70855e82ccc3dc7042626f5a2e0e9007b0d106"
        "91c47b9801c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c02c420de958c6a00f34758"
        "6cd650d2e2d69eed059bbf4a3e17bd26f1f036f34bc41afdcf0000018bcfe56802a763616c6c6f7574c4207ec7c0f5aa5553"
        "0be4a4009abd12b9efdcd568a0a3f939a1852b1a3975ad930a13c4404fd31a8ac7bda3eca79c471aeb638041c5f586672a37"
        "61e2d9e0450ca4c03a0669d882d5ecabea260523184d9521eef082cf1a98cc6c46b4b6189e3a1dd6f60a"
    ),
    "peer_list": (
        "92069292b5687474703a2f2f612e6578616d706c653a38343730c092b168747470733a2f2f622e6578616d706c65c420bbbb"
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    ),
    "push_events": (
        "93079193c45a9801c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c01c0cf0000018bcf"
        "e56801a763616c6c6f7574c420ed6d2565e0adbc3fd3c0b513db012ba9570b07257c8892d2c648a6ba6b06882a12c4403c47"
        "30771ba5fc88e147afab297bd7a0a519171b5ac7d11c9ba2a69907e6adaaaa1f01578daeb2f77552ba4d7c6ecabb763b570a"
        "e8656e3bea9b198e0337810fc41282a16e00a57469746c65a76576656e74203190"
    ),
    "push_heads": (
        "9307909193c420aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa03c4201111111111111111"
        "111111111111111111111111111111111111111111111111"
    ),
    "ack": ("950802010000"),
    "want_forks": ("920991c420bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
    "error": ("930aa662616e6e6564a9747279206c61746572"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_bytes(name):
    message = samples()[name]
    assert encode_message(message).hex() == GOLDEN[name]
    assert decode_message(bytes.fromhex(GOLDEN[name])) == message


def test_spec_carries_the_same_golden_bytes():
    text = DOC.read_text()
    found = dict(re.findall(r"^([a-z_]+): ([0-9a-f]+)$", text, flags=re.M))
    assert found == GOLDEN


def test_typed_pair_checks_the_type():
    data = encode_hello(samples()["hello"])
    assert decode_hello(data) == samples()["hello"]
    with pytest.raises(UnexpectedMessageError):
        decode_frontier(data)


def _bad(data: bytes, match: str) -> None:
    with pytest.raises(MessageError, match=match):
        decode_message(data)


def test_rejects_non_canonical_encodings():
    good = bytes.fromhex(GOLDEN["ack"])
    # 2 as a uint8 (0xcc02) instead of a positive fixint.
    _bad(bytes.fromhex("9508cc02010000"), "canonical")
    # The same array with a 16-bit array header.
    _bad(b"\xdc\x00\x05" + good[1:], "canonical")
    _bad(good + b"\x00", "trailing")
    # A map where an array is expected, and a float.
    _bad(msgpack.packb([8, {"a": 1}, 1, 0, 0]), "stored")
    _bad(msgpack.packb([8, 1.0, 1, 0, 0]), "float")


def test_event_batch_fast_decoder_rejects_every_longer_encoding():
    """event_batch is checked by size, not by re-encoding: each longer form of each part must still fail."""
    good = bytes.fromhex(GOLDEN["event_batch"])
    event = decode_message(good).events[0]
    header, sig, payload = event.header_bytes, event.signature, event.payload
    assert decode_message(good).events == (event,)

    def record(h: bytes, s: bytes, p: bytes) -> bytes:
        return b"\x93" + h + s + p

    def bin16(b: bytes) -> bytes:
        return b"\xc5" + len(b).to_bytes(2, "big") + b

    short = [b"\xc4" + bytes([len(x)]) + x for x in (header, sig, payload)]
    _bad(b"\x92\x04\xdc\x00\x01" + record(*short), "canonical")  # array16 for one record
    _bad(b"\x92\x04\x91" + record(bin16(header), short[1], short[2]), "canonical")
    _bad(b"\x92\x04\x91" + record(short[0], short[1], bin16(payload)), "canonical")
    _bad(b"\x92\x04\x91\xdc\x00\x03" + b"".join(short), "canonical")  # array16 for the record itself
    _bad(good + b"\x00", "trailing")
    _bad(b"\x92\x04\x91" + record(short[0], short[1], b"\xa1x"), "payload")  # str, not bin
    _bad(b"\x93\x04\x90\x00", "1 fields")
    _bad(b"\x92\x04\x05", "not an array")


def test_rejects_unknown_tags_wrong_arity_and_wrong_types():
    with pytest.raises(UnknownMessageError):
        decode_message(msgpack.packb([99, 1]))
    _bad(msgpack.packb([]), "tag")
    _bad(msgpack.packb({"tag": 1}), "tag")
    _bad(msgpack.packb([8, 1, 2, 3]), "ack")
    _bad(msgpack.packb([1, 1, b"short", 7, 500, 1000]), "group")
    _bad(msgpack.packb([1, -1, A, 7, 500, 1000]), "version")
    _bad(msgpack.packb([3, [[A, 0, 10]], 500, 1000]), "from_seq")


def test_rejects_unsorted_or_duplicate_sets():
    entry = [A, 3, H]
    _bad(msgpack.packb([2, [entry, entry], []]), "ascending")
    _bad(msgpack.packb([9, [bytes([2]) * 32, bytes([1]) * 32]]), "ascending")
    _bad(msgpack.packb([6, [["http://b.test", None], ["http://a.test", None]]]), "ascending")


def test_rejects_oversized_values():
    _bad(b"\xc6" + (MAX_MESSAGE_SIZE + 1).to_bytes(4, "big") + bytes(MAX_MESSAGE_SIZE + 1), "limit")
    _bad(msgpack.packb([3, [[A, 1, 10]], 100_000, 1000]), "max_events")
    _bad(msgpack.packb([6, [["http://" + "a" * 600, None]]]), "url")
    _bad(msgpack.packb([6, [["ftp://a.test", None]]]), "url")
    _bad(msgpack.packb([10, "x" * 80, "m"]), "code")


def test_rejects_tampered_events_and_forged_fork_proofs():
    event = make_log(identity(1), 1)[0]
    record = [event.header_bytes, event.signature, event.payload + b"!"]
    _bad(msgpack.packb([7, [record], []], use_bin_type=True), "payload")
    _bad(msgpack.packb([7, [[event.header_bytes, b"sig", None]], []], use_bin_type=True), "signature")
    proof = bytes.fromhex(GOLDEN["fork_proofs"])
    tampered = proof[:-5] + bytes([proof[-5] ^ 1]) + proof[-4:]
    _bad(tampered, "fork")


@given(
    st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.integers(1, 2**63 - 1)), max_size=20, unique_by=lambda t: t[0]),
    st.lists(st.binary(min_size=32, max_size=32), max_size=5, unique=True),
)
def test_frontier_round_trips(entries, forked):
    frontier = Frontier(tuple(FrontierEntry(a, s, H) for a, s in entries), tuple(forked))
    assert decode_frontier(encode_message(frontier)) == frontier


@given(st.integers(0, 2**63 - 1), st.integers(0, 2**63 - 1))
def test_ack_round_trips(stored, dup):
    assert decode_ack(encode_message(Ack(stored, dup))) == Ack(stored, dup)


def test_constructors_sort_sets():
    items = (WantItem(bytes([2]) * 32, 1, 1), WantItem(bytes([1]) * 32, 1, 1))
    assert [w.author[0] for w in Want(items).wants] == [1, 2]
    assert isinstance(decode_message(encode_message(Push())), Push)
    assert decode_message(encode_message(Hello(1, A))).max_batch_events == 1000
