"""Stopping the mailer waits for a database call its thread is still running: cancelling the caller does not stop
the thread, and the store closed under it crashed the process (a segfault in SQLite, seen in a full test run)."""

from __future__ import annotations

import asyncio
import threading
import time

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
