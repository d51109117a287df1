"""Store benchmark: own-event publishes through the HTTP API, bulk ingest of pre-signed events and read-model
catch-up, on SQLite (and PostgreSQL with --postgres).

    .venv/bin/python bench/store.py                      # 100k events, 100 authors, ~500-byte payloads; 2,000 publishes
    .venv/bin/python bench/store.py --events 10000 --publishes 200 --runs 1   # smaller, while developing
    .venv/bin/python bench/store.py --postgres postgresql://postgres@127.0.0.1:5432/test

Prints human-readable lines, then as the last line one JSON object:
{"publish_per_s", "publish_p99_ms", "ingest_per_s", "projection_per_s", ...}. Each figure is the median of
--runs runs, each on a fresh database. Rates are wall-clock; the `*_cpu_per_s` fields divide by this
process's CPU time instead (time.process_time), which is the fairer figure when other jobs share the machine
(it leaves out time spent waiting for the CPU, and also time waiting for fsync). "raw" rates insert the same
event rows straight through the recorders (no decoding, no verification) so the cost of checking chains can
be told apart from the cost of the database.

Publish: a real node (node.app.create_app over node.service.NodeService, SQLite store in a temp data dir)
served on a loopback port; one aiohttp ClientSession POSTs /api/v1/events --publishes times, one after the
other, and each request's latency is recorded (publish_p99_ms is the 99th percentile of one run; with
--runs N, the median of the runs' figures).

The pre-signed events are built before anything is timed and then moved out of the garbage collector's
sight (gc.freeze): they stand for batches that arrive over the network and are dropped after ingest, and
without the freeze every full collection during the timed part would walk 100k fixture events, which a
node never holds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventsourcing.sqlite import SQLiteApplicationRecorder

from events import Event, Identity, Mode, create_event, group_id_text
from events.kinds import build_payload
from events.readmodel.projection import project
from node.store import EventStore, Projector
from node.store.base import stored_event
from node.store.projector import DEFAULT_BATCH
from node.store.recorder import HeadRow, IndexRow
from node.store.sqlite import NodeSQLiteDatastore, SQLiteEventStore

T0 = 1_700_000_000_000
PAD = "x" * 400  # brings each payload to roughly 500 bytes


def make_events(n_events: int, n_authors: int) -> list[list[Event]]:
    """Return each author's log: a profile, then callouts and pledges (to the author's own callouts), ~500-byte payloads."""
    per_author = n_events // n_authors
    logs = []
    for a in range(n_authors):
        identity = Identity.from_seed(a.to_bytes(4, "big") * 8)
        log: list[Event] = []
        callouts: list[bytes] = []
        for i in range(per_author):
            if i == 0:
                kind, fields = "group.profile", {"name": f"Group {a}", "description": PAD}
            elif i % 2 == 1 or not callouts:
                kind, fields = "callout.published", {"title": f"Callout {i}", "text": PAD, "needs": ["people"]}
            else:
                kind, fields = "pledge.made", {"callout": callouts[-1], "need": "people", "offer": PAD}
            prev = log[-1] if log else None
            event = create_event(identity, kind=kind, payload=build_payload(kind, fields), timestamp=T0 + i, previous=prev)
            if kind == "callout.published":
                callouts.append(event.id)
            log.append(event)
        logs.append(log)
    return logs


def batches(logs: list[list[Event]], per_author: int) -> list[list[Event]]:
    """Return ingest batches as sync delivers them: each author's next contiguous run, authors interleaved."""
    out = []
    length = max(len(log) for log in logs)
    for start in range(0, length, per_author):
        out.append([e for log in logs for e in log[start : start + per_author]])
    return out


def timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    """Run fn; return (wall seconds, CPU seconds of this process, fn's count)."""
    start, cpu = time.perf_counter(), time.process_time()
    count = fn()
    return time.perf_counter() - start, time.process_time() - cpu, count


def run_backend(label: str, open_fresh: Callable[[], tuple[EventStore, Callable[[], None]]], logs, args) -> dict[str, float]:
    ingest_batches = batches(logs, args.batch_per_author)
    total = sum(len(b) for b in ingest_batches)
    rates: dict[str, list[float]] = {}

    def record(name: str, wall: float, cpu: float, n: int) -> None:
        rates.setdefault(name, []).append(n / wall)
        rates.setdefault(name.replace("_per_s", "_cpu_per_s"), []).append(n / cpu)

    for _ in range(args.runs):
        store, cleanup = open_fresh()
        try:
            recorder = store.recorder

            def raw(recorder=recorder) -> int:
                for batch in ingest_batches:
                    originators = {e.author: group_id_text(e.author) for e in batch}
                    last = {e.author: e for e in batch}
                    recorder.insert_events(
                        [stored_event(e, originators[e.author]) for e in batch],
                        index=[IndexRow(e.id, originators[e.author], e.seq) for e in batch],
                        heads=[HeadRow(originators[a], a, e.seq, e.id, e.header.timestamp) for a, e in last.items()],
                    )
                return total

            record("raw_insert_per_s", *timed(raw))
        finally:
            cleanup()
        store, cleanup = open_fresh()
        try:

            def ingest(store=store) -> int:
                stored = 0
                for batch in ingest_batches:
                    result = store.ingest(batch, Mode.HEAD).result
                    assert not result.rejected, result.rejected[:3]
                    stored += len(result.stored)
                return stored

            wall, cpu, n = timed(ingest)
            assert n == total, (n, total)
            record("ingest_per_s", wall, cpu, n)
            views = store.view_store()
            projector = Projector(store, views, project, batch=args.projection_batch)
            wall, cpu, n = timed(projector.catch_up)
            assert n == total
            record("projection_per_s", wall, cpu, n)
        finally:
            cleanup()
    result = {name: statistics.median(values) for name, values in rates.items()}
    print(f"{label}: {total} events from {len(logs)} authors, {args.runs} run(s), medians (wall; CPU time):")
    for name, text in (
        ("raw_insert", "raw recorder insert (node recorder, no checks)"),
        ("ingest", "ingest (decide + head-only verify + store)"),
        ("projection", "read-model catch-up (events.readmodel.projection)"),
    ):
        wall, cpu = result[f"{name}_per_s"], result[f"{name}_cpu_per_s"]
        print(f"  {text + ':':<48}{wall:>10,.0f} events/s; {cpu:>10,.0f} per CPU second")
    return result


def library_raw_rate(logs, args) -> float:
    """The library's own SQLiteApplicationRecorder, without the node's extra rows, for comparison."""
    rates = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as d:
            datastore = NodeSQLiteDatastore(str(Path(d) / "lib.sqlite3"))
            recorder = SQLiteApplicationRecorder(datastore)
            recorder.create_table()
            ingest_batches = batches(logs, args.batch_per_author)
            stored = [[stored_event(e) for e in b] for b in ingest_batches]
            start = time.perf_counter()
            for batch in stored:
                recorder.insert_events(batch)
            rates.append(sum(len(b) for b in stored) / (time.perf_counter() - start))
            datastore.close()
    return statistics.median(rates)


async def publish_run(n: int, data_path: Path) -> tuple[list[float], float, float]:
    """Serve a fresh node on loopback and POST `n` own events one after the other.

    Return each request's latency in seconds, the total wall seconds and the CPU seconds of this process
    (server and client both run in it).
    """
    from aiohttp import ClientSession, web

    from node.app import create_app
    from node.datadir import DataDir
    from node.own_head import OwnHead
    from node.service import NodeService
    from node.store import open_store

    data = DataDir.at(data_path)
    identity, token = data.init("Bench group")
    service = NodeService(
        store=open_store(data.path), identity=identity, settings=data.settings(), data_dir=data, own_head=OwnHead(only_copy=True)
    )
    runner = web.AppRunner(create_app(service))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the port the OS chose
    url = f"http://127.0.0.1:{port}/api/v1/events"
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    try:
        async with ClientSession() as session:
            start, cpu = time.perf_counter(), time.process_time()
            for i in range(n):
                body = {"kind": "callout.published", "payload": {"title": f"Callout {i}", "text": PAD, "needs": ["people"]}}
                sent = time.perf_counter()
                async with session.post(url, json=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 201, (response.status, await response.text())
                latencies.append(time.perf_counter() - sent)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        await runner.cleanup()
    return latencies, wall, cpu


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0..100) of values, nearest-rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def run_publish(args, tmp: str) -> dict[str, float]:
    per_s, cpu_per_s, p50, p99 = [], [], [], []
    for _ in range(args.runs):
        latencies, wall, cpu = asyncio.run(publish_run(args.publishes, Path(tmp) / f"node-{uuid.uuid4().hex}"))
        per_s.append(len(latencies) / wall)
        cpu_per_s.append(len(latencies) / cpu)
        p50.append(percentile(latencies, 50) * 1000)
        p99.append(percentile(latencies, 99) * 1000)
    result = {
        "publish_per_s": statistics.median(per_s),
        "publish_cpu_per_s": statistics.median(cpu_per_s),
        "publish_p50_ms": statistics.median(p50),
        "publish_p99_ms": statistics.median(p99),
    }
    print(f"sqlite: {args.publishes} sequential publishes through POST /api/v1/events, {args.runs} run(s), medians:")
    print(f"  publish: {result['publish_per_s']:>8,.0f} /s; {result['publish_cpu_per_s']:>8,.0f} per CPU second")
    print(f"  latency: p50 {result['publish_p50_ms']:.2f} ms, p99 {result['publish_p99_ms']:.2f} ms")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-per-author", type=int, default=50, help="events per author in one ingest batch")
    parser.add_argument("--projection-batch", type=int, default=DEFAULT_BATCH, help="events per read-model transaction")
    parser.add_argument("--publishes", type=int, default=2000, help="sequential publishes through the HTTP API (0: skip)")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a fresh schema, dropped afterwards)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    logs = make_events(args.events, args.authors)
    size = statistics.mean(len(e.payload or b"") for log in logs for e in log)
    print(f"signed {sum(map(len, logs))} events in {time.perf_counter() - start:.1f}s (mean payload {size:.0f} bytes)")

    gc.collect()
    gc.freeze()  # see the module docstring
    tmp = tempfile.TemporaryDirectory()

    def open_sqlite() -> tuple[EventStore, Callable[[], None]]:
        path = Path(tmp.name) / f"{uuid.uuid4().hex}.sqlite3"
        store = SQLiteEventStore(path)

        def cleanup() -> None:
            store.close()
            for p in path.parent.glob(path.name + "*"):
                p.unlink()

        return store, cleanup

    publish = run_publish(args, tmp.name) if args.publishes else {}
    lib = library_raw_rate(logs, args)
    print(f"sqlite: library SQLiteApplicationRecorder alone:  {lib:>10,.0f} events/s")
    sqlite = run_backend("sqlite", open_sqlite, logs, args)
    out: dict[str, object] = {
        "publish_per_s": round(publish["publish_per_s"]) if publish else None,
        "publish_p99_ms": round(publish["publish_p99_ms"], 2) if publish else None,
        "ingest_per_s": round(sqlite["ingest_per_s"]),
        "projection_per_s": round(sqlite["projection_per_s"]),
        "publish_p50_ms": round(publish["publish_p50_ms"], 2) if publish else None,
        "publish_cpu_per_s": round(publish["publish_cpu_per_s"]) if publish else None,
        "ingest_cpu_per_s": round(sqlite["ingest_cpu_per_s"]),
        "projection_cpu_per_s": round(sqlite["projection_cpu_per_s"]),
        "raw_insert_per_s": round(sqlite["raw_insert_per_s"]),
        "library_raw_insert_per_s": round(lib),
        "events": sum(map(len, logs)),
        "authors": len(logs),
        "publishes": args.publishes,
        "runs": args.runs,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if args.postgres:
        import psycopg
        from psycopg import sql

        from node.store.postgres import PostgresEventStore

        def open_pg() -> tuple[EventStore, Callable[[], None]]:
            schema = f"solnet_bench_{uuid.uuid4().hex[:12]}"
            store = PostgresEventStore(args.postgres, schema=schema)

            def cleanup() -> None:
                store.close()
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

            return store, cleanup

        pg = run_backend("postgresql", open_pg, logs, args)
        out.update({f"postgres_{k}": round(v) for k, v in pg.items()})
    tmp.cleanup()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
