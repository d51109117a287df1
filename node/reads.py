"""What handlers read that needs the store as well as the read models: groups with their counts and forks, events.

One verb per question, shared by the JSON API, the web page and the CLI (node/queries.py has the blocking parts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from events import Event, ForkProof
from events.identity import group_id_text
from events.readmodel.joins import edge_state
from events.readmodel.projection import GROUPS

from . import queries
from .fork_state import FORKED, ROTATED_AFTER_FORK, fork_states
from .paging import FIRST_PAGE, Page, PageRequest, encode_cursor
from .readmodels import ReadModels
from .store import AsyncStore
from .store.async_store import Lane

T = TypeVar("T")
_NAMELESS = -1  # the sort1 of a cursor into the second part of the directory (logs without a profile)
_HEAD_PAGES = 10


class Reads:
    """The read side of the node: each verb runs its store and read-model queries off the event loop."""

    def __init__(self, astore: AsyncStore, read_models: ReadModels):
        self.astore = astore
        self.read_models = read_models

    async def groups(self, request: PageRequest = FIRST_PAGE) -> Page:
        """Return a page of the groups this node knows: profiles by name, then groups it holds events of but no profile."""
        return await self.astore.read(self._groups_page, request)

    def _groups_page(self, request: PageRequest) -> Page:
        store, views = self.astore.store, self.read_models.shown_views()
        hidden = self.read_models.hidden_sync()
        items: list[dict[str, Any]] = []
        after: str | None = None
        if request.after is None or request.after[1] != _NAMELESS:
            items, after = queries.list_group_docs(views, request)
            if after is not None:
                return Page(self._with_counts(store, items), after)
            start = ""
        else:
            start = request.after[4].decode("ascii", "replace")
        # Then every log held without a profile, by originator id (a bounded number of head pages per request).
        for _ in range(_HEAD_PAGES):
            want = request.limit - len(items)
            heads = store.heads_after(start, want + 1)
            profiled = views.tags(GROUPS, [author for _, author, _ in heads])  # which have a profile: no document read
            for originator, author, _count in heads[:want]:
                start = originator
                if author not in profiled and author not in hidden:
                    items.append({"author": group_id_text(author), "name": "", "group_id": group_id_text(author)})
            if len(heads) <= want:
                return Page(self._with_counts(store, items), None)
            if len(items) >= request.limit:
                break
        return Page(self._with_counts(store, items), encode_cursor(("", _NAMELESS, 0, 0, start.encode("ascii"))))

    @staticmethod
    def _with_counts(store: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [queries.parse_group(item["group_id"]) for item in items]
        counts = store.counts_of(keys)
        states = fork_states(store, keys)
        for item, key in zip(items, keys, strict=True):
            item["forked"] = states.get(key) == FORKED
            item["rotated_after_fork"] = states.get(key) == ROTATED_AFTER_FORK
            item["events"] = counts.get(key)
        return items

    async def group(self, group_id: str) -> dict[str, Any]:
        """Return one group's profile, count, fork flag and publications; raise RequestError or NotFoundError."""
        author = queries.parse_group(group_id, "group_id")
        store = self.astore.store

        def read(views: Any) -> dict[str, Any]:
            # one read (one thread hop; on PostgreSQL one transaction with the read models': the same database)
            state = fork_states(store, [author]).get(author)
            head = store.head(author)
            group = queries.get_group(views, group_id, state == FORKED, head.seq if head is not None else None)
            group["rotated_after_fork"] = state == ROTATED_AFTER_FORK
            return group

        return await self.read_models.query(read)

    async def relation(self, own: bytes, group_id: str) -> dict[str, bool]:
        """Return whether the node's group `own` follows and whether it blocks the group `group_id`."""
        author = queries.parse_group(group_id, "group_id")

        def read() -> dict[str, bool]:
            views = self.read_models.views
            state = edge_state(views, own, author)
            return {"follow": state == "follow", "block": state == "block"}

        return await self.astore.read(read)

    async def event(self, event_id: bytes) -> Event | None:
        """Return the stored event with id `event_id`, or None."""
        return await self.astore.get(event_id)

    async def over_log(self, fn: Callable[[Iterator[Event], list[ForkProof]], T]) -> T:
        """Return `fn(events, fork_proofs)` run off the event loop over every stored event (in the order stored)."""

        def run() -> T:
            store = self.astore.store
            return fn(store.iter_export(), store.fork_proofs())

        return await self.astore.run_read(Lane.QUERIES, None, run)  # the whole log (solnet export): no deadline
