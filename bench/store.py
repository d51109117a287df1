"""Store benchmark: bulk ingest of pre-signed events and read-model catch-up, on SQLite (and PostgreSQL with --postgres).

    .venv/bin/python bench/store.py                      # 100k events, 100 authors, ~500-byte payloads
    .venv/bin/python bench/store.py --events 10000       # smaller, while developing
    .venv/bin/python bench/store.py --postgres postgresql://postgres@127.0.0.1:5432/test

Prints human-readable lines, then as the last line one JSON object. Each figure is the median of --runs runs,
each on a fresh database. "raw" rates insert the same StoredEvents straight through the recorders (no decoding,
no verification) so the cost of checking chains can be told apart from the cost of the database.
"""

from __future__ import annotations

import argparse
import json
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
from events.projection import project
from node.store import EventStore, Projector
from node.store.base import stored_event
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


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def run_backend(label: str, open_fresh: Callable[[], tuple[EventStore, Callable[[], None]]], logs, args) -> dict[str, float]:
    ingest_batches = batches(logs, args.batch_per_author)
    total = sum(len(b) for b in ingest_batches)
    raw_rates, ingest_rates, projection_rates = [], [], []
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

            seconds, n = timed(raw)
            raw_rates.append(n / seconds)
        finally:
            cleanup()
        store, cleanup = open_fresh()
        try:

            def ingest(store=store) -> int:
                stored = 0
                for batch in ingest_batches:
                    result = store.ingest(batch, Mode.HEAD)
                    assert not result.rejected, result.rejected[:3]
                    stored += len(result.stored)
                return stored

            seconds, n = timed(ingest)
            assert n == total, (n, total)
            ingest_rates.append(n / seconds)
            views = store.view_store()
            projector = Projector(store, views, project, batch=args.projection_batch)
            seconds, n = timed(projector.catch_up)
            assert n == total
            projection_rates.append(n / seconds)
        finally:
            cleanup()
    result = {
        "raw_insert_per_s": statistics.median(raw_rates),
        "ingest_per_s": statistics.median(ingest_rates),
        "projection_per_s": statistics.median(projection_rates),
    }
    print(f"{label}: {total} events from {len(logs)} authors, {args.runs} run(s), medians:")
    print(f"  raw recorder insert (node recorder, no checks): {result['raw_insert_per_s']:>10,.0f} events/s")
    print(f"  ingest (decide + head-only verify + store):     {result['ingest_per_s']:>10,.0f} events/s")
    print(f"  read-model catch-up (events.projection):        {result['projection_per_s']:>10,.0f} events/s")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-per-author", type=int, default=50, help="events per author in one ingest batch")
    parser.add_argument("--projection-batch", type=int, default=1000)
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a fresh schema, dropped afterwards)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    logs = make_events(args.events, args.authors)
    size = statistics.mean(len(e.payload or b"") for log in logs for e in log)
    print(f"signed {sum(map(len, logs))} events in {time.perf_counter() - start:.1f}s (mean payload {size:.0f} bytes)")

    tmp = tempfile.TemporaryDirectory()

    def open_sqlite() -> tuple[EventStore, Callable[[], None]]:
        path = Path(tmp.name) / f"{uuid.uuid4().hex}.sqlite3"
        store = SQLiteEventStore(path)

        def cleanup() -> None:
            store.close()
            for p in path.parent.glob(path.name + "*"):
                p.unlink()

        return store, cleanup

    lib = library_raw_rate(logs, args)
    print(f"sqlite: library SQLiteApplicationRecorder alone:  {lib:>10,.0f} events/s")
    sqlite = run_backend("sqlite", open_sqlite, logs, args)
    out: dict[str, object] = {
        "ingest_per_s": round(sqlite["ingest_per_s"]),
        "projection_per_s": round(sqlite["projection_per_s"]),
        "raw_insert_per_s": round(sqlite["raw_insert_per_s"]),
        "library_raw_insert_per_s": round(lib),
        "events": sum(map(len, logs)),
        "authors": len(logs),
        "publish_per_s": None,
        "publish_p99_ms": None,
        "note": "publish_* are measured through the HTTP API by its own benchmark (not yet written)",
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
