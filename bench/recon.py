"""Reconciliation case of bench/sync.py: two real nodes holding the same 100,000 groups (one event each) but N.

Node A and node B are in-process nodes (aiohttp on loopback, SQLite stores, federation on, no configured peers
so no round runs by itself). B holds every group; A lacks N of them, for N = 10,000, then 100, then 1 (the
missing groups are stored into A between cases, through its store, as a pull would). For each N, A's agent
reconciles with B over HTTP exactly as a sync round does (`protocol.reconcile.reconcile_frontier` through the
peer client): bytes are the message bodies both ways (each request and reply as encoded; the transport's own
counters would also count the pushes A makes of the events the benchmark stores into it), round trips the requests.
The limit for N = 10,000 is measured in the same run: 3 x the encoded size of the N differing entries
([author, seq, head] as canonical msgpack). At the end A syncs with B for real (reconcile, then pull): the
seconds until it holds all groups show that a frontier past the version-1 message limit syncs.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo's `events`, not bench/events.py

from aiohttp import web

from events import Identity, Mode, create_event_from_value
from events.canonical import pack
from node.app import create_app
from node.datadir import DataDir
from node.federation import FEDERATION, FederationConfig, federation_setup
from node.notices import Source
from node.service import NodeService
from node.store import open_store
from protocol import ReconcileReply, encode_message
from protocol.reconcile import reconcile_frontier

CASES = (10_000, 100, 1)


def one_event_groups(count: int) -> list:
    """Return one signed event for each of `count` deterministic groups."""
    return [
        create_event_from_value(
            Identity.from_seed(n.to_bytes(8, "big") * 4), kind="note.test", value={"n": n}, timestamp=1, previous=None
        )
        for n in range(count)
    ]


class ReconNode:
    """An in-process node with federation and no peers: it syncs only when the benchmark says so."""

    def __init__(self, path: Path):
        self.data = DataDir.at(path)
        self.data.init(path.name)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    async def start(self) -> None:
        data = self.data
        self.service = NodeService(
            store=open_store(data.path), identity=data.load_identity(), settings=data.settings(), data_dir=data
        )
        config = FederationConfig(own_url=self.url, interval=3600.0, peer_exchange=False, allow_private_peers=True)
        self.app = create_app(self.service, extras=[federation_setup(config)])
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    async def stop(self) -> None:
        await self.runner.cleanup()


def _fill(path: Path, events: list) -> None:
    store = open_store(path)
    for i in range(0, len(events), 5000):
        store.ingest(events[i : i + 5000], Mode.HEAD)
    store.close()


async def reconciliation(root: Path, groups: int = 100_000, runs: int = 3) -> dict:
    """Return bytes, round trips and seconds of reconciling A (lacking N groups) with B, for each N in CASES."""
    t = time.perf_counter()
    events = one_event_groups(groups)
    print(f"recon: signed {groups} one-event groups in {time.perf_counter() - t:.1f} s")
    a_path, b_path = root / "recon-a", root / "recon-b"
    for path in (a_path, b_path):
        shutil.rmtree(path, ignore_errors=True)
    a, b = ReconNode(a_path), ReconNode(b_path)
    missing = events[groups - CASES[0] :]
    t = time.perf_counter()
    _fill(a.data.path, events[: groups - CASES[0]])
    for name in ("solnet.sqlite3",):
        shutil.copy(a.data.path / name, b.data.path / name)
    _fill(b.data.path, missing)
    print(f"recon: stored {groups - CASES[0]} groups in A, {groups} in B in {time.perf_counter() - t:.1f} s")
    await a.start()
    await b.start()
    result: dict = {}
    try:
        agent = a.app[FEDERATION].agent
        await agent.hello(b.url)
        replica = a.app[FEDERATION].replica
        lacking = len(missing)
        for n in CASES:
            # As a pull stores them (from a peer: not pushed on, so no traffic but the benchmark's own).
            await a.service.ingest(missing[: lacking - n], Mode.HEAD, refresh=False, source=Source.PEER)
            missing, lacking = missing[lacking - n :], n
            sizes, seconds, rounds = [], [], 0
            for _ in range(runs):
                size, rounds = 0, 0

                async def ask(request):
                    nonlocal size, rounds
                    rounds += 1
                    reply = await agent.request(b.url, request, ReconcileReply)
                    size += len(encode_message(request)) + len(encode_message(reply))  # the bodies, both ways
                    return reply

                start = time.perf_counter()
                theirs, _ours = await reconcile_frontier(ask, replica, [])
                seconds.append(time.perf_counter() - start)
                sizes.append(size)
                assert len(theirs.entries) == n, (n, len(theirs.entries))
            entries = sum(len(pack([e.author, e.seq, e.id])) for e in missing)
            result[f"recon_bytes_{n}"] = statistics.median(sizes)
            result[f"recon_rounds_{n}"] = rounds
            result[f"recon_s_{n}"] = round(statistics.median(seconds), 3)
            result[f"recon_entry_bytes_{n}"] = entries
            print(
                f"recon: {n} of {groups} groups differ: {statistics.median(sizes):,} B in {rounds} round trips "
                f"({statistics.median(sizes) / entries:.2f} x the {entries:,} B of the differing entries), "
                f"{statistics.median(seconds):.3f} s"
            )
        result["recon_limit_bytes_10000"] = 3 * result["recon_entry_bytes_10000"]
        start = time.perf_counter()
        agent.book.add(b.url, chosen=True)  # new authors are taken from a chosen peer only (admission, §14)
        report = await agent.sync_with(b.url)
        held = len(await a.service.astore.heads())
        result["recon_full_sync_s"] = round(time.perf_counter() - start, 3)
        seconds = result["recon_full_sync_s"]
        print(f"recon: full sync of the last difference: {report.stored} stored, A holds {held} groups, {seconds} s")
        assert report.complete and held == groups, (report, held)
    finally:
        await a.stop()
        await b.stop()
    return result
