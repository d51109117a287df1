"""Sync benchmark: catch-up of a fresh node over HTTP on loopback, and one callout spreading across 16 real nodes.

    .venv/bin/python bench/sync.py                    # 100k events from 100 groups, ~500-byte payloads
    .venv/bin/python bench/sync.py --events 10000     # quicker, while developing

Catch-up: the events are signed once (events.create_event), ingested straight into node 1's store, then
node 1 and a fresh node 2 run as separate `solnet serve` processes; node 2's only peer is node 1, reached
through a byte-counting TCP relay in this process, so "wire" bytes are everything both ways on that TCP
connection (HTTP headers included). Rate = events / seconds from node 2 answering until it holds them all.
Node 2's RSS is read from /proc (VmRSS at 25% and 100% of the log, VmHWM as the peak).

Propagation: 16 real nodes (aiohttp servers, SQLite files) in this process on a random connected topology
(average degree 4); one callout is published at one node; seconds until every node stores it, and the most
copies (pushed or pulled) any one node received. Anti-entropy rounds stay at the default 5 s, so the figure
is what pushes and announcements achieve. Prints human lines, then as the last line one JSON object.

NAT (`nat_propagation_s`, bench/nat.py): 8 outbound-only nodes subscribed to one reachable node, anti-entropy
every 10 minutes; median seconds until a callout published at the reachable node is held by all 8.
`--nat-only` runs just that case.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiohttp import web  # noqa: E402
from nat import nat_propagation  # noqa: E402  (bench/nat.py)
from recon import reconciliation  # noqa: E402  (bench/recon.py)
from store import make_events  # noqa: E402  (bench/store.py)

from events import Mode  # noqa: E402
from events.event import encode_record  # noqa: E402
from node.app import create_app  # noqa: E402
from node.datadir import DataDir  # noqa: E402
from node.federation import FEDERATION, FederationConfig, federation_setup  # noqa: E402
from node.own_head import OwnHead  # noqa: E402
from node.service import NodeService  # noqa: E402
from node.store import open_store  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.loads(resp.read())
    except OSError:
        return None


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class CountingRelay:
    """A TCP relay on loopback that counts the bytes it carries each way."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.up = 0
        self.down = 0
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, upward: bool) -> None:
            try:
                while data := await src.read(1 << 16):
                    if upward:
                        self.up += len(data)
                    else:
                        self.down += len(data)
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        with contextlib.suppress(asyncio.CancelledError):  # the relay closing at the end of a run
            await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))

    async def close(self) -> None:
        if self.server:
            self.server.close()


def serve_process(data: Path, port: int, peers: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "SOLNET_PEER_EXCHANGE": "0", "PYTHONPATH": str(ROOT)}
    profile = os.environ.get("BENCH_PROFILE") if peers else None
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    args = [sys.executable, *prefix, "-m", "node.cli", "serve", "--data", str(data), "--listen", f"127.0.0.1:{port}"]
    spy = os.environ.get("BENCH_PYSPY") if peers else None  # "py-spy path:output file", to sample every thread
    if spy:
        tool, _, out = spy.partition(":")
        args = [tool, "record", "--threads", "--nonblocking", "-r", "250", "-f", "raw", "-o", out, "--", *args]
    for peer in peers:
        args += ["--peer", peer]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def wait_for(condition, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise SystemExit(f"bench: {what} did not happen within {timeout}s")


def init_node(path: Path, name: str) -> DataDir:
    data = DataDir.at(path)
    data.init(name)
    return data


async def catch_up(root: Path, logs: list, total: int) -> dict:
    """Run one catch-up of a fresh node from node 1 (whose store already holds the logs); return its figures."""
    a_path, b_path = root / "one", root / "two"
    for path in (a_path, b_path):
        shutil.rmtree(path, ignore_errors=True)
    init_node(a_path, "Node one")
    b_key = init_node(b_path, "Node two").load_identity().public_key
    store = open_store(a_path)
    for i in range(0, max(len(log) for log in logs), 500):
        store.ingest([e for log in logs for e in log[i : i + 500]], Mode.HEAD)
    store.close()
    record_bytes = sum(len(encode_record(e)) for log in logs for e in log)
    a_port, b_port = free_port(), free_port()
    procs = [serve_process(a_path, a_port, [], root / "one.log")]
    relay = CountingRelay(a_port)
    await relay.start()
    try:
        await asyncio.to_thread(wait_for, lambda: get_json(f"http://127.0.0.1:{a_port}/api/v1/node"), 120, "node one serving")
        start = time.perf_counter()
        procs.append(serve_process(b_path, b_port, [f"http://127.0.0.1:{relay.port}"], root / "two.log"))
        pid = procs[1].pid
        marks: dict[str, float] = {}

        db = b_path / "solnet.sqlite3"

        def held() -> int:
            # Read node two's log heads straight from its SQLite file: polling its API (which computes the state
            # digest) would load the very node being measured.
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
                return conn.execute("SELECT coalesce(sum(seq), 0) FROM log_heads WHERE author != ?", (b_key,)).fetchone()[0]

        def progress() -> bool:
            if "ready_at" not in marks:
                if get_json(f"http://127.0.0.1:{b_port}/api/v1/peers") is None:
                    return False
                marks["ready_at"] = time.perf_counter()  # node two answers: count from here, without interpreter start-up
                marks["held_at_ready"] = held()
            got = held()
            for share in (25, 50, 75):
                if got >= total * share // 100 and f"rss_{share}" not in marks:
                    marks[f"rss_{share}"] = rss_mb(pid)
            return got >= total

        await asyncio.to_thread(wait_for, progress, 1200, "catch-up", 0.02)
        end = time.perf_counter()
        seconds = end - start
        marks["rate_after_ready"] = (total - marks["held_at_ready"]) / (end - marks["ready_at"])
        marks["rss_100"] = rss_mb(pid)
        marks["peak"] = rss_mb(pid, "VmHWM")

        def projected() -> bool:
            # Read models are projected once the pull ends (Replica.flush): wait until they cover every event.
            with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
                newest = conn.execute("SELECT coalesce(max(rowid), 0) FROM stored_events").fetchone()[0]
                done = conn.execute("SELECT coalesce(max(notification_id), 0) FROM tracking").fetchone()[0]
            return done >= newest

        await asyncio.to_thread(wait_for, projected, 1200, "read models", 0.1)
        marks["projected_s"] = time.perf_counter() - end
        marks["peak_after_projection"] = rss_mb(pid, "VmHWM")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            proc.wait(timeout=30)
        await relay.close()
    return {
        "seconds": seconds,
        "rate": total / seconds,
        "wire_ratio": (relay.up + relay.down) / record_bytes,
        "wire_bytes": relay.up + relay.down,
        "record_bytes": record_bytes,
        **marks,
    }


class BenchNode:
    """One in-process node: data dir, service, app with federation, served on a loopback socket."""

    def __init__(self, path: Path, index: int):
        self.data = init_node(path, f"Group {index}")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.peers: list[str] = []
        self.copies: Counter[bytes] = Counter()
        self.index = index

    async def start(self) -> None:
        data = self.data
        self.service = NodeService(
            store=open_store(data.path),
            identity=data.load_identity(),
            settings=data.settings(),
            data_dir=data,
            own_head=OwnHead(only_copy=True),
        )
        await self.service.publish("group.profile", {"name": f"Group {self.index}"})
        config = FederationConfig(own_url=self.url, peers=tuple(self.peers), seed=self.index, peer_exchange=False)
        self.app = create_app(self.service, extras=[federation_setup(config)])
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()
        replica = self.app[FEDERATION].replica
        ingest = replica.ingest

        async def counting(events):  # every copy that reaches this node, pushed or pulled, passes here
            self.copies.update(e.id for e in events)
            return await ingest(events)

        replica.ingest = counting


async def propagation(root: Path, size: int = 16, degree: int = 4, seed: int = 1) -> dict:
    """Return seconds until one callout reaches all `size` nodes, and the most copies any node received."""
    rng = random.Random(seed)
    nodes = [BenchNode(root / f"p{seed}-{i}", i) for i in range(size)]
    order = list(range(size))
    rng.shuffle(order)
    edges = {tuple(sorted((order[i], order[rng.randrange(i)]))) for i in range(1, size)}
    while len(edges) < size * degree // 2:
        edges.add(tuple(sorted(rng.sample(range(size), 2))))
    for a, b in edges:
        nodes[a].peers.append(nodes[b].url)
        nodes[b].peers.append(nodes[a].url)
    await asyncio.gather(*(n.start() for n in nodes))
    try:
        deadline = time.monotonic() + 120
        while True:  # first every node learns every profile (start-up rounds); then the network is quiet
            counts = [len(await n.service.astore.heads()) for n in nodes]
            busy = any(n.app[FEDERATION].busy for n in nodes)
            if min(counts) == size and not busy:
                break
            if time.monotonic() > deadline:
                raise SystemExit("bench: start-up sync did not finish")
            await asyncio.sleep(0.05)
        source = nodes[rng.randrange(size)]
        start = time.perf_counter()
        event = await source.service.publish(
            "callout.published", {"title": "Bodies at the door", "text": "7am", "needs": ["people"]}
        )
        while True:
            held = [await n.service.astore.get(event.id) is not None for n in nodes]
            if all(held):
                break
            if time.perf_counter() - start > 60:
                raise SystemExit(f"bench: callout reached {sum(held)} of {size} nodes in 60 s")
            await asyncio.sleep(0.005)
        seconds = time.perf_counter() - start
        for n in nodes:  # let relays in flight land before counting copies
            while n.app[FEDERATION].busy:
                await asyncio.sleep(0.01)
        copies = [n.copies[event.id] for n in nodes if n is not source]
    finally:
        for n in nodes:
            await n.runner.cleanup()
    return {"seconds": seconds, "max_copies": max(copies), "mean_copies": statistics.mean(copies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1, help="catch-up runs (median reported)")
    parser.add_argument("--topologies", type=int, default=3, help="propagation runs on different random topologies")
    parser.add_argument("--groups", type=int, default=100_000, help="groups in the reconciliation case (0: skip it)")
    parser.add_argument("--nat-only", action="store_true", help="run only the NAT case (8 subscribed nodes)")
    args = parser.parse_args()
    if args.nat_only:
        root = Path(tempfile.mkdtemp(prefix="solnet-bench-nat-"))
        try:
            nat = asyncio.run(nat_propagation(root))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        print(
            f"NAT: a callout reaches 8 subscribed nodes in {nat['nat_propagation_s']:.3f} s (median; max "
            f"{nat['nat_propagation_max_s']:.3f} s); one of theirs reaches the hub in {nat['nat_upward_s']:.3f} s"
        )
        print(json.dumps({k: round(v, 3) for k, v in nat.items()}))
        return
    authors = min(args.authors, max(1, args.events // 10))
    t = time.perf_counter()
    logs = make_events(args.events, authors)
    total = sum(len(log) for log in logs)
    print(f"signed {total} events of {authors} groups in {time.perf_counter() - t:.1f} s")
    root = Path(tempfile.mkdtemp(prefix="solnet-bench-sync-"))
    recon: dict = {}
    try:
        if args.groups:
            recon = asyncio.run(reconciliation(root, args.groups))
        runs = []
        for i in range(args.runs):
            r = asyncio.run(catch_up(root, logs, total))
            runs.append(r)
            print(
                f"catch-up {i + 1}: {total} events in {r['seconds']:.2f} s from process start = {r['rate']:,.0f} events/s, "
                f"{r['rate_after_ready']:,.0f} events/s once serving; wire "
                f"{r['wire_bytes']:,} B for {r['record_bytes']:,} B of records (ratio {r['wire_ratio']:.3f}); fresh node RSS "
                f"{r.get('rss_25', 0):.0f} / {r.get('rss_50', 0):.0f} / {r.get('rss_75', 0):.0f} / {r['rss_100']:.0f} MB at "
                f"25/50/75/100%, peak {r['peak']:.0f} MB; read models complete {r['projected_s']:.1f} s later "
                f"(peak then {r['peak_after_projection']:.0f} MB)"
            )
        props = []
        for seed in range(1, args.topologies + 1):
            p = asyncio.run(propagation(root, seed=seed))
            props.append(p)
            print(
                f"propagation (topology {seed}): 16 nodes in {p['seconds']:.3f} s; copies per node max {p['max_copies']}, "
                f"mean {p['mean_copies']:.2f}"
            )
        nat = asyncio.run(nat_propagation(root))
        print(f"NAT: a callout reaches 8 subscribed nodes in {nat['nat_propagation_s']:.3f} s (median)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result: dict = {}
    if runs:
        result = {
            "catchup_per_s": round(statistics.median(r["rate_after_ready"] for r in runs)),
            "catchup_from_process_start_per_s": round(statistics.median(r["rate"] for r in runs)),
            "wire_ratio": round(statistics.median(r["wire_ratio"] for r in runs), 4),
            "peak_rss_mb": round(max(r["peak"] for r in runs), 1),
            "rss_25_mb": round(statistics.median(r.get("rss_25", 0) for r in runs), 1),
            "rss_50_mb": round(statistics.median(r.get("rss_50", 0) for r in runs), 1),
            "rss_100_mb": round(statistics.median(r["rss_100"] for r in runs), 1),
            "read_models_after_s": round(statistics.median(r["projected_s"] for r in runs), 1),
            "peak_rss_with_projection_mb": round(max(r["peak_after_projection"] for r in runs), 1),
        }
    if props:
        result["propagation_s"] = round(statistics.median(p["seconds"] for p in props), 3)
        result["max_receipts_per_node"] = max(p["max_copies"] for p in props)
    result.update(recon)
    result.update({k: round(v, 3) for k, v in nat.items()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
