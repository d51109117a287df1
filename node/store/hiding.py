"""What the node's pages and API read: the read models without the documents of the groups this node blocked.

Blocking is the node's own choice, so it is applied when reading, never when projecting: the read models (and so
the state digest every node and auditor computes) stay the same everywhere, and unblocking shows again what was
held. Every list leaves the hidden authors out in its SQL (events/readmodel/listing.py `Where.hidden`), so a page
is still `limit` documents long; a group's own profile stays readable (its page says it is blocked and offers to
unblock) but it leaves the directory of groups.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from events.readmodel.listing import Cursor, Where
from events.readmodel.projection import GROUPS
from events.readmodel.search import SEARCHED, Query
from events.readmodel.view import Put

from .views import EVERYTHING, ViewStore


class HidingView:
    """A ViewStore's read side that leaves out the documents written by `hidden` authors (profiles still read by key)."""

    def __init__(self, views: ViewStore, hidden: frozenset[bytes]):
        self._views = views
        self.hidden = hidden

    def _shown(self, put: Put | None, collection: str) -> bool:
        return put is not None and (collection == GROUPS or put.author not in self.hidden)

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the document at `key`, or None if there is none or a hidden author wrote it (profiles excepted)."""
        put = self._views.get(collection, key)
        return put if self._shown(put, collection) else None

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection (by key), leaving out hidden authors' ones."""
        return (p for p in self._views.scan(collection, ref=ref, author=author) if p.author not in self.hidden)

    def page(self, collection: str, where: Where = EVERYTHING, after: Cursor | None = None, limit: int = 50) -> list[Put]:
        """Return a page of documents matching `where` in list order, none by hidden authors."""
        return self._views.page(collection, replace(where, hidden=where.hidden | self.hidden), after, limit)

    def by_keys(self, collection: str, keys: Sequence[bytes]) -> dict[bytes, Put]:
        """Return the documents with these keys, by key, leaving out hidden authors' ones (profiles excepted)."""
        return {k: p for k, p in self._views.by_keys(collection, keys).items() if self._shown(p, collection)}

    def tags(self, collection: str, keys: Sequence[bytes]) -> dict[bytes, str | None]:
        """Return the listing tags of these keys (group names are shown even for blocked groups)."""
        return self._views.tags(collection, keys)

    def first_per_ref(self, collection: str, refs: Sequence[bytes], n: int) -> dict[bytes, list[Put]]:
        """Return the first `n` documents hanging from each of `refs` that no hidden author wrote, by ref."""
        return self._views.first_per_ref(collection, refs, n, self.hidden)

    def counts(self, collection: str, refs: Sequence[bytes]) -> list[tuple[bytes, str | None, str | None, int, int]]:
        """Return (ref, tag, status, count, summed qty) of the documents hanging from `refs`, hidden authors left out."""
        return self._views.counts(collection, refs, self.hidden)

    def author_counts(self, collection: str, refs: Sequence[bytes], statuses: Sequence[str]) -> dict[bytes, int]:
        """Return how many distinct shown authors wrote documents in `statuses` hanging from each of `refs`."""
        return self._views.author_counts(collection, refs, statuses, self.hidden)

    def tagged_authors(self, collection: str, ref: bytes, tag: str, limit: int) -> list[bytes]:
        """Return up to `limit` shown authors of documents hanging from `ref` with this tag, in byte order."""
        return self._views.tagged_authors(collection, ref, tag, limit, self.hidden)

    def search(
        self,
        query: Query,
        collections: Sequence[str] = SEARCHED,
        *,
        author: bytes | None = None,
        after: Cursor | None = None,
        limit: int = 50,
        lang: str | None = None,
    ) -> list[Put]:
        """Return a page of documents matching `query`, newest first, none by hidden authors (left out in SQL)."""
        return self._views.search(query, collections, author=author, after=after, limit=limit, hidden=self.hidden, lang=lang)

    def __getattr__(self, name: str) -> Any:
        # Everything else (positions, digests, pinned reads) is not a list of documents: the store's own.
        return getattr(self._views, name)
