"""Canonical msgpack: round trips, and every other encoding of a value is rejected."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import DecodeError, NonCanonicalError, OversizedError, TrailingBytesError, pack, unpack
from events.canonical import MAX_DEPTH

scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text() | st.binary()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


@given(values)
def test_round_trip(value: object) -> None:
    data = pack(value)
    assert unpack(data, max_size=len(data)) == value
    assert pack(unpack(data, max_size=len(data))) == data


@given(st.dictionaries(st.text(max_size=6), st.integers(-(2**63), 2**64 - 1), min_size=2, max_size=8))
def test_any_other_key_order_is_rejected(mapping: dict) -> None:
    canonical = pack(mapping)
    for order in (sorted(mapping, reverse=True), list(reversed(list(mapping)))):
        data = msgpack.packb({k: mapping[k] for k in order})
        if data != canonical:
            with pytest.raises(NonCanonicalError):
                unpack(data, max_size=1 << 16)


@given(st.integers(0, 2**64 - 1))
def test_longer_int_forms_are_rejected(n: int) -> None:
    canonical = pack(n)
    for prefix, width in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8)):
        if n < 256**width:
            data = bytes([prefix]) + n.to_bytes(width, "big")
            if data != canonical:
                with pytest.raises(NonCanonicalError):
                    unpack(data, max_size=16)
            else:
                assert unpack(data, max_size=16) == n


@given(st.integers(-(2**63), -1))
def test_longer_negative_int_forms_are_rejected(n: int) -> None:
    canonical = pack(n)
    for prefix, width in ((0xD0, 1), (0xD1, 2), (0xD2, 4), (0xD3, 8)):
        if -(2 ** (8 * width - 1)) <= n:
            data = bytes([prefix]) + n.to_bytes(width, "big", signed=True)
            if data != canonical:
                with pytest.raises(NonCanonicalError):
                    unpack(data, max_size=16)


@given(st.binary(max_size=300))
def test_longer_bin_and_str_forms_are_rejected(raw: bytes) -> None:
    for data in (b"\xc6" + len(raw).to_bytes(4, "big") + raw, b"\xdb" + (2 * len(raw)).to_bytes(4, "big") + raw.hex().encode()):
        with pytest.raises(NonCanonicalError):
            unpack(data, max_size=1 << 16)


def test_str_and_bin_are_distinct() -> None:
    assert pack("ab") == b"\xa2ab"
    assert pack(b"ab") == b"\xc4\x02ab"
    assert unpack(b"\xa2ab", max_size=8) == "ab"
    assert unpack(b"\xc4\x02ab", max_size=8) == b"ab"


@pytest.mark.parametrize("value", [1.5, float("nan"), {1: 2}, {b"k": 1}, 2**64, -(2**63) - 1, object(), "\ud800"])
def test_disallowed_values_are_not_packed(value: object) -> None:
    with pytest.raises(DecodeError):
        pack(value)


def test_depth_limit() -> None:
    ok: object = 1
    for _ in range(MAX_DEPTH):
        ok = [ok]
    assert unpack(pack(ok), max_size=100) == ok
    with pytest.raises(DecodeError):
        pack([ok])
    with pytest.raises(DecodeError):
        unpack(b"\x91" + pack(ok), max_size=100)


def test_size_and_trailing_bytes() -> None:
    with pytest.raises(OversizedError):
        unpack(pack("x" * 100), max_size=50)
    with pytest.raises(TrailingBytesError):
        unpack(pack(1) + pack(2), max_size=50)
    with pytest.raises(DecodeError):
        unpack(pack([1, 2, 3])[:-1], max_size=50)
    with pytest.raises(DecodeError):
        unpack(b"", max_size=50)
