"""AsyncStore: blocking store calls run off the event loop, writes on one writer thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from events import Identity, verify_chain
from node.store import AsyncStore, open_store

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
