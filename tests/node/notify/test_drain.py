"""Stopping the mailer waits for a database call its thread is still running: cancelling the caller does not stop
the thread, and the store closed under it crashed the process (a segfault in SQLite, seen in a full test run)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from node.notify.notifications import Notifications
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
