"""The extent of one msgpack value from its bytes, without decoding it (docs/PROTOCOL.md §10, "framing").

A value is *well-framed* if its bytes follow the msgpack format's headers and lengths, whatever the value: an
extension type, a float, a map with a non-str key, invalid UTF-8 or a deep nesting are well-framed (and then
rejected by the canonical rules of §4 as a bad item); only the byte `c1` (never used) and a value that does not
end are not. A bundle reader uses this where its decoder stops on a value it cannot represent.
"""

from __future__ import annotations

from .errors import DecodeError

# header byte -> (bytes of the header before any length field, size of the length field, what the length counts)
_FIXED = {0xC0: 1, 0xC2: 1, 0xC3: 1, 0xCA: 5, 0xCB: 9, 0xCC: 2, 0xCD: 3, 0xCE: 5, 0xCF: 9, 0xD0: 2, 0xD1: 3, 0xD2: 5, 0xD3: 9}
_FIXEXT = {0xD4: 3, 0xD5: 4, 0xD6: 6, 0xD7: 10, 0xD8: 18}
_BYTES = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}  # bin and str: a length, then that many bytes
_EXT = {0xC7: 1, 0xC8: 2, 0xC9: 4}  # a length, a type byte, then that many bytes
_ARRAY = {0xDC: 2, 0xDD: 4}
_MAP = {0xDE: 2, 0xDF: 4}


def value_end(data: bytes | memoryview, start: int) -> int | None:
    """Return the offset just after the msgpack value at `data[start:]`; None if `data` ends inside it.

    Raise DecodeError for the byte `c1`, which begins no value.
    """
    pos, pending, end = start, 1, len(data)
    while pending:
        if pos >= end:
            return None
        b = data[pos]
        pending -= 1
        if b <= 0x7F or b >= 0xE0:
            pos += 1
        elif b <= 0x8F:
            pos += 1
            pending += 2 * (b & 0x0F)
        elif b <= 0x9F:
            pos += 1
            pending += b & 0x0F
        elif b <= 0xBF:
            pos += 1 + (b & 0x1F)
        elif b in _FIXED:
            pos += _FIXED[b]
        elif b in _FIXEXT:
            pos += _FIXEXT[b]
        elif b == 0xC1:
            raise DecodeError(f"byte c1 at offset {pos} begins no msgpack value")
        else:
            width = _BYTES.get(b) or _EXT.get(b) or _ARRAY.get(b) or _MAP[b]
            if pos + 1 + width > end:
                return None
            n = int.from_bytes(data[pos + 1 : pos + 1 + width], "big")
            pos += 1 + width
            if b in _BYTES:
                pos += n
            elif b in _EXT:
                pos += 1 + n
            elif b in _ARRAY:
                pending += n
            else:
                pending += 2 * n
    return pos if pos <= end else None
