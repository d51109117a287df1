"""Strict Ed25519: one verdict for every signature, whatever library checks it.

RFC 8032 leaves a verifier some freedom (small-order keys, non-canonical scalars); nodes that used
that freedom differently would disagree about which events are valid. Before the library is asked,
these rules are applied: the public key is a canonical encoding (y < p) of a point that is not of
small order, the signature's R is not of small order, and its scalar S is below the group order L.
These are the checks libsodium's `crypto_sign_verify_detached` makes (docs/PROTOCOL.md §2).

Verification runs on the fastest conforming library available: libsodium through PyNaCl (about twice
`cryptography`'s rate per core), else `cryptography` (OpenSSL). Both get the checks above first, so the
verdict does not depend on the library nor on how libsodium was built; tests/events/test_ed25519.py
checks that the two agree with each other and with bare libsodium. Keys files, PEM and signing stay
with `cryptography`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import IdentityError, SignatureError

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493

# The encodings, sign bit cleared, of points of order 1, 2, 4 and 8 (libsodium's block list).
_SMALL_ORDER = frozenset(
    bytes.fromhex(h)
    for h in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )
)


def _clear_sign(point: bytes) -> bytes:
    return point[:31] + bytes([point[31] & 0x7F])


def is_small_order(point: bytes) -> bool:
    """True if the 32-byte encoding is one of the points of order 1, 2, 4 or 8."""
    return _clear_sign(point) in _SMALL_ORDER


def check_public_key(public_key: bytes) -> None:
    """Raise IdentityError unless `public_key` is an acceptable Ed25519 public key."""
    if len(public_key) != 32:
        raise IdentityError(f"public key has {len(public_key)} bytes, not 32")
    if int.from_bytes(_clear_sign(public_key), "little") >= P:
        raise IdentityError("public key is not a canonical point encoding")
    if is_small_order(public_key):
        raise IdentityError("public key is a point of small order")


def check_signature_form(signature: bytes) -> None:
    """Raise SignatureError unless the signature is 64 bytes, R not small-order and S < L."""
    if len(signature) != 64:
        raise SignatureError(f"signature has {len(signature)} bytes, not 64")
    if int.from_bytes(signature[32:], "little") >= L:
        raise SignatureError("signature scalar S is not below the group order (non-canonical)")
    if is_small_order(signature[:32]):
        raise SignatureError("signature point R is of small order")


# First bytes of the small-order encodings: most signatures are cleared by one set lookup.
_SMALL_ORDER_FIRST = frozenset(point[0] for point in _SMALL_ORDER)


def _strict_form(signature: bytes) -> bool:
    """True iff the signature is 64 bytes with S < L and R not of small order (the checks before any library)."""
    if len(signature) != 64:
        return False
    # S < 2**252 < L whenever the top byte is below 0x10; only then is the full comparison needed.
    if signature[63] >= 0x10 and int.from_bytes(signature[32:], "little") >= L:
        return False
    return not (signature[0] in _SMALL_ORDER_FIRST and is_small_order(signature[:32]))


def _load_openssl(public_key: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise IdentityError(f"public key does not decode: {exc}") from None


def _verify_openssl(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True iff `signature` is a strict Ed25519 signature of `message` by `key`."""
    if not _strict_form(signature):
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Backend:
    """One library that verifies: `load` turns a checked public key into its key, `verify` gives the strict verdict."""

    name: str
    load: Callable[[bytes], object]
    verify: Callable[[object, bytes, bytes], bool]


BACKENDS: dict[str, Backend] = {"cryptography": Backend("cryptography", _load_openssl, _verify_openssl)}

try:
    from nacl.bindings import crypto_sign_open as _sodium_open
    from nacl.exceptions import BadSignatureError as _SodiumBad
except ImportError:  # pragma: no cover - PyNaCl is a dependency; without it `cryptography` verifies, at half the rate
    pass
else:

    def _verify_sodium(key: bytes, signature: bytes, message: bytes) -> bool:
        """True iff `signature` is a strict Ed25519 signature of `message` by `key` (32 checked bytes)."""
        # PyNaCl exposes no crypto_sign_verify_detached; crypto_sign_open runs it on signature || message
        # (then copies the message out, ~0.1 us for a header).
        if not _strict_form(signature):
            return False
        try:
            _sodium_open(signature + message, key)
        except _SodiumBad:
            return False
        return True

    BACKENDS["libsodium"] = Backend("libsodium", bytes, _verify_sodium)

BACKEND = BACKENDS.get("libsodium") or BACKENDS["cryptography"]


def load_public_key(public_key: bytes, backend: Backend = BACKEND) -> object:
    """Return the key object `verify` takes for a checked public key (opaque: its type depends on the backend)."""
    check_public_key(public_key)
    return backend.load(public_key)


# `verify(key, signature, message)`: True iff `signature` is a strict Ed25519 signature of `message` by `key` (a key
# from `load_public_key`). The backend's own function, not a wrapper: a full check calls it for every event.
verify: Callable[[object, bytes, bytes], bool] = BACKEND.verify


def verify_with(backend: Backend, public_key: bytes, signature: bytes, message: bytes) -> bool:
    """The strict verdict on raw bytes through `backend`: False for an unacceptable key as for a bad signature."""
    try:
        key = load_public_key(public_key, backend)
    except IdentityError:
        return False
    return backend.verify(key, signature, message)


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """Return the 64-byte Ed25519 signature of `message`."""
    return key.sign(message)
