"""Fingerprints of the node's frontier for reconciliation (protocol/ranges.py) without reading the whole frontier.

The author space is cut into 4,096 buckets (the first 12 bits of the key). The index keeps each bucket's
fingerprint in memory, so the fingerprint of a range of 12 bits or fewer is a sum of at most 4,096 bucket
sums; a narrower range is read from the store's author index (one bucket holds about N / 4,096 authors).
A bucket is recomputed from the store when an event of one of its authors is stored: the index follows the
store's notification log, which every stored event enters whoever wrote it (peers, our own publish, the CLI
in another process), so it is never staler than the notifications it read at the start of each call.
Blocking: call it on a store reader thread (a lock keeps concurrent calls apart).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence

from events import ChainHead
from events.canonical import unpack_array_fast
from protocol.ranges import Fingerprint, KeyRange, fingerprint_of

from ..store.base import EventStore

BUCKET_BITS = 12
BUCKETS = 1 << BUCKET_BITS
PAGE = 5000
MAX_CACHED_BUCKET = 4096  # a narrower range in a bucket of at most this many authors is cut from one read of it
MIN_FOLLOW = 4096  # new notifications always followed one by one; more than this and than the authors: rescan
_MOD = 1 << 256


def _bucket(author: bytes) -> int:
    return int.from_bytes(author[:2], "big") >> (16 - BUCKET_BITS)


def _author(record: bytes) -> bytes:
    # A stored record is [header bytes, signature, payload]; the header's second field is the author.
    return unpack_array_fast(unpack_array_fast(record)[0])[1]


class FrontierIndex:
    """Per-bucket fingerprints of a store's heads, kept current from its notification log; see the module docstring."""

    def __init__(self, store: EventStore):
        self.store = store
        self._lock = threading.Lock()
        self._buckets: list[Fingerprint] | None = None
        self._seen = 0  # the newest notification the buckets reflect
        self.rebuilds = 0

    def fingerprints(self, ranges: Sequence[KeyRange]) -> list[Fingerprint]:
        """Return the fingerprint of the stored heads in each range."""
        with self._lock:
            buckets = self._refresh()
            read: dict[int, tuple[list[bytes], list[ChainHead]] | None] = {}  # bucket -> its heads, for this call
            result = []
            for r in ranges:
                first = _bucket(r.lo)
                if r.bits <= BUCKET_BITS:
                    chosen = buckets[first : first + (1 << (BUCKET_BITS - r.bits))]
                    result.append(Fingerprint(sum(b.count for b in chosen), sum(b.total for b in chosen) % _MOD))
                    continue
                if first not in read:  # the 16 children of a bucket, or many ranges in it: one read, not one per range
                    read[first] = self._bucket_heads(first) if buckets[first].count <= MAX_CACHED_BUCKET else None
                cut = read[first]
                if cut is None:
                    result.append(self._scan(r.lo, r.hi))
                    continue
                authors, heads = cut
                start = bisect.bisect_left(authors, r.lo)
                end = len(authors) if r.hi is None else bisect.bisect_left(authors, r.hi)
                result.append(fingerprint_of(heads[start:end]))
            return result

    def _bucket_heads(self, b: int) -> tuple[list[bytes], list[ChainHead]] | None:
        r = KeyRange(BUCKET_BITS, (b << 4).to_bytes(2, "big"))
        heads = self.store.head_range(r.lo, r.hi, MAX_CACHED_BUCKET + 1)
        return None if len(heads) > MAX_CACHED_BUCKET else ([h.author for h in heads], heads)

    def _scan(self, lo: bytes, hi: bytes | None) -> Fingerprint:
        total = Fingerprint()
        while True:
            page = self.store.head_range(lo, hi, PAGE)
            total = total + fingerprint_of(page)
            if len(page) < PAGE:
                return total
            lo = page[-1].author + b"\x00"  # the first key after the last one read

    def _refresh(self) -> list[Fingerprint]:
        if self._buckets is None:
            return self._rebuild()
        pending = self.store.max_notification_id() - self._seen
        if pending > max(MIN_FOLLOW, sum(b.count for b in self._buckets)):
            return self._rebuild()  # following every new event would cost more than reading every head once
        dirty: set[int] = set()
        after = self._seen
        while True:
            page = self.store.notification_records(after, PAGE)
            dirty.update(_bucket(_author(state)) for _, state in page)
            if page:
                after = page[-1][0]
            if len(page) < PAGE:
                break
        for b in dirty:
            r = KeyRange(BUCKET_BITS, (b << 4).to_bytes(2, "big"))
            self._buckets[b] = self._scan(r.lo, r.hi)
        self._seen = after
        return self._buckets

    def _rebuild(self) -> list[Fingerprint]:
        # Notifications after `seen` may or may not be in the scan below; the next call recomputes their buckets.
        seen = self.store.max_notification_id()
        counts = [0] * BUCKETS
        totals = [0] * BUCKETS
        lo: bytes = bytes(32)
        while True:
            page = self.store.head_range(lo, None, PAGE)
            for head in page:
                b = _bucket(head.author)
                fp = fingerprint_of([head])
                counts[b] += 1
                totals[b] += fp.total
            if len(page) < PAGE:
                break
            lo = page[-1].author + b"\x00"
        self._buckets = [Fingerprint(c, t % _MOD) for c, t in zip(counts, totals, strict=True)]
        self._seen = seen
        self.rebuilds += 1
        return self._buckets
