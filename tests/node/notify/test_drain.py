"""Stopping the mailer waits for a database call its thread is still running: cancelling the caller does not stop
the thread, and the store closed under it crashed the process (a segfault in SQLite, seen in a full test run)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from node.notify.notifications import NOTIFY, Notifications
from node.store import open_store


async def test_drain_waits_for_a_cancelled_calls_thread(tmp_path):
    store = open_store(tmp_path / "data")
    notes = Notifications(store)
    started, release, finished = threading.Event(), threading.Event(), []

    def slow() -> None:
        started.set()
        release.wait(10)
        time.sleep(0.05)
        finished.append(True)

    caller = asyncio.create_task(notes.call(slow))
    await asyncio.to_thread(started.wait, 10)
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)
    assert not finished  # the caller is gone, its thread is not
    threading.Timer(0.2, release.set).start()
    await notes.drain()
    assert finished == [True]
    store.close()


async def test_drain_does_not_wait_for_a_call_cancelled_before_its_thread_took_it(tmp_path):
    # Seen as a node that took over 30 s to stop after SIGINT (bench/sync.py, while the mailer scanned a catch-up):
    # the mailer's pass was cancelled while its call still waited in the executor's queue, so the call never ran,
    # and drain waited its whole timeout (twice: on shutdown and at cleanup) for a thread that never started.
    store = open_store(tmp_path / "data")
    notes = Notifications(store)
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(pool)
    busy, release, ran = threading.Event(), threading.Event(), []
    blocker = loop.run_in_executor(None, lambda: (busy.set(), release.wait(10)))
    assert busy.wait(10)  # the only worker is taken (a blocking wait: to_thread would queue behind it)
    caller = asyncio.create_task(notes.call(ran.append, True))
    await asyncio.sleep(0.05)  # submitted, queued behind the blocker
    caller.cancel()
    await asyncio.gather(caller, return_exceptions=True)
    release.set()
    await blocker
    started = time.monotonic()
    await asyncio.wait_for(notes.drain(timeout=5), 10)
    assert time.monotonic() - started < 1
    assert not ran  # cancelled before it began: it never runs
    store.close()


async def test_a_node_stops_at_once_when_its_mailer_was_cancelled_waiting_for_a_thread(tmp_path, monkeypatch):
    # The node's state in that bench run: the mailer's pass waits for a database call that no thread has taken yet
    # (the executor's threads are busy) when the node is told to stop.
    from aiohttp import web

    from node.app import create_app
    from node.notify.setup import mail_setup

    from ..conftest import make_service

    monkeypatch.delenv("SOLNET_SMTP_URL", raising=False)
    service, _token = make_service(tmp_path / "n", "Elm Street")
    runner = web.AppRunner(create_app(service, extras=[mail_setup(None, "http://elm.example.org")]))
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    busy, release = threading.Event(), threading.Event()
    blocker = loop.run_in_executor(None, lambda: (busy.set(), release.wait(10)))
    assert busy.wait(10)
    await runner.setup()  # starts the mailer: its first call queues behind the blocker
    await asyncio.sleep(0.1)
    assert len(runner.app[NOTIFY]._in_flight) == 1
    threading.Timer(0.3, release.set).start()  # (drain's own wait needs the thread too)
    started = time.monotonic()
    await asyncio.wait_for(runner.cleanup(), 10)
    assert time.monotonic() - started < 3
    await blocker
