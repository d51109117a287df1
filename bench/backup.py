"""Backup benchmark (issue 14): `solnet backup` of a SQLite store, and what a running node's publishes feel meanwhile.

    .venv/bin/python bench/backup.py                       # 20k events of 50 authors, 5 runs
    .venv/bin/python bench/backup.py --events 5000 --runs 3

Fills a fresh data dir's store with pre-signed events (bench/store.py's ~500-byte payloads), then measures:
- backup_s: `node.backup.backup_sqlite` (SQLite's online backup API, one step) of that store, median of --runs;
- copy_s, the limit measured in the same run: a plain `shutil.copyfile` of the same file (no consistency,
  what the backup is compared with); `backup_vs_copy` = backup_s / copy_s;
- publish_ms / publish_during_backup_ms: median latency of NodeService.publish (own-head check included)
  alone, and while another thread runs backups back to back; `publish_slowdown` is their ratio.
The last line is one JSON object of these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from store import make_events

from events import Mode
from node.backup import backup_sqlite
from node.datadir import DataDir
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from node.store.sqlite import DB_FILENAME

CALLOUT = {"title": "Bodies at the door", "text": "7am", "needs": ["people"]}


async def publish_latencies(service: NodeService, n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        await service.publish("callout.published", {**CALLOUT, "title": f"call {i}"})
        out.append(time.perf_counter() - start)
    return out


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    data = DataDir.at(tmp / "node")
    identity, _ = data.init("Bench group")
    service = NodeService(
        store=open_store(data.path), identity=identity, settings=data.settings(), data_dir=data, own_head=OwnHead(only_copy=True)
    )
    try:
        for log in make_events(args.events, args.authors):
            for start in range(0, len(log), 500):
                await service.ingest(log[start : start + 500], Mode.HEAD, refresh=False)
        await service.refresh()
        source = data.path / DB_FILENAME
        backups, copies = [], []
        for i in range(args.runs):
            start = time.perf_counter()
            await asyncio.to_thread(backup_sqlite, source, tmp / f"backup{i}.sqlite3")
            backups.append(time.perf_counter() - start)
            start = time.perf_counter()
            await asyncio.to_thread(shutil.copyfile, source, tmp / f"copy{i}.sqlite3")
            copies.append(time.perf_counter() - start)
            (tmp / f"backup{i}.sqlite3").unlink()
            (tmp / f"copy{i}.sqlite3").unlink()
        alone = await publish_latencies(service, args.publishes)
        stop = threading.Event()

        def back_up_again_and_again() -> None:
            i = 0
            while not stop.is_set():
                target = tmp / f"loop{i % 2}.sqlite3"
                target.unlink(missing_ok=True)
                backup_sqlite(source, target)
                i += 1

        worker = threading.Thread(target=back_up_again_and_again)
        worker.start()
        try:
            during = await publish_latencies(service, args.publishes)
        finally:
            stop.set()
            worker.join()
    finally:
        await service.close()
    backup_s, copy_s = statistics.median(backups), statistics.median(copies)
    publish_ms, during_ms = statistics.median(alone) * 1000, statistics.median(during) * 1000
    return {
        "events": args.events,
        "store_mb": round(source.stat().st_size / 1e6, 1),
        "backup_s": round(backup_s, 3),
        "copy_s": round(copy_s, 3),
        "backup_vs_copy": round(backup_s / copy_s, 2),
        "publish_ms": round(publish_ms, 2),
        "publish_during_backup_ms": round(during_ms, 2),
        "publish_slowdown": round(during_ms / publish_ms, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--authors", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--publishes", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args, Path(tmp)))
    print(f"store {result['store_mb']} MB: backup {result['backup_s']} s, plain copy {result['copy_s']} s (median)")
    print(f"publish median {result['publish_ms']} ms alone, {result['publish_during_backup_ms']} ms during backups")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
