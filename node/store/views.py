"""The read-model store: documents readable through events.readmodel.view.ViewReader, written with their tracking position."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext

from eventsourcing.persistence import Tracking

from events.canonical import unpack_unverified
from events.readmodel.digest import combine_groups, pack_document
from events.readmodel.listing import Cursor, cursor_of, listing_of
from events.readmodel.search import SEARCHED, Query, search_text
from events.readmodel.view import Change, Delete, Put

from ..errors import StoreConfigError
from .listing_sql import Where
from .recorder import DocumentRow, ViewRecorder
from .translate import translated

EVERYTHING = Where()
_NAME = re.compile(r"[a-z][a-z0-9_]{0,30}")


def check_view_name(name: str) -> str:
    """Return `name` if it can name a read-model set (it becomes part of a table name); raise StoreConfigError otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise StoreConfigError(f"read-model name {name!r:.40} is not a lowercase identifier of 1 to 31 characters", field="name")
    return name


def search_cursor(put: Put) -> Cursor:
    """Return the cursor after `put` in search results: the list cursor's shape ("", -ts, 0, 0, key)."""
    return ("", -listing_of(put).ts, 0, 0, put.key)


def _put(row: DocumentRow) -> Put:
    # The store wrote these bytes with pack_document (canonical): the canonical re-encoding check is skipped.
    return Put(row.collection, row.key, row.author, row.ref, unpack_unverified(row.doc, max_size=len(row.doc)))


class ViewStore:
    """Read models named `name`, kept in the event store's database; implements events.readmodel.view.ViewReader."""

    def __init__(self, recorder: ViewRecorder, name: str):
        self.recorder = recorder
        self.name = check_view_name(name)

    def get(self, collection: str, key: bytes) -> Put | None:
        """Return the stored document (as the Put that wrote it), or None."""
        with translated("reading a read-model document"):
            row = self.recorder.select_document(collection, key)
        return None if row is None else _put(row)

    def scan(self, collection: str, *, ref: bytes | None = None, author: bytes | None = None) -> Iterator[Put]:
        """Yield the documents of a collection, optionally only those with this ref and/or author, by key."""
        with translated("scanning read-model documents"):
            rows = self.recorder.select_documents(collection, ref, author)
        return iter([_put(r) for r in rows])

    def pinned_reads(self) -> AbstractContextManager[None]:
        """Return a context in which this thread's lookups share one read transaction (node/store/pinned.py)."""
        pin = getattr(self.recorder.datastore, "pinned_reads", None)
        return pin() if pin is not None else nullcontext()

    def page(self, collection: str, where: Where = EVERYTHING, after: Cursor | None = None, limit: int = 50) -> list[Put]:
        """Return up to `limit` documents matching `where` after the cursor `after`, in the collection's list order."""
        with translated("reading a page of read-model documents"):
            rows = self.recorder.select_page(collection, where, after, limit)
        return [_put(r) for r in rows]

    def by_keys(self, collection: str, keys: Sequence[bytes]) -> dict[bytes, Put]:
        """Return the documents of a collection with these keys, by key (missing ones left out)."""
        if not keys:
            return {}
        with translated("reading read-model documents by key"):
            rows = self.recorder.select_by_keys(collection, list(dict.fromkeys(keys)))
        return {r.key: _put(r) for r in rows}

    def tags(self, collection: str, keys: Sequence[bytes]) -> dict[bytes, str | None]:
        """Return the listing tag of each document of a collection with these keys, by key (missing ones left out)."""
        if not keys:
            return {}
        with translated("reading read-model tags"):
            return dict(self.recorder.select_tags(collection, list(dict.fromkeys(keys))))

    def first_per_ref(
        self, collection: str, refs: Sequence[bytes], n: int, hidden: frozenset[bytes] = frozenset()
    ) -> dict[bytes, list[Put]]:
        """Return the first `n` documents (in list order, none by `hidden` authors) hanging from each of `refs`, by ref."""
        if not refs or n <= 0:
            return {}
        with translated("reading read-model documents by ref"):
            rows = self.recorder.select_first_per_ref(collection, list(dict.fromkeys(refs)), n, sorted(hidden))
        out: dict[bytes, list[Put]] = {}
        for put in sorted((_put(r) for r in rows), key=cursor_of):
            out.setdefault(put.ref or b"", []).append(put)
        return out

    def counts(
        self, collection: str, refs: Sequence[bytes], hidden: frozenset[bytes] = frozenset()
    ) -> list[tuple[bytes, str | None, str | None, int, int]]:
        """Return (ref, tag, status, count, summed qty) of the documents (none by `hidden`) hanging from each of `refs`."""
        if not refs:
            return []
        with translated("counting read-model documents"):
            return self.recorder.select_counts(collection, list(dict.fromkeys(refs)), sorted(hidden))

    def author_counts(
        self, collection: str, refs: Sequence[bytes], statuses: Sequence[str], hidden: frozenset[bytes] = frozenset()
    ) -> dict[bytes, int]:
        """Return how many distinct authors (not `hidden`) wrote documents in `statuses` hanging from each of `refs`."""
        if not refs:
            return {}
        with translated("counting read-model authors"):
            return self.recorder.select_author_counts(collection, list(dict.fromkeys(refs)), statuses, sorted(hidden))

    def tagged_authors(
        self, collection: str, ref: bytes, tag: str, limit: int, hidden: frozenset[bytes] = frozenset()
    ) -> list[bytes]:
        """Return up to `limit` authors (not `hidden`) of documents hanging from `ref` with this tag, in byte order."""
        with translated("reading read-model authors"):
            return self.recorder.select_tagged_authors(collection, ref, tag, limit, sorted(hidden))

    def search(
        self,
        query: Query,
        collections: Sequence[str] = SEARCHED,
        *,
        author: bytes | None = None,
        after: Cursor | None = None,
        limit: int = 50,
        hidden: frozenset[bytes] = frozenset(),
        lang: str | None = None,
    ) -> list[Put]:
        """Return up to `limit` documents of `collections` matching `query` (none by `hidden`; only in `lang` if given),
        newest first then by key, after `after` (a search_cursor)."""
        start = None if after is None else (-after[1], after[4])
        with translated("searching read-model documents"):
            rows = self.recorder.select_search(query, list(collections), author, start, limit, sorted(hidden), lang)
        return [_put(r) for r in rows]

    def position(self) -> int:
        """Return the notification id up to which these read models are built (0 before any)."""
        with translated("reading the read-model position"):
            value = self.recorder.max_tracking_id(self.name)
        return value or 0

    def apply(self, changes: Sequence[Change], tracking: Tracking | int) -> None:
        """Write `changes` (in order, later ones win) and the tracking position in one transaction.

        Raises TrackingError if the position is not after the stored one (nothing is written then).
        """
        if isinstance(tracking, int):
            tracking = Tracking(self.name, tracking)
        final: dict[tuple[str, bytes], Put | None] = {}
        for change in changes:
            if isinstance(change, Put):
                final[(change.collection, change.key)] = change
            elif isinstance(change, Delete):
                final[(change.collection, change.key)] = None
            else:
                raise TypeError(f"not a read-model change: {change!r:.80}")
        self.write(final, tracking)

    def write(self, final: dict[tuple[str, bytes], Put | None], tracking: Tracking, *, settle: bool = True) -> None:
        """Write the final state of each touched document (None = deleted) and the tracking position atomically.

        The group digests of the touched authors are brought up to date in the same transaction, unless
        `settle` is False (a batch that more batches follow: they are then marked dirty, see `settle`).
        """
        puts = [
            DocumentRow(p.collection, p.key, p.author, p.ref, pack_document(p.doc), listing_of(p), search_text(p))
            for p in final.values()
            if p is not None
        ]
        deletes = [k for k, p in final.items() if p is None]
        with translated(f"writing read models up to notification {tracking.notification_id}", tracking=True):
            self.recorder.write_documents(puts, deletes, tracking, settle)

    def settle(self) -> int:
        """Recompute the group digests that writes with settle=False left dirty; return how many."""
        with translated("recomputing group digests"):
            return self.recorder.settle_digests()

    def group_digests(self, after: bytes | None = None, limit: int = 100) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
        """Return up to `limit` (author, group digest) pairs after author `after`, ascending, and the next page's `after`."""
        with translated("reading group digests"):
            return self.recorder.select_group_digests(after, limit)

    def digest_state(self) -> tuple[int, list[tuple[bytes, bytes]]]:
        """Return the tracked position and every (author, group digest), ascending by author, from one snapshot."""
        with translated("reading group digests"):
            return self.recorder.select_digest_state(self.name)

    def state_digest_v2(self, forked: Iterable[bytes] = ()) -> str:
        """Return the state digest version 2 of these read models and the forked groups (docs/KINDS.md)."""
        return combine_groups(self.digest_state()[1], forked)

    def drop_list_indexes(self) -> None:
        """Drop the list indexes for a bulk projection (see Projector); `restore_list_indexes` builds them again."""
        with translated("dropping the read-model list indexes"):
            self.recorder.drop_list_indexes()

    def restore_list_indexes(self) -> None:
        """Build any missing list index and refresh the planner's statistics of the read-model tables."""
        with translated("building the read-model list indexes"):
            self.recorder.create_list_indexes()
            self.recorder.analyze()

    def clear(self) -> None:
        """Delete every document and the tracking position (a rebuild starts from notification 0)."""
        with translated("clearing read models"):
            self.recorder.clear_documents(self.name)
