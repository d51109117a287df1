"""One verdict on every signature: our libsodium and `cryptography` backends and bare libsodium agree.

docs/PROTOCOL.md §2 defines the rules as libsodium's `crypto_sign_verify_detached`; events/ed25519.py verifies
through libsodium (PyNaCl) when it can and through `cryptography` (OpenSSL) otherwise, both after the same
pre-checks. Hypothesis draws honest and adversarial inputs (small-order keys and R, both sign bits, S >= L,
non-canonical key and R encodings, mixed-order keys, tampered and random bytes); all three verdicts must match.
Bare OpenSSL legitimately disagrees on small-order keys and R: there libsodium's rule is the one that holds.
"""

from __future__ import annotations

import hashlib

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import Identity, ed25519
from events.ed25519 import BACKEND, BACKENDS, L, P, verify_with
from tools import ref_ed25519 as ref

SODIUM, OPENSSL = BACKENDS["libsodium"], BACKENDS["cryptography"]
SMALL_ORDER = sorted(ed25519._SMALL_ORDER)
# every small-order encoding with both sign bits (the block list compares with the sign bit cleared)
SMALL_ORDER_BOTH_SIGNS = [p[:31] + bytes([p[31] | sign]) for p in SMALL_ORDER for sign in (0, 0x80)]
TORSION = [ref.decode(p) for p in SMALL_ORDER if ref.decode(p) is not None]  # the canonical small-order points
SEEDS = [hashlib.sha256(bytes([i])).digest() for i in range(4)]
SCALARS = [ref.secret_scalar(s) for s in SEEDS]
KEYS = [Identity.from_seed(s).public_key for s in SEEDS]
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bare_libsodium(key: bytes, signature: bytes, message: bytes) -> bool:
    """libsodium's own verdict, without our pre-checks."""
    try:
        nacl.bindings.crypto_sign_open(signature + message, key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, nacl.exceptions.TypeError):
        return False
    return True


def bare_openssl(key: bytes, signature: bytes, message: bytes) -> bool:
    """OpenSSL's own verdict (through `cryptography`), without our pre-checks."""
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def assert_one_verdict(key: bytes, signature: bytes, message: bytes) -> bool:
    ours = verify_with(SODIUM, key, signature, message)
    assert verify_with(OPENSSL, key, signature, message) is ours, (key.hex(), signature.hex(), message.hex())
    assert bare_libsodium(key, signature, message) is ours, (key.hex(), signature.hex(), message.hex())
    return ours


def with_s(signature: bytes, s: int) -> bytes:
    return signature[:32] + s.to_bytes(32, "little")


def s_of(signature: bytes) -> int:
    return int.from_bytes(signature[32:], "little")


def forged(message: bytes, key: bytes, limit: int = 64) -> bytes:
    """R = [s]B, S = s: valid for a lax verifier whenever [k]A vanishes (a small-order key), else a fair try."""
    for s in range(1, limit):
        sig = ref.encode(ref.mul(s, ref.B)) + s.to_bytes(32, "little")
        if ref.lax_verify(key, sig, message):
            return sig
    return sig


@st.composite
def honest(draw) -> tuple[bytes, bytes, bytes]:
    i = draw(st.integers(0, len(SEEDS) - 1))
    message = draw(st.binary(max_size=300))
    return KEYS[i], Identity.from_seed(SEEDS[i]).sign(message), message


@st.composite
def tampered(draw) -> tuple[bytes, bytes, bytes]:
    key, signature, message = draw(honest())
    blob = bytearray(key + signature + message)
    bit = draw(st.integers(0, len(blob) * 8 - 1))
    blob[bit // 8] ^= 1 << (bit % 8)
    return bytes(blob[:32]), bytes(blob[32:96]), bytes(blob[96:])


@st.composite
def scalar_not_reduced(draw) -> tuple[bytes, bytes, bytes]:
    """S + nL (still 32 bytes), S = L exactly, or any S >= L."""
    key, signature, message = draw(honest())
    s = s_of(signature)
    big = draw(
        st.one_of(
            st.sampled_from([s + n * L for n in range(1, 16) if s + n * L < 2**256]), st.just(L), st.integers(L, 2**256 - 1)
        )
    )
    return key, with_s(signature, big), message


@st.composite
def small_order_key(draw) -> tuple[bytes, bytes, bytes]:
    key = draw(st.sampled_from(SMALL_ORDER_BOTH_SIGNS))
    message = draw(st.binary(max_size=64))
    return key, forged(message, key), message


@st.composite
def small_order_r(draw) -> tuple[bytes, bytes, bytes]:
    """R a small-order point (either sign), S = k*a: [S]B = R + [k]A holds when R is the identity."""
    i = draw(st.integers(0, len(SEEDS) - 1))
    r = draw(st.sampled_from(SMALL_ORDER_BOTH_SIGNS))
    message = draw(st.binary(max_size=64))
    k = int.from_bytes(hashlib.sha512(r + KEYS[i] + message).digest(), "little") % L
    return KEYS[i], r + (k * SCALARS[i] % L).to_bytes(32, "little"), message


@st.composite
def non_canonical_encoding(draw) -> tuple[bytes, bytes, bytes]:
    """A key or an R whose y is p .. 2**255 - 1 (either sign)."""
    y = draw(st.integers(P, 2**255 - 1)) | (draw(st.sampled_from([0, 1])) << 255)
    encoding = y.to_bytes(32, "little")
    key, signature, message = draw(honest())
    if draw(st.booleans()):
        return encoding, forged(message, encoding, limit=8), message
    return key, encoding + signature[32:], message


@st.composite
def mixed_order_key(draw) -> tuple[bytes, bytes, bytes]:
    """A' = A + T for a small-order T, signed with A's scalar: cofactorless-valid exactly when [k]T vanishes."""
    i = draw(st.integers(0, len(SEEDS) - 1))
    torsion = draw(st.sampled_from([t for t in TORSION if ref.encode(t) != ref.encode((0, 1, 1, 0))]))
    key = ref.encode(ref.add(ref.mul(SCALARS[i], ref.B), torsion))
    message = draw(st.binary(max_size=64))
    nonce = draw(st.binary(min_size=1, max_size=8))
    return key, ref.sign_with_scalar(SCALARS[i], key, message, nonce), message


@st.composite
def random_bytes(draw) -> tuple[bytes, bytes, bytes]:
    return draw(st.binary(min_size=32, max_size=32)), draw(st.binary(min_size=64, max_size=64)), draw(st.binary(max_size=64))


INPUTS = st.one_of(
    honest(), tampered(), scalar_not_reduced(), small_order_key(), small_order_r(), non_canonical_encoding(), mixed_order_key()
)


def test_libsodium_is_the_default_backend() -> None:
    assert BACKEND is SODIUM
    key = ed25519.load_public_key(KEYS[0])
    message = b"solnet"
    assert ed25519.verify(key, Identity.from_seed(SEEDS[0]).sign(message), message)


@PROPERTY
@given(INPUTS)
def test_backends_and_libsodium_agree(case: tuple[bytes, bytes, bytes]) -> None:
    assert_one_verdict(*case)


@PROPERTY
@given(random_bytes())
def test_backends_and_libsodium_agree_on_random_bytes(case: tuple[bytes, bytes, bytes]) -> None:
    assert_one_verdict(*case)


@settings(max_examples=50, deadline=None)
@given(honest())
def test_honest_signatures_verify_and_their_scalar_plus_l_does_not(case: tuple[bytes, bytes, bytes]) -> None:
    key, signature, message = case
    assert assert_one_verdict(key, signature, message)
    assert not assert_one_verdict(key, with_s(signature, s_of(signature) + L), message)


@settings(max_examples=40, deadline=None)
@given(small_order_key())
def test_small_order_keys_are_rejected_as_libsodium_does_where_openssl_accepts(case: tuple[bytes, bytes, bytes]) -> None:
    key, signature, message = case
    assert not assert_one_verdict(key, signature, message)


@settings(max_examples=40, deadline=None)
@given(small_order_r())
def test_small_order_r_is_rejected_as_libsodium_does(case: tuple[bytes, bytes, bytes]) -> None:
    key, signature, message = case
    assert not assert_one_verdict(key, signature, message)


def test_identity_r_is_a_disagreement_between_the_libraries_that_section_2_settles() -> None:
    """With R = identity and S = k*a the equation holds: OpenSSL accepts, libsodium and we refuse."""
    message = b"pinned"
    r = bytes([1]) + bytes(31)
    k = int.from_bytes(hashlib.sha512(r + KEYS[0] + message).digest(), "little") % L
    signature = r + (k * SCALARS[0] % L).to_bytes(32, "little")
    assert bare_openssl(KEYS[0], signature, message)
    assert not assert_one_verdict(KEYS[0], signature, message)


def test_a_small_order_key_is_a_disagreement_between_the_libraries_that_section_2_settles() -> None:
    key = bytes([1]) + bytes(31)  # the identity: [k]A vanishes for every message
    message = b"pinned"
    signature = forged(message, key)
    assert bare_openssl(key, signature, message)
    assert not assert_one_verdict(key, signature, message)


def test_mixed_order_keys_verify_exactly_when_the_cofactorless_equation_holds() -> None:
    """Over many nonces both outcomes occur, and every verdict is the same in all three."""
    seen = set()
    torsion = next(t for t in TORSION if ref.encode(ref.mul(4, t)) != ref.encode((0, 1, 1, 0)))  # order 8
    key = ref.encode(ref.add(ref.mul(SCALARS[1], ref.B), torsion))
    for n in range(48):
        message = b"mixed %d" % n
        signature = ref.sign_with_scalar(SCALARS[1], key, message, b"nonce")
        verdict = assert_one_verdict(key, signature, message)
        assert verdict is ref.lax_verify(key, signature, message)
        seen.add(verdict)
    assert seen == {True, False}
