"""A tiny, slow, pure-Python Ed25519 after RFC 8032 section 6, for vectors and cross-checks only.

It exists to build edge-case vectors (small-order keys, forged signatures, mixed-order keys) and to
show what a *lax* verifier (no key checks, S reduced modulo L) would accept. Never use it to sign.
"""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
_SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a: tuple, b: tuple) -> tuple:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = t1 * 2 * D * t2 % P
    dd = z1 * 2 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(s: int, point: tuple) -> tuple:
    """Return [s]point."""
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, point)
        point = _add(point, point)
        s >>= 1
    return q


def add(a: tuple, b: tuple) -> tuple:
    """Return a + b."""
    return _add(a, b)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * _SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decode(s: bytes) -> tuple | None:
    """Return the point encoded by 32 bytes, or None (non-canonical y or not on the curve)."""
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def encode(point: tuple) -> bytes:
    """Return the 32-byte encoding of a point."""
    x, y, z, _ = point
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def equal(a: tuple, b: tuple) -> bool:
    """True iff two points are the same."""
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


_GY = 4 * pow(5, P - 2, P) % P
B = (_recover_x(_GY, 0), _GY, 1, _recover_x(_GY, 0) * _GY % P)


def secret_scalar(seed: bytes) -> int:
    """Return the clamped secret scalar of an RFC 8032 seed."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a


def lax_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """A permissive verifier: any decodable key, S reduced modulo L, cofactorless equation."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = decode(public_key)
    r = decode(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little") % L
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    return equal(mul(s, B), add(r, mul(k, a)))


def sign_with_scalar(a: int, public_key: bytes, message: bytes, nonce_seed: bytes) -> bytes:
    """Return an Ed25519 signature made with scalar `a` under `public_key` (which may not equal [a]B)."""
    r = int.from_bytes(hashlib.sha512(nonce_seed + message).digest(), "little") % L
    big_r = encode(mul(r, B))
    k = int.from_bytes(hashlib.sha512(big_r + public_key + message).digest(), "little") % L
    return big_r + ((r + k * a) % L).to_bytes(32, "little")
