"""Benchmark of the signed-event core: raw Ed25519 verify, signing, full and head-only chain verification.

`raw_verify_per_s` is the bare call of the library the core verifies with (libsodium through PyNaCl, else
`cryptography`): the real per-core limit that full verification is compared with. The bare `cryptography` rate is
printed too (`raw_verify_cryptography_per_s`).

Usage: .venv/bin/python bench/events.py [--events N] [--repeat R]
Rates use the CPU time of this process (time.process_time), so other load on the machine skews them less.
Prints human-readable lines, then as its last line one JSON object with the median rates (per second).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events import ChainVerifier, Identity, Mode, create_event, decode_record, ed25519, encode_record, signing_message

PAYLOAD_SIZE = 500
T0 = 1_700_000_000_000


def payloads(count: int) -> list[bytes]:
    """Deterministic ~500-byte payloads, all different."""
    out = []
    for i in range(count):
        block = hashlib.sha256(i.to_bytes(8, "big")).digest()
        out.append((block * (PAYLOAD_SIZE // 32 + 1))[:PAYLOAD_SIZE])
    return out


def sign_chain(identity: Identity, bodies: list[bytes]) -> tuple[list[bytes], float]:
    """Return the records of a chain and the seconds spent in create_event."""
    records = []
    prev = None
    start = time.process_time()
    for i, body in enumerate(bodies):
        prev = create_event(identity, kind="bench.note", payload=body, timestamp=T0 + i, previous=prev)
        records.append(prev)
    elapsed = time.process_time() - start
    return [encode_record(e) for e in records], elapsed


def raw_verify_cryptography(public_key: bytes, signed: list[tuple[bytes, bytes]]) -> float:
    """Bare `cryptography` verify over the chain's own (signature, message) pairs."""
    key = Ed25519PublicKey.from_public_bytes(public_key)
    verify = key.verify
    start = time.process_time()
    for signature, message in signed:
        verify(signature, message)
    return len(signed) / (time.process_time() - start)


def raw_verify_libsodium(public_key: bytes, signed: list[tuple[bytes, bytes]]) -> float:
    """Bare libsodium verify (PyNaCl's crypto_sign_open, the call events/ed25519.py makes) over the same pairs."""
    from nacl.bindings import crypto_sign_open

    start = time.process_time()
    for signature, message in signed:
        crypto_sign_open(signature + message, public_key)
    return len(signed) / (time.process_time() - start)


# the bare call of the library the core verifies with: what every ratio is measured against
raw_verify = raw_verify_libsodium if ed25519.BACKEND.name == "libsodium" else raw_verify_cryptography


def chain_verify(author: bytes, records: list[bytes], mode: Mode) -> float:
    start = time.process_time()
    verifier = ChainVerifier(author, mode)
    valid = 0
    for record in records:
        valid += len(verifier.feed(decode_record(record)))
    valid += len(verifier.finish())
    elapsed = time.process_time() - start
    if valid != len(records):
        raise SystemExit(f"{mode.value}: only {valid} of {len(records)} events valid")
    return len(records) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    identity = Identity.from_seed(hashlib.sha256(b"bench").digest())
    bodies = payloads(args.events)
    records, sign_seconds = sign_chain(identity, bodies)
    sign_rate = args.events / sign_seconds
    decoded = [decode_record(r) for r in records]
    signed = [(e.signature, signing_message(e.header_bytes)) for e in decoded]
    del decoded
    size = sum(map(len, records)) / len(records)
    print(f"chain: {args.events} events, {size:.0f} bytes per record, {PAYLOAD_SIZE}-byte payloads")
    print(f"sign (create_event): {sign_rate:,.0f} events/s")

    raw, full, head, openssl, ratio = [], [], [], [], []
    for rep in range(args.repeat):
        raw.append(raw_verify(identity.public_key, signed))
        full.append(chain_verify(identity.public_key, records, Mode.FULL))
        head.append(chain_verify(identity.public_key, records, Mode.HEAD))
        openssl.append(raw_verify_cryptography(identity.public_key, signed))
        ratio.append(full[-1] / raw[-1])
        print(
            f"  run {rep + 1}: raw {raw[-1]:,.0f}/s  full {full[-1]:,.0f}/s ({ratio[-1]:.1%})  head {head[-1]:,.0f}/s"
            f"  raw cryptography {openssl[-1]:,.0f}/s"
        )
    result = {
        "verify_library": ed25519.BACKEND.name,
        "raw_verify_per_s": round(statistics.median(raw)),
        "raw_verify_cryptography_per_s": round(statistics.median(openssl)),
        "sign_per_s": round(sign_rate),
        "full_verify_per_s": round(statistics.median(full)),
        "head_verify_per_s": round(statistics.median(head)),
        "full_to_raw": round(statistics.median(ratio), 3),
    }
    print(
        f"raw Ed25519 verify ({result['verify_library']}, the chain's own messages): {result['raw_verify_per_s']:,}/s"
        f" (median of {args.repeat}); bare cryptography {result['raw_verify_cryptography_per_s']:,}/s"
        f" (the library used is {result['raw_verify_per_s'] / result['raw_verify_cryptography_per_s']:.2f}x as fast)"
    )
    print(
        f"full verify (decode_record + ChainVerifier FULL): {result['full_verify_per_s']:,} events/s"
        f" = {result['full_to_raw']:.1%} of raw (median of the runs' ratios; target >= 90%)"
    )
    print(f"head-only verify (decode_record + ChainVerifier HEAD): {result['head_verify_per_s']:,} events/s (target >= 100,000)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
