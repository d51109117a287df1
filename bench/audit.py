"""Benchmark of `solnet audit`: full and --fast audits of a large export bundle, against the raw Ed25519 verify rate.

Usage: python bench/audit.py [--events N] [--groups G] [--runs R]. The bundle (N events from G groups, ~500-byte
payloads, really signed) is generated once into the temp dir and reused. Each run measures the raw verify rate (the
bare call of the library the core verifies with: libsodium through PyNaCl) just before and just after a full audit
(their mean is that run's raw rate), then a --fast audit, then the bare `cryptography` rate for comparison; each audit
runs in a fresh child process so that its peak RSS (main process + the largest worker x workers) is its own.
Medians over the runs are reported; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events import Identity, create_event_from_value, ed25519
from events.bundle import BundleHead, write_bundle


def generate(path: Path, events: int, groups: int) -> None:
    """Write a bundle of `events` signed events from `groups` groups, interleaved in runs of 50."""
    people = [Identity.from_seed(bytes([i % 256, i // 256]) * 16) for i in range(groups)]
    per = events // groups

    def stream():
        heads = [None] * groups
        for start in range(0, per, 50):
            for g, person in enumerate(people):
                for i in range(start, min(start + 50, per)):
                    value = {"title": f"report {i}", "text": f"{g}:{i} " + "lorem ipsum dolor sit amet " * 17}
                    heads[g] = create_event_from_value(
                        person, kind="report.published", value=value, timestamp=1_760_000_000_000 + i, previous=heads[g]
                    )
                    yield heads[g]

    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        for piece in write_bundle(BundleHead("bench", 1_760_000_000_000), stream()):
            out.write(piece)
    tmp.replace(path)


def raw_verify_rate(seconds: float = 2.0, library: str = ed25519.BACKEND.name) -> float:
    """Return single-core bare Ed25519 verifications per second with `library` (libsodium or cryptography).

    libsodium (PyNaCl's crypto_sign_open, the call events/ed25519.py makes) is the default when the core verifies
    with it: the real per-core limit. Messages are ~150 bytes, the size of an event's signed header.
    """
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    raw = public.public_bytes_raw()
    messages = [os.urandom(150) for _ in range(256)]
    signed = [(key.sign(m), m) for m in messages]
    count, start = 0, time.process_time()
    if library == "libsodium":
        from nacl.bindings import crypto_sign_open

        while time.process_time() - start < seconds:
            for sig, m in signed:
                crypto_sign_open(sig + m, raw)
            count += len(signed)
    else:
        verify = public.verify
        while time.process_time() - start < seconds:
            for sig, m in signed:
                verify(sig, m)
            count += len(signed)
    return count / (time.process_time() - start)


def child(path: str, fast: bool) -> None:
    """Run one audit in this process and print its timing and peak memory as JSON."""
    from audit import audit, default_workers

    start, cpu_start = time.perf_counter(), _cpu()
    report = audit(path, fast=fast)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu_start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = default_workers()
    largest_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if workers > 1 else 0.0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "events": report.events,
                "clean": report.clean,
                "digest": report.digest,
                "workers": workers,
                "rss_mb": own + workers * largest_worker,
            }
        )
    )


def _cpu() -> float:
    """Return the CPU seconds used by this process and its finished children (the workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_child(path: Path, fast: bool) -> dict:
    args = [sys.executable, __file__, "--child", str(path)] + (["--fast"] if fast else [])
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="audits of each kind; medians are reported (default 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--fast", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.fast)
        return
    cache = Path(tempfile.gettempdir()) / "solnet-bench-audit"
    cache.mkdir(exist_ok=True)
    path = cache / f"bundle-{args.events}-{args.groups}.solnet"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.events, args.groups)
        print(f"generated {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.1f} s")
    rows = []
    for run in range(1, args.runs + 1):
        # the raw rate is measured just before and just after the full audit (this machine's speed drifts)
        raw = (raw_before := raw_verify_rate(1.5))
        full = run_child(path, fast=False)
        raw = (raw_before + raw_verify_rate(1.5)) / 2
        fast = run_child(path, fast=True)
        assert full["digest"] == fast["digest"], "full and fast audits disagree"
        openssl = raw_verify_rate(1.5, "cryptography") if ed25519.BACKEND.name != "cryptography" else raw
        row = {
            "raw": raw,
            "raw_cryptography": openssl,
            "full": full["events"] / full["seconds"],
            "fast": fast["events"] / fast["seconds"],
            "full_cpu": full["events"] / full["cpu_seconds"],
            "fast_cpu": fast["events"] / fast["cpu_seconds"],
            "rss": max(full["rss_mb"], fast["rss_mb"]),
        }
        row["ratio"] = row["full"] / raw
        rows.append(row)
        print(
            f"run {run}: raw Ed25519 verify ({ed25519.BACKEND.name}, one core) {raw:,.0f} /s (cryptography {openssl:,.0f} /s);"
            f" full audit {row['full']:,.0f} /s "
            f"= {row['ratio']:.2f}x raw ({full['seconds']:.2f} s, {full['workers']} workers); --fast {row['fast']:,.0f} /s "
            f"({fast['seconds']:.2f} s); per CPU-second full {row['full_cpu']:,.0f}, fast {row['fast_cpu']:,.0f}; "
            f"peak RSS {row['rss']:.0f} MB; clean={full['clean'] and fast['clean']}",
            flush=True,
        )

    def median(name: str) -> float:
        return statistics.median(row[name] for row in rows)

    print(
        f"medians of {len(rows)} runs: raw ({ed25519.BACKEND.name}) {median('raw'):,.0f} /s"
        f" (cryptography {median('raw_cryptography'):,.0f} /s), full {median('full'):,.0f} /s "
        f"({median('ratio'):.2f}x raw; target >= 1.8x), --fast {median('fast'):,.0f} /s (target >= 150,000), "
        f"peak RSS {max(row['rss'] for row in rows):.0f} MB (target < 200)"
    )
    print(
        json.dumps(
            {
                "verify_library": ed25519.BACKEND.name,
                "raw_verify_per_s": round(median("raw")),
                "raw_verify_cryptography_per_s": round(median("raw_cryptography")),
                "full_audit_per_s": round(median("full")),
                "fast_audit_per_s": round(median("fast")),
                "peak_rss_mb": round(max(row["rss"] for row in rows), 1),
                "full_to_raw": round(median("ratio"), 3),
                "full_audit_per_cpu_s": round(median("full_cpu")),
                "fast_audit_per_cpu_s": round(median("fast_cpu")),
                "runs": len(rows),
            }
        )
    )


if __name__ == "__main__":
    main()
