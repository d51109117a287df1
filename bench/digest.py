"""Benchmark of the state digest after a write, version 2 (kept by the store) against version 1 (recomputed).

    .venv/bin/python bench/digest.py                         # 300k events, 500 groups, SQLite; 25 writes
    .venv/bin/python bench/digest.py --events 20000 --groups 50 --writes 5      # smaller, while developing
    .venv/bin/python bench/digest.py --postgres postgresql://postgres@127.0.0.1:5432/test

Builds (once, cached in the temp dir: a SQLite file, or a PostgreSQL schema named after the size) a store of
--events really signed events from --groups groups with a mix of kinds (profiles, callouts and their updates,
pledges to other groups' callouts, reports, campaigns, proposals and positions, follows), ingested as sync
delivers them and projected into the read models. Each run works on a fresh copy (SQLite) or on the cached
schema (PostgreSQL: the writes stay; each run adds --writes events to a store of --events).

Then --writes times, alternating between the busiest group (the most documents) and others: publish one event
(store.append_own), project it (Projector.catch_up: documents, entry hashes and the group digest in one
transaction), then read the state digest version 2 (ViewStore.state_digest_v2: one row per group). Reported:
medians of `write_ms` (the projection, with the group digest), `digest_ms` (the read) and
`digest_after_write_ms` (their sum); against the version-1 recompute (`state_digest` over every document,
median of --v1-runs) measured in the same run on the same store. At the end the stored version 2 is checked
against a from-scratch version 2 (`state_digest_v2` over the store's scans), whose time is also reported.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from events import Event, Identity, Mode, create_event
from events.kinds import build_payload
from events.readmodel.digest import state_digest, state_digest_v2
from events.readmodel.projection import project
from node.store import EventStore, Projector, SQLiteEventStore

T0 = 1_700_000_000_000
TARGET_MS = 50.0
TEXT = "We need people at the door at seven; bring flasks and banners. " * 3


def identity(g: int) -> Identity:
    return Identity.from_seed(b"digest-bench" + g.to_bytes(4, "big") + bytes(16))


def generate(events: int, groups: int) -> list[list[Event]]:
    """Return each group's log: a profile, then a mix of kinds, links to other groups' callouts and proposals."""
    per = events // groups
    ids = [identity(g) for g in range(groups)]
    logs: list[list[Event]] = [[] for _ in range(groups)]
    callouts: list[list[bytes]] = [[] for _ in range(groups)]
    proposals: list[list[bytes]] = [[] for _ in range(groups)]
    for i in range(per):
        for g in range(groups):
            other = (g * 7 + i) % groups
            step = (i * 13 + g) % 20
            if i == 0:
                kind, fields = "group.profile", {"name": f"Group {g}", "description": TEXT, "area": "London"}
            elif step < 4 or not callouts[g]:
                kind = "callout.published"
                fields = {"title": f"Callout {i}", "text": TEXT, "needs": ["people"], "urgency": "high", "where": "E8"}
            elif step < 6:
                kind, fields = "callout.updated", {"callout": callouts[g][-1], "title": f"Callout {i} (updated)"}
            elif step < 11 and callouts[other]:
                kind, fields = "pledge.made", {"callout": callouts[other][-1], "need": "people", "offer": "four of us"}
            elif step < 14:
                kind, fields = "report.published", {"title": f"Report {i}", "text": TEXT}
            elif step < 15:
                kind, fields = "campaign.created", {"title": f"Campaign {i}", "description": TEXT}
            elif step < 17:
                kind, fields = "proposal.tabled", {"title": f"Proposal {i}", "text": TEXT}
            elif step < 19 and proposals[other]:
                kind, fields = "position.taken", {"proposal": proposals[other][-1], "position": "agree"}
            else:
                kind, fields = "graph.follow", {"group": ids[other].public_key}
            log = logs[g]
            event = create_event(
                ids[g], kind=kind, payload=build_payload(kind, fields), timestamp=T0 + i, previous=log[-1] if log else None
            )
            log.append(event)
            if kind == "callout.published":
                callouts[g].append(event.id)
            elif kind == "proposal.tabled":
                proposals[g].append(event.id)
    return logs


def fill(store: EventStore, events: int, groups: int) -> None:
    """Generate the history, ingest it in runs of each group's events (~5,000 a batch) as sync would, and project it."""
    start = time.perf_counter()
    logs = generate(events, groups)
    print(f"generated {sum(map(len, logs))} events in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    length = max(map(len, logs))
    # ~5,000 events a batch (a 25,000-event batch made the PostgreSQL ingest hang here, the server waiting on the client)
    run = max(1, 5000 // groups)
    for at in range(0, length, run):
        result = store.ingest([e for log in logs for e in log[at : at + run]], Mode.HEAD).result
        assert not result.rejected, result.rejected[:3]
    print(f"ingested in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    projected = Projector(store, store.view_store(), project).catch_up()
    print(f"projected {projected} events (documents and group digests) in {time.perf_counter() - start:.1f} s", flush=True)


def open_sqlite(events: int, groups: int, work: Path) -> EventStore:
    cached = Path(tempfile.gettempdir()) / f"solnet-bench-digest-{events}-{groups}.sqlite3"
    if not cached.exists():
        part = cached.with_suffix(".building")
        for leftover in part.parent.glob(part.name + "*"):
            leftover.unlink()
        store = SQLiteEventStore(part)
        fill(store, events, groups)
        store.close()
        part.replace(cached)
    shutil.copy(cached, work / "solnet.sqlite3")
    return SQLiteEventStore(work / "solnet.sqlite3")


def open_postgres(url: str, events: int, groups: int) -> EventStore:
    import psycopg

    from node.store.postgres import PostgresEventStore

    schema = f"bench_digest_{events}_{groups}"
    with psycopg.connect(url, autocommit=True) as conn:
        built = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'views_group_digests'", (schema,)
        ).fetchone()
        done = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'bench_done'", (schema,)
        )
        if built is None or done.fetchone() is None:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            store = PostgresEventStore(url, schema=schema)
            fill(store, events, groups)
            conn.execute(f'CREATE TABLE "{schema}".bench_done (at bigint)')
            return store
    return PostgresEventStore(url, schema=schema)


def measure(store: EventStore, groups: int, writes: int, v1_runs: int) -> dict:
    views = store.view_store()
    projector = Projector(store, views, project)
    assert projector.catch_up() == 0
    forked = store.forked_authors()
    counts = store.counts()
    busiest = max(counts, key=counts.__getitem__)  # the most events; all groups hold ~--events/--groups
    recorder = views.recorder
    with recorder.datastore.transaction(commit=False) as c:
        busiest_documents = len(recorder._group_rows(c, busiest))
    writers = [identity(g) for g in range(groups)]
    busy = next(w for w in writers if w.public_key == busiest)
    write_ms, read_ms, total_ms = [], [], []
    for n in range(writes):
        who = busy if n % 2 == 0 else writers[(n * 37) % groups]
        payload = build_payload("report.published", {"title": f"Bench report {n}", "text": TEXT})
        store.append_own(who, "report.published", payload, T0 + 10_000_000 + n)
        start = time.perf_counter()
        assert projector.catch_up() == 1
        projected = time.perf_counter()
        digest = views.state_digest_v2(forked)
        done = time.perf_counter()
        write_ms.append((projected - start) * 1000)
        read_ms.append((done - projected) * 1000)
        total_ms.append((done - start) * 1000)
    v1_ms = []
    for _ in range(v1_runs):
        start = time.perf_counter()
        state_digest(views, forked)
        v1_ms.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    scratch = state_digest_v2(views, forked)
    scratch_ms = (time.perf_counter() - start) * 1000
    assert scratch == digest, "the stored group digests disagree with a from-scratch version 2"
    return {
        "events": store.max_notification_id(),
        "groups": len(counts),
        "busiest_group_documents": busiest_documents,
        "writes": writes,
        "write_ms": round(statistics.median(write_ms), 2),
        "digest_ms": round(statistics.median(read_ms), 2),
        "digest_after_write_ms": round(statistics.median(total_ms), 2),
        "digest_after_write_max_ms": round(max(total_ms), 2),
        "v1_recompute_ms": round(statistics.median(v1_ms), 1),
        "v2_from_scratch_ms": round(scratch_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--writes", type=int, default=25, help="writes measured (median reported; default 25)")
    parser.add_argument("--v1-runs", type=int, default=3, help="version-1 recomputes measured (default 3)")
    parser.add_argument("--postgres", metavar="URL", help="measure PostgreSQL (a cached schema) instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="solnet-bench-digest-") as tmp:
        if args.postgres:
            store, backend = open_postgres(args.postgres, args.events, args.groups), "postgres"
        else:
            store, backend = open_sqlite(args.events, args.groups, Path(tmp)), "sqlite"
        try:
            result = {"backend": backend, **measure(store, args.groups, args.writes, args.v1_runs)}
        finally:
            store.close()
    result["target_ms"] = TARGET_MS
    result["met"] = result["digest_after_write_ms"] <= TARGET_MS
    result["v1_over_v2"] = round(result["v1_recompute_ms"] / max(result["digest_after_write_ms"], 0.001), 1)
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
