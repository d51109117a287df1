"""Noticing events another process stored in the same store (e.g. `solnet publish` while the node serves).

Listeners are told about every stored event once: ours when we store them, another process's when `poll`
finds them. So this process notes the notification ids of its own writes, and `poll` reads past them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from events import Event

from .store import AsyncStore


class ExternalWrites:
    """Tells this process's writes from another's by their notification ids; `poll` returns only the others'."""

    def __init__(self, astore: AsyncStore):
        self.astore = astore
        # _seen: every notification up to it was told; _own: ids of our writes after _seen (stored while an older
        # notification, maybe another process's, was not told yet)
        self._seen = 0
        self._own: set[int] = set()
        self._noted = 0  # own writes noted so far
        self._writing = 0  # writes of this process under way (their notification ids may not be noted yet)

    @contextlib.asynccontextmanager
    async def own_write(self) -> AsyncIterator[None]:
        """Mark a write of this process as under way, so `poll` does not take it for another's."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1

    def told_own(self, ids: Iterable[int]) -> None:
        """Note the notification ids of events this process stored (and tells listeners about itself)."""
        ids = sorted(ids)
        if not ids:
            return
        self._noted += 1
        if not self._own and ids[0] == self._seen + 1 and ids[-1] - ids[0] + 1 == len(ids):
            self._seen = ids[-1]  # the usual case: nothing stored by anyone else in between
        else:
            self._own.update(ids)  # `poll` reads past them to what another process stored

    async def start(self) -> None:
        """Remember the newest notification, so `poll` reports only what arrives after start."""
        self._seen = await self.astore.max_notification_id()

    async def poll(self, limit: int = 1000) -> list[Event]:
        """Return the events another process stored since the last poll (at most `limit`), each once."""
        if self._writing:
            return []  # our own write may be committed but not yet noted by told_own: look again next time
        newest = await self.astore.max_notification_id()
        if newest <= self._seen or self._writing:
            return []
        after, noted = self._seen, self._noted
        newest, events = await self.astore.notifications_except(after, limit, frozenset(self._own))
        # a write of ours that finished meanwhile may be in the page without being in the ids skipped: look again
        if self._writing or self._noted != noted or newest <= after:
            return []
        self._seen = newest
        self._own = {n for n in self._own if n > newest}
        return events
