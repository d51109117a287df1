"""Reads never starve: a slow read is stopped at its deadline or when its client goes, and blocks nothing else.

Real servers on loopback sockets (the runner `solnet serve` uses), real SQLite files and a real PostgreSQL schema;
the slow read is one long statement run through the node's own read path (tests/node/slow_reads.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from node.app import create_app, make_runner
from node.datadir import DataDir
from node.http_errors import UNEXPECTED
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from node.store.async_store import Lane

from .postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .slow_reads import COUNTS, add_slow_route

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", pytest.param("postgres", marks=NEEDS_POSTGRES)]


@contextlib.contextmanager
def fresh_database():
    """Yield the URL of a new PostgreSQL database on the test server (a node uses its public schema); drop it after."""
    import uuid

    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    name = f"solnet_sigterm_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        params = conninfo_to_dict(URL)
        yield "postgresql://{user}@{host}:{port}/{dbname}".format(**{"port": 5432, **params, "dbname": name})
    finally:
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.asynccontextmanager
async def served(tmp_path: Path, backend: str, read_timeout: float):
    """Yield (base URL, service, app) of a node on `backend` served on a loopback port by the node's own runner."""
    data = DataDir.at(tmp_path / "node")
    identity, token = data.init("Slow Readers")
    with contextlib.ExitStack() as stack:
        if backend == "postgres":
            from node.store.postgres import PostgresEventStore

            store = PostgresEventStore(URL, schema=stack.enter_context(fresh_schema("deadline")))
        else:
            store = open_store(data.path, database_url="")
        service = NodeService(
            store=store,
            identity=identity,
            settings=data.settings(),
            data_dir=data,
            own_head=OwnHead(only_copy=True),  # no peers to confirm our head: let it publish (as tests/node/conftest.py)
            read_timeout=read_timeout,
        )
        service.token = token
        app = create_app(service, extras=[add_slow_route])
        runner = make_runner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", service, app
        finally:
            await runner.cleanup()
        assert app[UNEXPECTED] == [], f"handler raised: {app[UNEXPECTED]!r}"


async def wait_until(condition, timeout: float, what: str) -> float:
    """Wait until `condition()` holds; return the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_read_past_its_deadline_gets_a_clear_503_and_frees_its_thread(tmp_path, backend):
    async with served(tmp_path, backend, read_timeout=0.5) as (url, _service, _app), aiohttp.ClientSession() as http:
        ended = COUNTS.ended
        start = time.monotonic()
        async with http.get(f"{url}/test/slow") as resp:
            body = await resp.json()
            assert resp.status == 503 and resp.headers["Retry-After"] == "1"
        assert time.monotonic() - start < 3
        assert body["error"]["code"] == "read_timeout" and "0.5 s" in body["error"]["message"]
        await wait_until(lambda: COUNTS.ended > ended, 1.5, "the reader thread leaving the database")
        async with http.get(f"{url}/api/v1/callouts") as resp:  # the pool is usable again
            assert resp.status == 200


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_read_whose_client_goes_away_is_stopped_in_the_database(tmp_path, backend):
    async with served(tmp_path, backend, read_timeout=120) as (url, service, _app):
        started, ended = COUNTS.started, COUNTS.ended
        port = int(url.rsplit(":", 1)[1])
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /test/slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await wait_until(lambda: COUNTS.started > started, 5, "the slow read starting")
        await asyncio.sleep(0.3)
        assert COUNTS.ended == ended  # still inside its statement
        writer.close()
        took = await wait_until(lambda: COUNTS.ended > ended, 1.5, "the reader thread leaving the database after the client went")
        assert took < 1.5
        assert service.astore.interrupt_reads() == 0  # nothing of it is left running


@pytest.mark.parametrize("backend", BACKENDS)
async def test_other_page_reads_answer_while_a_slow_one_runs(tmp_path, backend):
    async with served(tmp_path, backend, read_timeout=60) as (url, _service, _app), aiohttp.ClientSession() as http:
        started = COUNTS.started
        slow = asyncio.create_task(http.get(f"{url}/test/slow"))
        await wait_until(lambda: COUNTS.started > started, 5, "the slow read starting")
        start = time.monotonic()
        for path in ("/api/v1/callouts", "/api/v1/groups", "/api/v1/reports"):
            async with http.get(f"{url}{path}") as resp:
                assert resp.status == 200
        assert time.monotonic() - start < 2
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_writes_digest_status_and_sync_answer_while_every_query_thread_is_slow(tmp_path, backend):
    async with served(tmp_path, backend, read_timeout=60) as (url, service, _app), aiohttp.ClientSession() as http:
        started = COUNTS.started
        threads = service.astore._pools[Lane.QUERIES].threads
        slow = [asyncio.create_task(http.get(f"{url}/test/slow")) for _ in range(threads + 2)]  # 2 wait for a thread
        await wait_until(lambda: COUNTS.started >= started + threads, 5, "the slow reads starting")
        auth = {"Authorization": f"Bearer {service.token}"}
        timings = {}
        for name, call in (
            (
                "publish",
                lambda: http.post(
                    f"{url}/api/v1/events",
                    json={
                        "kind": "callout.published",
                        "payload": {"title": "Van needed", "text": "Saturday", "needs": ["people"], "urgency": "high"},
                    },
                    headers=auth,
                ),
            ),
            ("digest", lambda: http.get(f"{url}/api/v1/digest")),
            ("node", lambda: http.get(f"{url}/api/v1/node")),
        ):
            start = time.monotonic()
            async with call() as resp:
                assert resp.status in (200, 201), (name, resp.status, await resp.text())
            timings[name] = time.monotonic() - start
        heads = await asyncio.wait_for(service.astore.heads(), 2)  # what sync reads: the SYNC lane has its own threads
        assert len(heads) == 1 and heads[service.identity.public_key].seq == 1  # the callout just published
        assert max(timings.values()) < 2, timings
        for task in slow:
            task.cancel()
        await asyncio.gather(*slow, return_exceptions=True)


async def test_a_lane_refuses_reads_beyond_its_bound_at_once(tmp_path):
    async with served(tmp_path, "sqlite", read_timeout=60) as (url, service, _app), aiohttp.ClientSession() as http:
        pool = service.astore._pools[Lane.QUERIES]
        pool.bound = pool.threads + 1  # one may wait
        started = COUNTS.started
        slow = [asyncio.create_task(http.get(f"{url}/test/slow")) for _ in range(pool.bound)]
        await wait_until(lambda: COUNTS.started >= started + pool.threads and pool.held == pool.bound, 5, "slow reads held")
        async with http.get(f"{url}/test/slow") as resp:
            body = await resp.json()
            assert resp.status == 503 and body["error"]["code"] == "readers_busy"
        for task in slow:
            task.cancel()
        await asyncio.gather(*slow, return_exceptions=True)


@pytest.mark.e2e
@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_stops_solnet_serve_within_seconds_during_a_long_read(tmp_path, backend):
    import socket

    data = str(tmp_path / "node")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOLNET_PEER_EXCHANGE": "0"}
    with contextlib.ExitStack() as stack:
        init = ["init", "--name", "Slow", "--data", data]
        if backend == "postgres":
            init += ["--database", stack.enter_context(fresh_database())]
        subprocess.run([sys.executable, "-m", "node.cli", *init], cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.node.slow_reads",
                "serve",
                "--data",
                data,
                "--listen",
                f"127.0.0.1:{port}",
                "--read-timeout",
                "300",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert "serving at" in proc.stdout.readline()
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /test/slow HTTP/1.1\r\nHost: x\r\n\r\n")
            assert proc.stdout.readline().strip() == "slow read started"
            time.sleep(0.5)  # well inside its statement (it runs for minutes)
            assert proc.poll() is None
            start = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=15)
            took = time.monotonic() - start
            client.close()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        output = proc.stdout.read()
        assert code == 0, f"exit code {code} after {took:.1f} s\n{output}"
        assert took < 5, f"solnet serve took {took:.1f} s to stop after SIGTERM\n{output}"


async def test_a_publish_whose_caller_is_cancelled_still_finishes_and_tells_listeners(tmp_path):
    """Handlers are cancelled when their client goes; a write that began must still land, read models and listeners too."""
    async with served(tmp_path, "sqlite", read_timeout=5) as (_url, service, _app):
        told = []

        async def listener(notice) -> None:
            told.extend(notice.events)

        service.listeners.append(listener)
        caller = asyncio.create_task(service.publish("report.published", {"title": "Picket", "text": "It went well"}))
        await asyncio.sleep(0)  # the write has started
        caller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await caller
        await wait_until(lambda: len(told) == 1, 5, "the listener told about the published event")
        head = await service.astore.head(service.identity.public_key)
        assert head is not None and head.id == told[0].id
        assert await service.query(lambda views: views.get("reports", told[0].id)) is not None  # read models refreshed
