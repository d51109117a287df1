"""What handlers read that needs the store as well as the read models: groups with their counts and forks, events.

One verb per question, shared by the JSON API, the web page and the CLI (node/queries.py has the blocking parts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from events import Event, ForkProof

from . import queries
from .readmodels import ReadModels
from .store import AsyncStore
from .store.async_store import Lane

T = TypeVar("T")


class Reads:
    """The read side of the node: each verb runs its store and read-model queries off the event loop."""

    def __init__(self, astore: AsyncStore, read_models: ReadModels):
        self.astore = astore
        self.read_models = read_models

    async def groups(self) -> list[dict[str, Any]]:
        """Return every known group (with a profile or events held) with its event count and fork flag."""
        forked = await self.astore.forked_authors()
        counts = await self.astore.counts()
        return await self.read_models.query(queries.list_groups, forked, counts)

    async def group(self, group_id: str) -> dict[str, Any]:
        """Return one group's profile, count, fork flag and publications; raise RequestError or NotFoundError."""
        author = queries.parse_group(group_id, "group_id")
        forked = await self.astore.forked_authors()
        counts = await self.astore.counts()
        return await self.read_models.query(queries.get_group, group_id, forked, counts.get(author))

    async def event(self, event_id: bytes) -> Event | None:
        """Return the stored event with id `event_id`, or None."""
        return await self.astore.get(event_id)

    async def over_log(self, fn: Callable[[Iterator[Event], list[ForkProof]], T]) -> T:
        """Return `fn(events, fork_proofs)` run off the event loop over every stored event (in the order stored)."""

        def run() -> T:
            store = self.astore.store
            return fn((event for _, event in store.iter_notifications()), store.fork_proofs())

        return await self.astore.run_read(Lane.QUERIES, None, run)  # the whole log (solnet export): no deadline
