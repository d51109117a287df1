"""Import benchmark: `solnet import` of a large many-group bundle, and catch-up of the same events from a peer, in one run.

    .venv/bin/python bench/import.py                          # 200k events of 500 groups (bundle cached in bench/.cache/)
    .venv/bin/python bench/import.py --events 20000 --groups 100   # quicker, while developing
    .venv/bin/python bench/import.py --postgres postgresql://postgres@127.0.0.1:5432/test   # PostgreSQL as well

The bundle is bench/history.py's realistic mix (callouts, pledges to other groups' callouts, reports, assemblies,
proposals, positions, decisions, campaigns...), built once and cached. Each run, on a fresh data dir:
1. `solnet import --json FILE` as a separate process (SQLite, then PostgreSQL in a fresh database if --postgres);
   its JSON says how long the integrity check, storing and the read-model projection took. `import_per_s` counts
   events per second of check + store (the events are held, like catch-up's figure below); `import_total_per_s`
   is events per second of the whole command, interpreter start-up and read-model projection included.
2. Catch-up: the imported node serves (`solnet serve`), a fresh node started with it as its only peer pulls
   everything (bench/sync.py's measurement: events per second from the fresh node answering until its log heads
   hold every event, read models projected after; `catchup_total_per_s` also counts the projection).
The `*_cpu_per_s` figures divide by the CPU seconds of the importing process / of the fresh node (start-up and
read models included in both): the fairer comparison when other jobs share the machine. `import_to_catchup`
(wall, events held) and `import_to_catchup_cpu` compare the two measured in this run: >= 1 means the import
keeps up with catch-up.
The figures are medians of --runs runs; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from history import history_bundle  # noqa: E402
from sync import free_port, get_json, serve_process, wait_for  # noqa: E402


def solnet(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "node.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: solnet {args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """Return the CPU seconds (user + system) process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_import(data: Path, bundle: Path, events: int, database: str | None) -> dict:
    """Import `bundle` into a fresh node at `data`; return the import's figures."""
    solnet("init", "--name", "Importer", "--data", str(data), *(["--database", database] if database else []))
    start, cpu = time.perf_counter(), _children_cpu()
    out = json.loads(solnet("import", "--json", str(bundle), "--data", str(data)))
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if out["stored"] != events or out["rejected"]:
        raise SystemExit(f"bench: import stored {out['stored']} of {events}, rejected {out['rejected']}")
    s = out["seconds"]
    return {
        "rate": events / (s["check"] + s["store"]),
        "total_rate": events / wall,
        "cpu_rate": events / cpu,
        "wall": wall,
        **{f"{k}_s": v for k, v in s.items()},
    }


async def catch_up(source: Path, root: Path, total: int) -> dict:
    """A fresh node pulls every event from `source` (served); return the catch-up rates."""
    fresh = root / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    solnet("init", "--name", "Fresh", "--data", str(fresh))
    db = fresh / "solnet.sqlite3"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        own = conn.execute("SELECT author FROM log_heads").fetchone()[0]
    a_port, b_port = free_port(), free_port()
    procs = [serve_process(source, a_port, [], root / "source.log")]
    try:
        await asyncio.to_thread(wait_for, lambda: get_json(f"http://127.0.0.1:{a_port}/api/v1/node"), 120, "source serving")
        start = time.perf_counter()
        procs.append(serve_process(fresh, b_port, [f"http://127.0.0.1:{a_port}"], root / "fresh.log"))
        marks: dict[str, float] = {}

        def held() -> int:
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
                return conn.execute("SELECT coalesce(sum(seq), 0) FROM log_heads WHERE author != ?", (own,)).fetchone()[0]

        def progress() -> bool:
            if "ready_at" not in marks:
                if get_json(f"http://127.0.0.1:{b_port}/api/v1/peers") is None:
                    return False
                marks["ready_at"], marks["held_at_ready"] = time.perf_counter(), held()
            return held() >= total

        await asyncio.to_thread(wait_for, progress, 1200, "catch-up", 0.02)
        end = time.perf_counter()

        def projected() -> bool:
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
                newest = conn.execute("SELECT coalesce(max(rowid), 0) FROM stored_events").fetchone()[0]
                done = conn.execute("SELECT coalesce(max(notification_id), 0) FROM tracking").fetchone()[0]
            return done >= newest

        await asyncio.to_thread(wait_for, projected, 1200, "read models", 0.1)
        projected_at = time.perf_counter()
        cpu = _process_cpu(procs[1].pid)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    return {
        "rate": (total - marks["held_at_ready"]) / (end - marks["ready_at"]),
        "total_rate": total / (projected_at - start),
        "cpu_rate": total / cpu,
        "read_models_after_s": projected_at - end,
    }


@contextlib.contextmanager
def fresh_database(url: str):
    """Yield the URL of a new, empty PostgreSQL database on the server at `url`; drop it afterwards."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    name = f"bench_import_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    params = conninfo_to_dict(url)
    params["dbname"] = name
    try:
        yield "postgresql://{user}@{host}:{port}/{dbname}".format(**{"user": "", "port": 5432, "host": "localhost", **params})
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL", help="also import into a fresh database on this PostgreSQL server")
    args = parser.parse_args()
    t = time.perf_counter()
    bundle = history_bundle(args.events, args.groups)
    total = args.events // args.groups * args.groups
    print(f"bundle: {bundle.name}, {bundle.stat().st_size / 1e6:.1f} MB, {total} events ({time.perf_counter() - t:.1f} s)")
    root = Path(tempfile.mkdtemp(prefix="solnet-bench-import-"))
    imports, pg_imports, catchups = [], [], []
    try:
        for i in range(args.runs):
            data = root / f"import{i}"
            r = run_import(data, bundle, total, None)
            imports.append(r)
            print(
                f"import {i + 1} (SQLite): {r['rate']:,.0f} events/s stored (check {r['check_s']:.1f} s, store "
                f"{r['store_s']:.1f} s), read models {r['read_models_s']:.1f} s, whole command {r['wall']:.1f} s = "
                f"{r['total_rate']:,.0f} events/s ({r['cpu_rate']:,.0f} per CPU second)"
            )
            c = asyncio.run(catch_up(data, root, total))
            catchups.append(c)
            print(
                f"catch-up {i + 1} from that node: {c['rate']:,.0f} events/s once serving, read models "
                f"{c['read_models_after_s']:.1f} s later; {c['total_rate']:,.0f} events/s with them "
                f"({c['cpu_rate']:,.0f} per CPU second of the fresh node, start-up and read models included)"
            )
            shutil.rmtree(data, ignore_errors=True)
            if args.postgres:
                with fresh_database(args.postgres) as url:
                    p = run_import(root / f"pg{i}", bundle, total, url)
                pg_imports.append(p)
                print(
                    f"import {i + 1} (PostgreSQL): {p['rate']:,.0f} events/s stored (store {p['store_s']:.1f} s), read "
                    f"models {p['read_models_s']:.1f} s, whole command {p['wall']:.1f} s = {p['total_rate']:,.0f} events/s"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    def median(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 1)

    result = {
        "import_per_s": round(median(imports, "rate")),
        "catchup_per_s": round(median(catchups, "rate")),
        "import_total_per_s": round(median(imports, "total_rate")),
        "catchup_total_per_s": round(median(catchups, "total_rate")),
        "import_total_cpu_per_s": round(median(imports, "cpu_rate")),
        "catchup_total_cpu_per_s": round(median(catchups, "cpu_rate")),
        "import_to_catchup": round(median(imports, "rate") / median(catchups, "rate"), 2),
        "import_to_catchup_cpu": round(median(imports, "cpu_rate") / median(catchups, "cpu_rate"), 2),
        "import_read_models_s": median(imports, "read_models_s"),
        "catchup_read_models_after_s": median(catchups, "read_models_after_s"),
        "events": total,
        "runs": args.runs,
        "load_1m": round(os.getloadavg()[0], 1),
    }
    if pg_imports:
        result["postgres_import_per_s"] = round(median(pg_imports, "rate"))
        result["postgres_import_total_per_s"] = round(median(pg_imports, "total_rate"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
