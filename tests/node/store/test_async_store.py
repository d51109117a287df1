"""AsyncStore: blocking store calls run off the event loop, writes on one writer thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

import pytest

from events import Identity, verify_chain
from node.store import AsyncStore, open_store

from ..postgres_support import NEEDS_POSTGRES, URL, fresh_schema
from .suite import chain


async def test_concurrent_publishes_are_serialised_on_one_writer_thread(tmp_path: Path):
    store = AsyncStore(open_store(tmp_path, database_url=""))
    me = Identity.generate()
    loop_thread = threading.get_ident()
    threads: set[str] = set()

    def which() -> str:
        assert threading.get_ident() != loop_thread
        threads.add(threading.current_thread().name)
        return threading.current_thread().name

    events = await asyncio.gather(*(store.append_own(me, "note.test", bytes([0xC4, 1, i]), 1000 + i) for i in range(20)))
    names = await asyncio.gather(*(store.write(which) for _ in range(5)))
    assert len(set(names)) == 1 and names[0].startswith("store-writer")
    assert sorted(e.seq for e in events) == list(range(1, 21))
    log = await store.read_log(me.public_key)
    assert verify_chain(log, me.public_key).ok
    other = chain(Identity.generate(), 3)
    result = await store.ingest(other)
    assert len(result.result.stored) == 3 and await store.max_notification_id() == 23
    assert (await store.get(other[0].id)) == other[0]
    assert (await store.heads())[me.public_key].seq == 20
    await store.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=NEEDS_POSTGRES)])
async def test_reads_run_while_the_writer_thread_holds_a_write_transaction(tmp_path: Path, backend: str):
    """SQLite in WAL mode and PostgreSQL let readers through during a write; the library's pool must not serialise them."""
    with contextlib.ExitStack() as stack:
        url = URL if backend == "postgres" else ""
        schema = stack.enter_context(fresh_schema("async_store")) if backend == "postgres" else "public"
        store = AsyncStore(open_store(tmp_path, database_url=url, schema=schema))
        me = Identity.generate()
        await store.append_own(me, "note.test", bytes([0xC4, 1, 0]), 1000)
        inside, release = threading.Event(), threading.Event()
        table = f'"{schema}".log_heads' if backend == "postgres" else "log_heads"

        def long_write() -> None:
            with store.store.recorder.datastore.transaction(commit=True) as curs:
                curs.execute(f'UPDATE {table} SET "timestamp" = "timestamp" + 1')  # holds the write lock until released
                inside.set()
                release.wait(10)

        writing = asyncio.ensure_future(store.write(long_write))
        try:
            assert await asyncio.to_thread(inside.wait, 10)
            start = time.monotonic()
            heads, log = await asyncio.wait_for(asyncio.gather(store.heads(), store.read_log(me.public_key)), 3)
            assert time.monotonic() - start < 1
            assert heads[me.public_key].timestamp == 1000 and len(log) == 1  # the write's change is not visible yet
        finally:
            release.set()
            await writing
        assert (await store.heads())[me.public_key].timestamp == 1001
        await store.close()
