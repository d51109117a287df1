"""The reconciliation messages of peer protocol version 2 (docs/PROTOCOL.md §15): `reconcile` and its reply.

`reconcile` carries the initiator's fingerprints of some key ranges; `reconcile_reply` answers a prefix of
them, each with "same", the 16 children's fingerprints, or the responder's entries in the range. Every
list is bounded so that a message stays far below MAX_MESSAGE_SIZE by construction: what does not fit
is asked again in the next round trip.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

from .fields import arity, array, ascending, fail, key, uint
from .message_types import FrontierEntry
from .ranges import BRANCH, DIGEST_SIZE, KeyRange

MAX_RECON_RANGES = 4096  # checks per reconcile (so at most as many results per reply)
MAX_CHECK_IDS = 64  # item ids in one ids check
MAX_REQUEST_IDS = 16384  # item ids in all checks of one reconcile (a responder reads twice as many entries)
MAX_RANGE_ITEMS = 1024  # entries in one `items` result
MAX_REPLY_ITEMS = 4096  # entries in all `items` results of one reply
MAX_REPLY_SPLITS = 1024  # `split` results in one reply
MAX_RECON_FORKED = 1024  # forked authors in one reply
ID_SIZE = 8

SAME = 0
SPLIT = 1
ITEMS = 2


def _digest(value: object, field: str) -> bytes:
    if type(value) is not bytes or len(value) != DIGEST_SIZE:
        raise fail(f"{field} is not {DIGEST_SIZE} bytes of bin", field)
    return value


@dataclass(frozen=True, slots=True)
class RangeCheck:
    """One range of a reconcile: the initiator's fingerprint (count, digest), or its item ids (`ids` is not None)."""

    range: KeyRange
    count: int = 0
    digest: bytes = b""
    ids: tuple[bytes, ...] | None = None

    def items(self) -> list:
        if self.ids is not None:
            return [self.range.bits, self.range.prefix, b"".join(self.ids)]
        return [self.range.bits, self.range.prefix, self.count, self.digest]

    @classmethod
    def parse(cls, raw: object) -> RangeCheck:
        if type(raw) is not list or len(raw) not in (3, 4):
            raise fail("range is not an array of 3 or 4 fields", "range")
        bits, prefix = uint(raw[0], "bits", 0, 256), raw[1]
        if type(prefix) is not bytes or not KeyRange.valid(bits, prefix):
            raise fail("prefix is not ceil(bits/8) bytes with its unused low bits zero (bits a multiple of 4)", "prefix")
        if len(raw) == 4:
            return cls(KeyRange(bits, prefix), uint(raw[2], "count"), _digest(raw[3], "digest"))
        data = raw[2]
        if type(data) is not bytes or len(data) % ID_SIZE or len(data) > MAX_CHECK_IDS * ID_SIZE:
            raise fail(f"ids is not bin of at most {MAX_CHECK_IDS} ids of {ID_SIZE} bytes", "ids")
        ids = [data[i : i + ID_SIZE] for i in range(0, len(data), ID_SIZE)]
        ascending(ids, "ids")
        return cls(KeyRange(bits, prefix), len(ids), ids=tuple(ids))


@dataclass(frozen=True, slots=True)
class Reconcile:
    """Fingerprints of disjoint ranges in key order, and (first request only) the digest of the forked authors."""

    TAG: ClassVar[int] = 11
    checks: tuple[RangeCheck, ...]
    forked: bytes | None = None

    def items(self) -> list:
        return [[c.items() for c in self.checks], self.forked]

    @classmethod
    def parse(cls, items: list) -> Reconcile:
        raw_checks, forked = arity(items, 2, "reconcile")
        checks = [RangeCheck.parse(raw) for raw in array(raw_checks, "ranges", MAX_RECON_RANGES)]
        if not checks:
            raise fail("ranges is empty", "ranges")
        for a, b in itertools.pairwise(checks):
            if a.range.hi is None or a.range.hi > b.range.lo:
                raise fail("ranges are not disjoint and in ascending key order", "ranges")
        ids = sum(len(c.ids) for c in checks if c.ids is not None)
        if ids > MAX_REQUEST_IDS:
            raise fail(f"checks hold {ids} ids, more than {MAX_REQUEST_IDS}", "ids")
        return cls(tuple(checks), None if forked is None else _digest(forked, "forked"))


@dataclass(frozen=True, slots=True)
class RangeResult:
    """The answer for one range: SAME, SPLIT (16 children's (count, digest)) or ITEMS (entries, and a bitmap of
    the checked ids the responder does not hold)."""

    mode: int
    children: tuple[tuple[int, bytes], ...] = ()
    entries: tuple[FrontierEntry, ...] = ()
    missing: bytes = b""

    def items(self) -> list:
        if self.mode == SAME:
            return [SAME]
        if self.mode == SPLIT:
            return [SPLIT, [[c, d] for c, d in self.children]]
        return [ITEMS, [[e.author, e.seq, e.head] for e in self.entries], self.missing]

    @classmethod
    def parse(cls, raw: object) -> RangeResult:
        if type(raw) is not list or not raw or type(raw[0]) is not int:
            raise fail("a result is not an array starting with its mode", "results")
        mode = raw[0]
        if mode == SAME:
            arity(raw, 1, "same")
            return cls(SAME)
        if mode == SPLIT:
            _, raw_children = arity(raw, 2, "split")
            children = []
            for child in array(raw_children, "children", BRANCH):
                count, digest = arity(child, 2, "child")
                children.append((uint(count, "count"), _digest(digest, "digest")))
            if len(children) != BRANCH:
                raise fail(f"a split has {len(children)} children, not {BRANCH}", "children")
            return cls(SPLIT, tuple(children))
        if mode == ITEMS:
            _, raw_entries, missing = arity(raw, 3, "items")
            entries = []
            for entry in array(raw_entries, "entries", MAX_RANGE_ITEMS):
                author, seq, head = arity(entry, 3, "entry")
                entries.append(FrontierEntry(key(author, "author"), uint(seq, "seq", 1), key(head, "head")))
            ascending([e.author for e in entries], "entries")
            if type(missing) is not bytes or len(missing) > MAX_CHECK_IDS // 8:
                raise fail(f"missing is not bin of at most {MAX_CHECK_IDS // 8} bytes", "missing")
            return cls(ITEMS, entries=tuple(entries), missing=missing)
        raise fail("a result's mode is not 0 (same), 1 (split) or 2 (items)", "mode")


@dataclass(frozen=True, slots=True)
class ReconcileReply:
    """Results for the first len(results) ranges of a reconcile, and the forked authors when their digest differed."""

    TAG: ClassVar[int] = 12
    results: tuple[RangeResult, ...]
    forked: tuple[bytes, ...] | None = None

    def items(self) -> list:
        return [[r.items() for r in self.results], None if self.forked is None else list(self.forked)]

    @classmethod
    def parse(cls, items: list) -> ReconcileReply:
        raw_results, raw_forked = arity(items, 2, "reconcile reply")
        results = [RangeResult.parse(raw) for raw in array(raw_results, "results", MAX_RECON_RANGES)]
        if not results:
            raise fail("results is empty", "results")
        total = sum(len(r.entries) for r in results)
        if total > MAX_REPLY_ITEMS:
            raise fail(f"results hold {total} entries, more than {MAX_REPLY_ITEMS}", "entries")
        splits = sum(1 for r in results if r.mode == SPLIT)
        if splits > MAX_REPLY_SPLITS:
            raise fail(f"results hold {splits} splits, more than {MAX_REPLY_SPLITS}", "results")
        forked = None
        if raw_forked is not None:
            forked = [key(a, "forked") for a in array(raw_forked, "forked", MAX_RECON_FORKED)]
            ascending(forked, "forked")
        return cls(tuple(results), None if forked is None else tuple(forked))
