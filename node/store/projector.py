"""Keeping read models up to date from the notification log with a pure projection function.

`project(event, view) -> list[Change]` reads through a ViewReader; within a batch it reads an overlay of the
batch's own pending changes over the stored documents, so a batch written in one transaction gives the same
documents as applying the events one at a time. The tracked position moves with the documents (eventsourcing's
Tracking, same transaction), so a crash between batches loses nothing and repeats nothing.

A catch-up far behind (an import or a rebuild: at least BULK_MIN events, and no fewer than are projected
already) runs in bulk: the list indexes the projection does not read are dropped first and built once at the
end, sorted, and batches are BULK_BATCH events (a document changed several times in a batch is written once).
Lists stay correct meanwhile, only slower; if the process stops in between, opening the store creates the
missing indexes again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from eventsourcing.persistence import Tracking

from events.event import Event
from events.readmodel.view import Change, Delete, Put, ViewReader

from .base import EventStore
from .views import ViewStore

Project = Callable[[Event, ViewReader], list[Change]]
DEFAULT_BATCH = 1000
BULK_MIN = 50_000
BULK_BATCH = 20_000


class Overlay:
    """A ViewReader showing the stored documents with a batch's pending changes laid over them."""

    def __init__(self, base: ViewReader):
        self.base = base
        self.pending: dict[tuple[str, bytes], Put | None] = {}

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the document as it stands after the pending changes, or None."""
        k = (collection, key)
        if k in self.pending:
            return self.pending[k]
        return self.base.get(collection, key)

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the collection's documents after the pending changes, filtered like ViewReader.scan, by key."""
        docs = {p.key: p for p in self.base.scan(collection, ref=ref, author=author)}
        for (coll, key), put in self.pending.items():
            if coll != collection:
                continue
            if put is None or (ref is not None and put.ref != ref) or (author is not None and put.author != author):
                docs.pop(key, None)
            else:
                docs[key] = put
        return iter([docs[k] for k in sorted(docs)])

    def add(self, changes: list[Change]) -> None:
        for change in changes:
            if isinstance(change, Put):
                self.pending[(change.collection, change.key)] = change
            elif isinstance(change, Delete):
                self.pending[(change.collection, change.key)] = None
            else:
                raise TypeError(f"projection returned {change!r:.80}, not a Put or Delete")


@dataclass(slots=True)
class Projector:
    """Runs `project` over the store's notifications into `views`, `batch` events per transaction."""

    store: EventStore
    views: ViewStore
    project: Project
    batch: int = DEFAULT_BATCH
    stop: Callable[[], bool] | None = None
    """Asked before each batch: True ends a catch-up early (at shutdown); the tracked position keeps what was done."""

    bulk_min: int = BULK_MIN
    """Events behind from which a catch-up runs in bulk (see the module doc)."""
    _bulk: bool = field(default=False, init=False)

    def begin_bulk(self, position: int | None = None) -> bool:
        """Switch to bulk projection if the read models (tracked at `position`, read if not given) are far behind (see
        the module doc); return whether it is on."""
        if not self._bulk:
            position = self.views.position() if position is None else position
            if self.store.max_notification_id() - position >= max(self.bulk_min, position):
                self.views.drop_list_indexes()
                self._bulk = True
        return self._bulk

    def end_bulk(self) -> None:
        """Leave bulk projection: build the dropped indexes and refresh the planner's statistics. Skipped when
        stopping (shutdown must be quick): opening the store builds them."""
        if self._bulk:
            self._bulk = False
            if self.stop is None or not self.stop():
                self.views.restore_list_indexes()

    def catch_up(self, limit: int | None = None) -> int:
        """Project every notification after the tracked position (at most `limit`); return how many were projected.

        Without a limit, a catch-up far behind runs in bulk by itself; a caller stepping through one with limits
        brackets the steps with begin_bulk/end_bulk."""
        position = self.views.position()
        if limit is None and not self._bulk and self.begin_bulk(position):
            try:
                return self._catch_up(None, position)
            finally:
                self.end_bulk()
        return self._catch_up(limit, position)

    def _catch_up(self, limit: int | None, position: int) -> int:
        done = 0
        batch = BULK_BATCH if self._bulk else self.batch
        while limit is None or done < limit:
            if self.stop is not None and self.stop():
                break
            size = batch if limit is None else min(batch, limit - done)
            page = self.store.notifications(position, size)
            if not page:
                break
            overlay = Overlay(self.views)
            with self.views.pinned_reads():  # the batch's lookups in one read transaction, not one each
                for _, event in page:
                    overlay.add(self.project(event, overlay))
            position = page[-1][0]
            done += len(page)
            # the last batch recomputes the group digests its batch and the earlier ones touched, in its own
            # transaction: once per group per catch-up, not once per batch (node/store/group_digests.py)
            last = len(page) < size or (limit is not None and done >= limit)
            self.views.write(overlay.pending, Tracking(self.views.name, position), settle=last)
            if last:
                return done
        if done:
            self.views.settle()  # the last batch was full and no event followed it
        return done

    def rebuild(self) -> int:
        """Clear the documents and the tracked position, then project everything again; return how many were projected."""
        self.views.clear()
        return self.catch_up()


def catch_up(store: EventStore, views: ViewStore, project: Project, *, batch: int = DEFAULT_BATCH) -> int:
    """Project every notification after `views`' tracked position; return how many events were projected."""
    return Projector(store, views, project, batch).catch_up()


def rebuild(store: EventStore, views: ViewStore, project: Project, *, batch: int = DEFAULT_BATCH) -> int:
    """Clear `views` and its tracking and project everything again; return how many events were projected."""
    return Projector(store, views, project, batch).rebuild()
