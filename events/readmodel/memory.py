"""An in-memory ViewReader that applies Changes: for tests, auditors' small replays and examples."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..event import Event
from .listing import Cursor, Where, cursor_of, listing_of, matches
from .projection import project
from .view import Change, Put

EVERYTHING = Where()


class MemoryView:
    """Read-model documents held in dicts; `scan` yields them by key (bytewise), like the stores do."""

    def __init__(self) -> None:
        self._docs: dict[str, dict[bytes, Put]] = {}

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the stored document (as the Put that wrote it), or None."""
        return self._docs.get(collection, {}).get(key)

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection, optionally only those with this ref and/or author, by key."""
        docs = self._docs.get(collection, {})
        for key in sorted(docs):
            put = docs[key]
            if (ref is None or put.ref == ref) and (author is None or put.author == author):
                yield put

    def page(self, collection: str, where: Where = EVERYTHING, after: Cursor | None = None, limit: int = 50) -> list[Put]:
        """Return up to `limit` documents matching `where` after `after`, in list order (what the stores answer in SQL)."""
        found = sorted((p for p in self._docs.get(collection, {}).values() if matches(p, where)), key=cursor_of)
        if after is not None:
            found = [p for p in found if cursor_of(p) > after]
        return found[:limit]

    def by_keys(self, collection: str, keys: Iterable[bytes]) -> dict[bytes, Put]:
        """Return the documents of a collection with these keys, by key."""
        docs = self._docs.get(collection, {})
        return {k: docs[k] for k in keys if k in docs}

    def tags(self, collection: str, keys: Iterable[bytes]) -> dict[bytes, str | None]:
        """Return the listing tag of each document of a collection with these keys, by key (what the stores keep)."""
        return {k: listing_of(p).tag for k, p in self.by_keys(collection, keys).items()}

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply changes in order: a Put replaces the document at its key, a Delete removes it if present."""
        for change in changes:
            if isinstance(change, Put):
                self._docs.setdefault(change.collection, {})[change.key] = change
            else:
                self._docs.get(change.collection, {}).pop(change.key, None)

    def project(self, event: Event) -> list[Change]:
        """Project one chain-valid event into this view; return the changes applied."""
        changes = project(event, self)
        self.apply(changes)
        return changes

    def count(self, collection: str) -> int:
        """Return how many documents a collection holds."""
        return len(self._docs.get(collection, {}))


def replay(events: Iterable[Event]) -> MemoryView:
    """Return a MemoryView holding the projection of `events` (each author's in seq order)."""
    view = MemoryView()
    for event in events:
        view.project(event)
    return view


__all__ = ["MemoryView", "replay"]
