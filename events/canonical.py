"""Canonical msgpack: exactly one byte string for every value the protocol carries.

Allowed types: nil, bool, int (-2**63 .. 2**64-1), str (UTF-8), bin, array, map with str keys.
Encoding uses the shortest form of every integer, str and bin header, `str` for text and `bin` for
bytes, and map entries sorted by the UTF-8 bytes of their keys. Floats and extension types are not
allowed. Decoding re-encodes and compares, so every other encoding of the same value is rejected.
"""

from __future__ import annotations

import threading
from typing import Any

import msgpack

from .errors import DecodeError, NonCanonicalError, OversizedError, TrailingBytesError

MAX_DEPTH = 16
# msgpack.packb allocates a fresh 256 KiB buffer on every call; a small initial buffer (it grows as
# needed) makes encoding a header three times faster. One Packer per thread, reused (it empties its
# buffer after each value, and after a value it could not pack), saves making one per value.
_BUF_SIZE = 512
_LOCAL = threading.local()
_INT_MIN = -(2**63)
_INT_MAX = 2**64 - 1


_PLAIN = frozenset((str, bytes, bool, type(None)))  # exact types that pass through unchanged


def _normalise(value: Any, depth: int) -> Any:
    """Return `value` with maps rebuilt in canonical key order; raise on anything not allowed."""
    if depth > MAX_DEPTH:
        raise DecodeError(f"value nested deeper than {MAX_DEPTH} levels")
    t = type(value)
    if t in _PLAIN:
        return value
    # Fast paths for exact dicts and lists: scalar children are checked inline instead of by a call each,
    # which is most of the cost of packing a document. Below MAX_DEPTH only, so the depth check above
    # still sees every child; anything unusual (subclasses, non-str keys) takes the general path.
    if t is dict and depth < MAX_DEPTH:
        fast = _normalise_map(value, depth + 1)
        if fast is not None:
            return fast
    elif (t is list or t is tuple) and depth < MAX_DEPTH:
        return _normalise_list(value, depth + 1)
    return _normalise_general(value, depth)


def _normalise_map(value: dict, depth: int) -> dict | None:
    """Return the map rebuilt in key order, or None if a key is not exactly a str (the general path decides)."""
    try:
        keys = sorted(value)  # code-point order of str is the order of their UTF-8 bytes
    except TypeError:
        return None
    out = {}
    for key in keys:
        if type(key) is not str:
            return None
        v = value[key]
        t = type(v)
        if t in _PLAIN or (t is int and _INT_MIN <= v <= _INT_MAX):
            out[key] = v
        else:
            out[key] = _normalise(v, depth)
    return out


def _normalise_list(value: list | tuple, depth: int) -> list:
    out = []
    for v in value:
        t = type(v)
        if t in _PLAIN or (t is int and _INT_MIN <= v <= _INT_MAX):
            out.append(v)
        else:
            out.append(_normalise(v, depth))
    return out


def _normalise_general(value: Any, depth: int) -> Any:
    if value is None or value is True or value is False or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise DecodeError(f"integer {value} outside the 64-bit range")
        return value
    if isinstance(value, (list, tuple)):
        return [_normalise(v, depth + 1) for v in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise DecodeError(f"map key {key!r} is not a string")
        return {k: _normalise(value[k], depth + 1) for k in sorted(value, key=_key_order)}
    if isinstance(value, float):
        raise DecodeError("floats are not allowed")
    raise DecodeError(f"type {type(value).__name__} is not allowed")


def _key_order(key: str) -> bytes:
    return key.encode("utf-8")


def pack(value: Any) -> bytes:
    """Return the canonical msgpack bytes of `value`."""
    try:
        return _packer().pack(_normalise(value, 0))
    except UnicodeEncodeError:  # a str holding a lone surrogate has no UTF-8 form
        raise DecodeError("text is not valid Unicode (lone surrogate)") from None


def _reject_ext(code: int, data: bytes) -> Any:
    raise DecodeError(f"extension type {code} is not allowed")


def unpack(data: bytes, *, max_size: int) -> Any:
    """Decode one canonical msgpack value that fills `data` exactly; raise DecodeError otherwise."""
    if len(data) > max_size:
        raise OversizedError(f"{len(data)} bytes, more than the limit of {max_size}")
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=True, ext_hook=_reject_ext, timestamp=0)
    except msgpack.ExtraData as exc:
        raise TrailingBytesError(f"{len(exc.extra)} trailing byte(s) after the value") from None
    except DecodeError:
        raise
    except (ValueError, msgpack.FormatError, msgpack.StackError, TypeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"not valid msgpack: {exc}") from None
    if pack(value) != data:
        raise NonCanonicalError("not the canonical encoding of its value")
    return value


def unpack_unverified(data: bytes, *, max_size: int) -> Any:
    """Decode one msgpack value that fills `data` exactly, without the canonical check: the caller makes it.

    For hot paths that check the decoded value's types anyway: once every type is known, canonicity is
    a matter of map key order and of `packb_plain(value) == data` (see events/kinds/schema.py).
    """
    if len(data) > max_size:
        raise OversizedError(f"{len(data)} bytes, more than the limit of {max_size}")
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True, ext_hook=_reject_ext, timestamp=0)
    except msgpack.ExtraData as exc:
        raise TrailingBytesError(f"{len(exc.extra)} trailing byte(s) after the value") from None
    except DecodeError:
        raise
    except (ValueError, msgpack.FormatError, msgpack.StackError, TypeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"not valid msgpack: {exc}") from None


def unpack_array_fast(data: bytes) -> list:
    """Decode msgpack bytes known to hold arrays of scalars only; the caller re-checks canonicity."""
    try:
        return msgpack.unpackb(data, raw=False, ext_hook=_reject_ext, timestamp=0)
    except msgpack.ExtraData as exc:
        raise TrailingBytesError(f"{len(exc.extra)} trailing byte(s) after the value") from None
    except DecodeError:
        raise
    except (ValueError, msgpack.FormatError, msgpack.StackError, TypeError, UnicodeDecodeError) as exc:
        raise DecodeError(f"not valid msgpack: {exc}") from None


def packb_plain(value: Any) -> bytes:
    """Encode a value that holds no maps (arrays, ints, str, bin, nil): already canonical as packed."""
    return _packer().pack(value)


def _packer() -> msgpack.Packer:
    try:
        return _LOCAL.packer
    except AttributeError:
        packer = _LOCAL.packer = msgpack.Packer(use_bin_type=True, buf_size=_BUF_SIZE)
        return packer
