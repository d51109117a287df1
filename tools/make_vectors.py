"""Write the golden vectors of docs/PROTOCOL.md to docs/vectors/*.json (deterministic: fixed seeds and times).

Run: .venv/bin/python tools/make_vectors.py   (then `git diff docs/vectors` shows any change in the bytes)
Value notation in the files is described in docs/vectors/README.md.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events import (
    Event,
    Identity,
    Mode,
    create_event_from_value,
    decode_record,
    encode_fork_proof,
    encode_header,
    encode_record,
    event_id,
    fork_proof_from_events,
    group_id_text,
    pack,
    signing_message,
    verify_chain,
)
from events.bundle import BundleHead, write_bundle
from events.canonical import packb_plain
from events.ed25519 import L
from events.errors import DecodeError as Decode
from events.errors import NonCanonicalError as NonCanonical
from events.errors import OversizedError as Oversized
from events.errors import PayloadMismatchError as PayloadMismatch
from events.errors import TrailingBytesError as Trailing
from events.errors import UnsupportedVersionError as UnsupportedVersion
from events.header import Header
from events.readmodel import (
    COLLECTIONS,
    MemoryView,
    Put,
    digest_entry,
    entry_hash,
    group_digests,
    state_digest,
    state_digest_v2,
)
from tools import ref_ed25519 as ref
from tools.bundle_vectors import bundle_cases
from tools.readmodel_vectors import readmodel_cases
from tools.recon_vectors import reconcile_vectors
from tools.rotation_vectors import rotation
from tools.sealed_vectors import sealed_vectors
from tools.subscription_vectors import subscription_vectors

OUT = Path(__file__).resolve().parent.parent / "docs" / "vectors"
T0 = 1_700_000_000_000
KIND = "test.note"
SMALL_ORDER_KEY = bytes.fromhex("0100000000000000000000000000000000000000000000000000000000000000")
ORDER8_POINT = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


def seed(n: int) -> bytes:
    return hashlib.sha256(f"solnet test vector key {n}".encode()).digest()


def tagged(value: Any) -> Any:
    """Return the JSON notation of a msgpack value (see docs/vectors/README.md)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, bytes):
        return {"bin": value.hex()}
    if isinstance(value, list):
        return {"array": [tagged(v) for v in value]}
    if isinstance(value, dict):
        return {"map": [[k, tagged(v)] for k, v in value.items()]}
    raise TypeError(type(value))


def error(cls: type, code: str, **extra: Any) -> dict:
    return {"error": cls.__name__, "code": code, **extra}


def raw_event(
    author: bytes,
    sign: Any,
    *,
    seq: int,
    prev: bytes | None,
    timestamp: int,
    payload: bytes,
    kind: str = KIND,
) -> Event:
    """Build an event field by field (no clamping, unlike create_event), signed by `sign(message)`."""
    header = Header(1, author, seq, prev, timestamp, kind, hashlib.sha256(payload).digest(), len(payload))
    header_bytes = encode_header(header)
    return Event(header, header_bytes, sign(signing_message(header_bytes)), payload, event_id(header_bytes))


def with_signature(event: Event, signature: bytes) -> Event:
    return Event(event.header, event.header_bytes, signature, event.payload, event.id)


def corrupt(signature: bytes) -> bytes:
    return signature[:40] + bytes([signature[40] ^ 0x01]) + signature[41:]


def event_vector(name: str, event: Event, value: Any) -> dict:
    h = event.header
    return {
        "name": name,
        "payload_value": tagged(value),
        "payload": event.payload.hex() if event.payload is not None else None,
        "header": {
            "version": h.version,
            "author": h.author.hex(),
            "seq": h.seq,
            "prev": h.prev.hex() if h.prev else None,
            "timestamp": h.timestamp,
            "kind": h.kind,
            "payload_hash": h.payload_hash.hex(),
            "payload_size": h.payload_size,
        },
        "header_bytes": event.header_bytes.hex(),
        "id": event.id.hex(),
        "signing_message": signing_message(event.header_bytes).hex(),
        "signature": event.signature.hex(),
        "record": encode_record(event).hex(),
    }


def keys() -> dict:
    out = []
    for n in (1, 2, 3):
        ident = Identity.from_seed(seed(n))
        out.append({"seed": seed(n).hex(), "public_key": ident.public_key.hex(), "group_id": ident.group_id})
    bad_ids = [
        {"text": "sn_" + "a" * 51, "reason": "too short"},
        {"text": Identity.from_seed(seed(1)).group_id.upper(), "reason": "uppercase"},
        {"text": "xx_" + Identity.from_seed(seed(1)).group_id[3:], "reason": "wrong prefix"},
        {"text": "sn_" + "0" * 52, "reason": "character outside the base32 alphabet"},
        {"text": Identity.from_seed(seed(1)).group_id[:-1] + "b", "reason": "non-zero unused bits in the last character"},
        {"text": group_id_text(SMALL_ORDER_KEY), "reason": "small-order public key"},
        {"text": group_id_text(b"\xff" * 31 + b"\x7f"), "reason": "non-canonical point encoding (y >= p)"},
    ]
    # Make sure the unused-bits case really is a different encoding of the same bits.
    return {"keys": out, "invalid_group_ids": bad_ids}


def canonical() -> dict:
    values: list[Any] = [
        None,
        False,
        True,
        0,
        127,
        128,
        255,
        256,
        65535,
        65536,
        2**32 - 1,
        2**32,
        2**64 - 1,
        -1,
        -32,
        -33,
        -128,
        -129,
        -(2**15),
        -(2**15) - 1,
        -(2**31),
        -(2**31) - 1,
        -(2**63),
        "",
        "a",
        "x" * 31,
        "x" * 32,
        "x" * 256,
        "grüße ✊",
        b"",
        b"\x00\x01",
        b"\xab" * 256,
        [],
        [1, "two", b"3", None],
        list(range(16)),
        {},
        {"b": 1, "a": 2, "ab": 3, "B": 4, "é": 5, "aa": [{"z": None, "y": True}]},
        {str(i): i for i in range(16)},
    ]
    valid = [{"value": tagged(v), "hex": pack(v).hex()} for v in values]
    nc = ("NonCanonicalError", "non_canonical")
    de = ("DecodeError", "decode_error")
    tr = ("TrailingBytesError", "trailing_bytes")
    deep_ok = pack([[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]])  # 17 arrays: innermost (empty) at depth 16
    deep_bad = pack([[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]])[:-1] + b"\x91\x90"  # 18 arrays
    invalid = [
        ("cd0001", "1 encoded as uint16", nc),
        ("cc05", "5 encoded as uint8", nc),
        ("d001", "1 encoded as int8 (non-negative must be unsigned)", nc),
        ("d0e0", "-32 encoded as int8 instead of negative fixint", nc),
        ("cf00000000ffffffff", "2**32-1 encoded as uint64", nc),
        ("d90161", "'a' as str8", nc),
        ("c50001ff", "1-byte bin as bin16", nc),
        ("dc000101", "1-element array as array16", nc),
        ("82a16201a16102", "map {b:1, a:2} with keys out of order", nc),
        ("82a16101a16102", "map with a duplicate key", nc),
        ("cb3ff0000000000000", "float64 1.0", de),
        ("ca3f800000", "float32 1.0", de),
        ("d40100", "fixext1 extension type", de),
        ("d6ff00000000", "timestamp extension", de),
        ("c1", "the never-used byte c1", de),
        ("a2c328", "str that is not valid UTF-8", de),
        ("a3eda080", "str holding an encoded surrogate (not valid UTF-8)", de),
        ("8101a0", "map with an integer key", de),
        ("81c4016100", "map with a bin key", de),
        ("0100", "a trailing byte after the value 1", tr),
        ("92", "array that ends early", de),
        (deep_bad.hex(), "nested 18 arrays deep (depth limit 16)", de),
    ]
    return {
        "valid": valid,
        "depth_limit_ok": deep_ok.hex(),
        "invalid": [{"hex": h, "reason": r, "error": e, "code": c} for h, r, (e, c) in invalid],
    }


def payload(n: int) -> dict:
    return {"n": n, "text": f"note {n}"}


def make_chain(ident: Identity, count: int, start: int = 1) -> list[Event]:
    events: list[Event] = []
    prev = None
    for i in range(count):
        prev = create_event_from_value(ident, kind=KIND, value=payload(start + i), timestamp=T0 + 1000 * i, previous=prev)
        events.append(prev)
    return events


def chain_expectation(events: list[Event], author: bytes) -> dict:
    results = {m.value: verify_chain(events, author, m) for m in (Mode.FULL, Mode.HEAD)}
    full, head = results["full"], results["head"]
    assert [e.id for e in full.valid] == [e.id for e in head.valid], "modes disagree"
    assert [(p.seq, p.code) for p in full.rejected] == [(p.seq, p.code) for p in head.rejected]
    return {
        "valid_ids": [e.id.hex() for e in full.valid],
        "head_id": full.head.id.hex() if full.head else None,
        "rejected": [{"seq": p.seq, "code": p.code} for p in full.rejected],
        "full_mode_findings": [{"seq": p.seq, "code": p.code} for p in full.bad_signatures],
    }


def chain_case(name: str, reason: str, events: list[Event], author: bytes) -> dict:
    return {
        "name": name,
        "reason": reason,
        "author": author.hex(),
        "records": [encode_record(e).hex() for e in events],
        **chain_expectation(events, author),
    }


def events_and_chains() -> tuple[dict, dict]:
    alice = Identity.from_seed(seed(1))
    chain = make_chain(alice, 4)
    valid = [event_vector(f"chain event seq {e.seq}", e, payload(e.seq)) for e in chain]
    empty = create_event_from_value(alice, kind="test.empty", value={}, timestamp=T0, previous=None)
    valid.append(event_vector("empty map payload", empty, {}))
    dropped = chain[1].without_payload()
    dropped_vec = event_vector("seq 2 with its payload dropped (record payload nil)", dropped, None)

    a = alice.public_key
    sign = alice.sign

    # Chain cases
    cases = [chain_case("valid", "a valid chain of 4 events", chain, a)]
    mid_bad = [chain[0], with_signature(chain[1], corrupt(chain[1].signature)), chain[2], chain[3]]
    cases.append(
        chain_case(
            "middle_bad_signature",
            "seq 2's own signature is bad but seq 3 vouches for it: all valid in both modes, full mode reports seq 2",
            mid_bad,
            a,
        )
    )
    head_bad = [*chain[:3], with_signature(chain[3], corrupt(chain[3].signature))]
    cases.append(
        chain_case("head_bad_signature", "the head's signature is bad and nothing vouches for it: seq 4 invalid", head_bad, a)
    )
    only_bad = [with_signature(chain[0], corrupt(chain[0].signature))]
    cases.append(chain_case("bad_signature", "a single event whose signature does not verify", only_bad, a))
    s = int.from_bytes(chain[0].signature[32:], "little")
    malleable = chain[0].signature[:32] + (s + L).to_bytes(32, "little")
    assert ref.lax_verify(a, malleable, signing_message(chain[0].header_bytes))
    cases.append(
        chain_case(
            "signature_s_plus_l",
            "seq 1 signed with S + L (a lax verifier reducing S mod L accepts it): must be rejected",
            [with_signature(chain[0], malleable)],
            a,
        )
    )
    broken = raw_event(a, sign, seq=3, prev=hashlib.sha256(b"not seq 2").digest(), timestamp=T0 + 5000, payload=pack(payload(3)))
    cases.append(chain_case("broken_link", "seq 3's prev is not the id of seq 2", [chain[0], chain[1], broken, *chain[3:]], a))
    gap = raw_event(a, sign, seq=4, prev=chain[1].id, timestamp=T0 + 5000, payload=pack(payload(4)))
    cases.append(chain_case("seq_gap", "seq 2 is followed by seq 4", [chain[0], chain[1], gap], a))
    regress = raw_event(a, sign, seq=3, prev=chain[1].id, timestamp=chain[1].header.timestamp - 1, payload=pack(payload(3)))
    cases.append(chain_case("timestamp_regression", "seq 3's timestamp is 1 ms before seq 2's", [*chain[:2], regress], a))
    start2 = raw_event(a, sign, seq=2, prev=chain[0].id, timestamp=T0, payload=pack(payload(2)))
    cases.append(chain_case("missing_start", "a log that starts at seq 2 without a head", [start2], a))
    bob = Identity.from_seed(seed(2))
    cases.append(
        chain_case("author_mismatch", "an event by another author in alice's log", [*chain[:1], make_chain(bob, 1)[0]], a)
    )

    # Mixed-order key: valid for us and libsodium alike (cofactorless, byte-compared R).
    mixed_key, mixed_events = mixed_order_chain()
    cases.append(
        chain_case(
            "mixed_order_key",
            "author key = alice's point + a point of order 8; acceptable (not small order), signatures verify",
            mixed_events,
            mixed_key,
        )
    )

    # Small-order author: any message "verifies" for a lax verifier; the key itself must be rejected.
    s_small = 0x1234567
    forged_sig = ref.encode(ref.mul(s_small, ref.B)) + s_small.to_bytes(32, "little")
    forged = raw_event(SMALL_ORDER_KEY, lambda m: forged_sig, seq=1, prev=None, timestamp=T0, payload=pack(payload(1)))
    assert ref.lax_verify(SMALL_ORDER_KEY, forged_sig, signing_message(forged.header_bytes))
    small = {
        "name": "small_order_author",
        "reason": "author is the identity point (small order); the forged signature R=[s]B, S=s verifies for any "
        "message under a lax verifier; the key must be rejected",
        "author": SMALL_ORDER_KEY.hex(),
        "records": [encode_record(forged).hex()],
        "error": "IdentityError",
        "code": "identity_error",
    }

    # Record-level invalid cases
    h0 = chain[0].header
    good = chain[0]

    def rec(header_fields: list, sig: bytes = good.signature, pl: Any = good.payload) -> str:
        return packb_plain([packb_plain(header_fields), sig, pl]).hex()

    f = h0.fields()
    hdr_nc = (
        bytes([0x98])
        + b"".join(packb_plain(x) for x in f[:2])
        + bytes.fromhex("cd0001")
        + b"".join(packb_plain(x) for x in f[3:])
    )
    record_nc_int = packb_plain([hdr_nc, good.signature, good.payload])
    long_kind = [*f[:5], "a" * 200, *f[6:]]
    records_invalid = [
        {
            "name": "noncanonical_int_in_header",
            "reason": "header seq 1 encoded as uint16 (cd 00 01)",
            "record": record_nc_int.hex(),
            **error(NonCanonical, "non_canonical"),
        },
        {
            "name": "unsupported_version",
            "reason": "header version 2",
            "record": rec([2, *f[1:]]),
            **error(UnsupportedVersion, "unsupported_version"),
        },
        {
            "name": "payload_hash_mismatch",
            "reason": "payload bytes changed (same length): SHA-256 differs from payload_hash",
            "record": packb_plain([good.header_bytes, good.signature, good.payload[:-1] + b"X"]).hex(),
            **error(PayloadMismatch, "payload_mismatch"),
        },
        {
            "name": "payload_size_mismatch",
            "reason": "payload one byte longer than payload_size",
            "record": packb_plain([good.header_bytes, good.signature, good.payload + b"\x00"]).hex(),
            **error(PayloadMismatch, "payload_mismatch"),
        },
        {
            "name": "oversized_header",
            "reason": "header of more than 256 bytes (a 200-character kind)",
            "record": packb_plain([packb_plain(long_kind), good.signature, good.payload]).hex(),
            **error(Oversized, "oversized"),
        },
        {
            "name": "str_for_bin_signature",
            "reason": "signature sent as str instead of bin",
            "record": packb_plain([good.header_bytes, "s" * 64, good.payload]).hex(),
            **error(Decode, "decode_error"),
        },
        {
            "name": "str_for_bin_author",
            "reason": "header author sent as str instead of bin",
            "record": rec([f[0], "a" * 32, *f[2:]]),
            **error(Decode, "decode_error"),
        },
        {
            "name": "trailing_byte",
            "reason": "one byte after the record",
            "record": (encode_record(good) + b"\x00").hex(),
            **error(Trailing, "trailing_bytes"),
        },
        {
            "name": "short_signature",
            "reason": "signature of 63 bytes",
            "record": packb_plain([good.header_bytes, good.signature[:63], good.payload]).hex(),
            **error(Decode, "decode_error"),
        },
        {
            "name": "prev_at_seq_1",
            "reason": "seq 1 with a prev that is not nil",
            "record": rec([*f[:3], b"\x00" * 32, *f[4:]]),
            **error(Decode, "decode_error"),
        },
        {
            "name": "bad_kind",
            "reason": "kind with an uppercase letter",
            "record": rec([*f[:5], "Test.note", *f[6:]]),
            **error(Decode, "decode_error"),
        },
        {
            "name": "header_nine_fields",
            "reason": "header array of 9 fields",
            "record": rec([*f, 0]),
            **error(Decode, "decode_error"),
        },
        {
            "name": "record_noncanonical_bin",
            "reason": "record payload length written as bin16 although it fits bin8",
            "record": (
                b"\x93"
                + packb_plain(good.header_bytes)
                + packb_plain(good.signature)
                + b"\xc5"
                + len(good.payload).to_bytes(2, "big")
                + good.payload
            ).hex(),
            **error(NonCanonical, "non_canonical"),
        },
    ]
    events_doc = {
        "signing_prefix": b"solnet/event/v1\x00".hex(),
        "author_seed": seed(1).hex(),
        "valid": valid,
        "payload_dropped": dropped_vec,
        "invalid_records": records_invalid,
    }
    chains_doc = {"cases": cases, "small_order_author": small}
    return events_doc, chains_doc


def mixed_order_chain() -> tuple[bytes, list[Event]]:
    """A two-event chain by a mixed-order key, signed with nonces chosen so that k is a multiple of 8."""
    a = ref.secret_scalar(seed(1))
    point = ref.add(ref.mul(a, ref.B), ref.decode(ORDER8_POINT))
    key = ref.encode(point)

    def sign(message: bytes) -> bytes:
        for i in range(256):
            nonce = hashlib.sha256(b"nonce" + bytes([i])).digest()
            sig = ref.sign_with_scalar(a, key, message, nonce)
            if ref.lax_verify(key, sig, message):
                return sig
        raise AssertionError("no nonce found")

    e1 = raw_event(key, sign, seq=1, prev=None, timestamp=T0, payload=pack(payload(1)))
    e2 = raw_event(key, sign, seq=2, prev=e1.id, timestamp=T0 + 1, payload=pack(payload(2)))
    return key, [e1, e2]


def signatures() -> dict:
    """Bare Ed25519 cases: what the strict rules and a lax verifier say (cross-checked against libsodium)."""
    alice = Identity.from_seed(seed(1))
    msg = b"solnet signature vector"
    sig = alice.sign(msg)
    s = int.from_bytes(sig[32:], "little")
    s_small = 0x1234567
    forged = ref.encode(ref.mul(s_small, ref.B)) + s_small.to_bytes(32, "little")
    cases = [
        ("good", alice.public_key, sig, True, "a plain RFC 8032 signature"),
        ("corrupted", alice.public_key, corrupt(sig), False, "one bit of S flipped"),
        ("s_plus_l", alice.public_key, sig[:32] + (s + L).to_bytes(32, "little"), False, "S + L: non-canonical scalar"),
        ("wrong_message_key", Identity.from_seed(seed(2)).public_key, sig, False, "another key"),
    ]
    blocked = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ]
    for h in blocked:
        key = bytes.fromhex(h)
        cases.append((f"small_order_key_{h[:8]}", key, forge(key, msg), False, "public key of small order"))
    cases.append(
        ("small_order_key_signbit", bytes.fromhex(blocked[1][:-2] + "80"), forged, False, "identity point with sign bit")
    )
    # R = identity, S = k*a: [S]B = R + [k]A holds, so a verifier without the small-order R check accepts.
    identity_r = bytes.fromhex(blocked[1])
    k = int.from_bytes(hashlib.sha512(identity_r + alice.public_key + msg).digest(), "little") % L
    small_r = identity_r + (k * ref.secret_scalar(seed(1)) % L).to_bytes(32, "little")
    cases.append(("small_order_r", alice.public_key, small_r, False, "R is the identity point"))
    cases.append(("noncanonical_key", b"\xee" + b"\xff" * 30 + b"\x7f", forged, False, "key y = p + 1 (non-canonical)"))
    out = []
    for name, key, signature, strict, reason in cases:
        out.append(
            {
                "name": name,
                "public_key": key.hex(),
                "message": msg.hex(),
                "signature": signature.hex(),
                "strict": strict,
                "lax": ref.lax_verify(key, signature, msg),
                "reason": reason,
            }
        )
    return {"cases": out}


def forge(key: bytes, message: bytes) -> bytes:
    """Return R=[s]B, S=s for the first s where [k]A vanishes: valid for a lax verifier under a small-order key."""
    for s in range(1, 200):
        sig = ref.encode(ref.mul(s, ref.B)) + s.to_bytes(32, "little")
        if ref.lax_verify(key, sig, message):
            return sig
    raise AssertionError("no forgery found")


def forks() -> dict:
    alice = Identity.from_seed(seed(1))
    base = make_chain(alice, 1)
    left = create_event_from_value(alice, kind=KIND, value={"n": 2, "text": "left"}, timestamp=T0 + 1000, previous=base[0])
    right = create_event_from_value(alice, kind=KIND, value={"n": 2, "text": "right"}, timestamp=T0 + 1000, previous=base[0])
    proof = fork_proof_from_events([left], [right])
    # A side of two headers: the first one's own signature is not given, the second one vouches for it.
    right2 = create_event_from_value(alice, kind=KIND, value={"n": 3}, timestamp=T0 + 2000, previous=right)
    proof_run = fork_proof_from_events([left], [right, right2])
    a_side = proof.side_a
    b_side = proof.side_b
    swapped = packb_plain([1, list(b_side.headers), b_side.signature, list(a_side.headers), a_side.signature])
    same = packb_plain([1, list(a_side.headers), a_side.signature, list(a_side.headers), a_side.signature])
    bad_sig = packb_plain([1, list(a_side.headers), corrupt(a_side.signature), list(b_side.headers), b_side.signature])
    other_seq = packb_plain([1, list(a_side.headers), a_side.signature, [base[0].header_bytes], base[0].signature])
    bob_event = make_chain(Identity.from_seed(seed(2)), 1)[0]
    other_author = packb_plain([1, [base[0].header_bytes], base[0].signature, [bob_event.header_bytes], bob_event.signature])
    v2 = packb_plain([2, list(a_side.headers), a_side.signature, list(b_side.headers), b_side.signature])
    unlinked = packb_plain(
        [1, list(a_side.headers), a_side.signature, [right.header_bytes, base[0].header_bytes], base[0].signature]
    )
    fpe = ("ForkProofError", "bad_fork_proof")
    invalid = [
        (swapped, "sides in the wrong order (larger first id first)", fpe),
        (same, "both sides the same event: no fork", fpe),
        (bad_sig, "side a's signature does not verify", fpe),
        (other_seq, "sides start at different seqs", fpe),
        (other_author, "sides by different authors", fpe),
        (v2, "fork proof version 2", fpe),
        (unlinked, "a side's headers are not linked", fpe),
        (encode_fork_proof(proof) + b"\x00", "a trailing byte", ("TrailingBytesError", "trailing_bytes")),
    ]
    return {
        "valid": [
            {
                "name": "single_headers",
                "hex": encode_fork_proof(proof).hex(),
                "author": alice.public_key.hex(),
                "seq": 2,
                "id_a": proof.id_a.hex(),
                "id_b": proof.id_b.hex(),
            },
            {
                "name": "side_b_is_a_run_of_two",
                "hex": encode_fork_proof(proof_run).hex(),
                "author": alice.public_key.hex(),
                "seq": 2,
                "id_a": proof_run.id_a.hex(),
                "id_b": proof_run.id_b.hex(),
            },
        ],
        "invalid": [{"hex": h.hex(), "reason": r, "error": e, "code": c} for h, r, (e, c) in invalid],
    }


def bundles() -> dict:
    alice = Identity.from_seed(seed(1))
    chain = make_chain(alice, 3)
    left = create_event_from_value(alice, kind=KIND, value={"n": 3, "text": "other"}, timestamp=T0 + 3000, previous=chain[1])
    proof = fork_proof_from_events([chain[2]], [left])
    head = BundleHead(alice.group_id, T0 + 10_000)
    data = b"".join(write_bundle(head, [chain[0], chain[1].without_payload(), chain[2]], [proof]))
    return {
        "hex": data.hex(),
        "head": {"node": head.node, "created": head.created},
        "items": [
            {"type": "event", "id": chain[0].id.hex(), "payload": True},
            {"type": "event", "id": chain[1].id.hex(), "payload": False},
            {"type": "event", "id": chain[2].id.hex(), "payload": True},
            {"type": "fork_proof", "id_a": proof.id_a.hex(), "id_b": proof.id_b.hex()},
        ],
        "trailer": {"count": 4, "digest": data[-32:].hex()},
    }


PEER_URLS = (
    "http://peer.example.org:8470",
    "https://peer.example.org/solnet",
    "http://93.184.216.34:8470",
    "http://[2606:4700::1111]:80",
    "ftp://peer.example.org",
    "http://user:pw@peer.example.org",
    "http://peer.example.org/x?next=/admin",
    "http://peer.example.org/#frag",
    "http://127.0.0.1:8470",
    "http://127.0.0.1:8470/internal/admin/0?next=",
    "http://10.1.2.3",
    "http://172.16.0.1",
    "http://192.168.1.1",
    "http://169.254.169.254/latest",
    "http://100.64.0.1",
    "http://224.0.0.1",
    "http://240.0.0.1",
    "http://0.0.0.0",
    "http://[::1]:8470",
    "http://[fe80::1]",
    "http://[::ffff:127.0.0.1]",
    "http://[fc00::1]",
    "http://[ff02::1]",
    "http://localhost:8470",
    "http://node.localhost",
    "http://printer.local",
    "http://db.internal",
    "http://peer.example.org:0",
    "http:///nohost",
)


def peer_urls() -> dict:
    """Which learnt peer URLs may be contacted, by syntax and literal address (docs/PROTOCOL.md §13)."""
    from protocol.urls import learnt_url_problem  # the tool may use the protocol package; events never does

    cases = [
        {"url": url, "allow_private": allow, "contact": learnt_url_problem(url, allow_private=allow) is None}
        for url in PEER_URLS
        for allow in (False, True)
    ]
    return {"cases": cases}


def digests() -> dict:
    """Documents of three authors (collections whose digest order is not their alphabetical order), and both digests."""
    a, b, c = (Identity.from_seed(seed(n)).public_key for n in (1, 2, 3))
    puts = [
        Put("groups", b, b, None, {"name": "Bob's group", "since": T0}),
        Put("callouts", hashlib.sha256(b"callout 1").digest(), b, None, {"title": "Eviction watch", "open": True}),
        Put("groups", a, a, None, {"name": "Alice's group", "since": T0 + 1}),
        Put("pledges", hashlib.sha256(b"pledge 1").digest(), a, hashlib.sha256(b"callout 1").digest(), {"people": 3}),
        Put("callouts", hashlib.sha256(b"callout 2").digest(), a, None, {"title": "Rent strike", "open": False}),
        Put("positions", hashlib.sha256(b"proposal").digest() + c, c, hashlib.sha256(b"proposal").digest(), {"v": "for"}),
        Put("reports", hashlib.sha256(b"report").digest(), c, b"short", {"b": 1, "a": -2}),
    ]
    view = MemoryView()
    view.apply(puts)
    forked = [c]
    ordered = [put for collection in COLLECTIONS for put in view.scan(collection)]
    return {
        "documents": [
            {"collection": p.collection, "key": p.key.hex(), "author": p.author.hex(), "ref": tagged(p.ref), "doc": tagged(p.doc)}
            for p in puts
        ],
        "forked": [k.hex() for k in forked],
        "entries": [
            {
                "collection": p.collection,
                "key": p.key.hex(),
                "entry": digest_entry(p).hex(),
                "hash": entry_hash(digest_entry(p)).hex(),
            }
            for p in ordered
        ],
        "groups": [{"author": author.hex(), "digest": digest.hex()} for author, digest in group_digests(view)],
        "state_digest_v1": state_digest(view, forked),
        "state_digest_v2": state_digest_v2(view, forked),
        "empty": {"state_digest_v1": state_digest(MemoryView()), "state_digest_v2": state_digest_v2(MemoryView())},
    }


def check_records(doc: dict) -> None:
    """Fail loudly if a record case does not raise what it says (the generator must not write wrong vectors)."""
    for case in doc["invalid_records"]:
        try:
            decode_record(bytes.fromhex(case["record"]))
        except Exception as exc:
            assert type(exc).__name__ == case["error"], (case["name"], exc)
        else:
            raise AssertionError(f"{case['name']} decoded")


def write(name: str, doc: dict) -> None:
    (OUT / name).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    events_doc, chains_doc = events_and_chains()
    check_records(events_doc)
    write("keys.json", keys())
    write("canonical.json", canonical())
    write("signatures.json", signatures())
    write("events.json", events_doc)
    write("chain.json", chains_doc)
    write("fork.json", forks())
    write("bundle.json", bundles())
    write("peer_urls.json", peer_urls())
    write("rotation.json", rotation())
    write("reconcile.json", reconcile_vectors())
    write("subscription.json", subscription_vectors())
    write("sealed.json", sealed_vectors())
    write("digest.json", digests())
    write("bundles.json", bundle_cases())
    write("readmodels.json", readmodel_cases(tagged))
    print(f"wrote {len(list(OUT.glob('*.json')))} vector files to {OUT}")


if __name__ == "__main__":
    main()
