"""How lists of read-model documents are ordered and filtered: the values a store keeps beside each document.

A store indexes these columns so that every list is one bounded, index-served query, whatever the size of the
history: a page is "the first `limit` documents after this cursor in this collection's order", optionally with
the filters below. This module is the one place that says, per collection, what a document's order and filter
values are; stores only copy them into columns. They are a pure function of the document, so they are as
independent of arrival order as the documents are.

Every collection is listed in one order: ascending (sort_text, sort1, sort2, sort3, key).
- callouts: most urgent first, then soonest start (undated last), then newest, by key;
- groups: by name (case-folded), by key;
- assemblies: latest start first;
- positions: oldest first (the order groups took them);
- comments: newest activity first (posted, edited or withdrawn);
- everything else: newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..kinds import COLLECTION_SPECS, NEEDS, URGENCIES
from ..kinds.langtag import is_lang_tag
from ..kinds.registry import ASSEMBLIES, CALLOUTS, COMMENTS, DECISIONS, GROUPS, PLEDGES, POSITIONS, REPORTS
from .view import Put

NO_TIME = 2**62  # an undated callout sorts after every dated one (and fits a signed 64-bit column)
NEED_BITS = {need: 1 << i for i, need in enumerate(NEEDS)}
URGENCY_RANK = {u: i for i, u in enumerate(reversed(URGENCIES))}  # critical 0 ... low 3
LABEL_MAX = 64  # characters of a group's name kept for ordering
UNLISTED = {name: c.unlisted for name, c in COLLECTION_SPECS.items() if c.unlisted}
"""Per collection, the statuses whose documents no list shows (withdrawn reports and decisions; the registry's)."""


@dataclass(frozen=True, slots=True)
class Listing:
    """A document's order and filter values (see the module docstring); `None` where a collection has none."""

    ts: int  # the document's timestamp
    status: str | None  # lifecycle status (open, fulfilled, withdrawn, made, active, closed...)
    sort_text: str
    sort1: int
    sort2: int
    sort3: int
    tag: str | None  # a pledge's need, a position's position
    qty: int  # a pledge's quantity (1 when not given)
    needs: int  # a callout's needs, one bit each (NEED_BITS)
    place: str | None  # a callout's `where`, case-folded, for substring filters
    until: int | None  # a callout's last relevant time: ends_at, else starts_at, else its timestamp
    link: bytes | None  # a decision's campaign, a report's assembly (its minutes)
    lang: str | None  # the language the document's post says it is in (its `lang`), if it says


def need_mask(needs: Any) -> int:
    """Return the bits of a list of needs (unknown names count for nothing)."""
    mask = 0
    for need in needs or ():
        mask |= NEED_BITS.get(need, 0)
    return mask


def _int(value: Any, default: int) -> int:
    return value if type(value) is int and -NO_TIME <= value <= NO_TIME else default


def listing_of(put: Put) -> Listing:
    """Return the order and filter values of one document."""
    doc = put.doc
    ts = _int(doc.get("timestamp"), 0)
    status = doc.get("status") if isinstance(doc.get("status"), str) else None
    sort_text, sort1, sort2, sort3 = "", -ts, 0, 0
    tag: str | None = None
    qty, needs, place, until, link = 1, 0, None, None, None
    lang = doc.get("lang") if is_lang_tag(doc.get("lang")) else None
    collection = put.collection
    if collection == CALLOUTS:
        starts = _int(doc.get("starts_at"), NO_TIME)
        sort1, sort2, sort3 = URGENCY_RANK.get(doc.get("urgency"), len(URGENCIES)), starts, -ts
        needs = need_mask(doc.get("needs"))
        where = doc.get("where")
        place = where.casefold() if isinstance(where, str) else None
        until = _int(doc.get("ends_at"), 0) or _int(doc.get("starts_at"), 0) or ts
    elif collection == GROUPS:
        name = doc.get("name")
        sort_text, sort1 = (name.casefold()[:LABEL_MAX] if isinstance(name, str) and name else "\uffff"), 0
        tag = name if isinstance(name, str) else None  # the name as shown, so pages name groups without their documents
    elif collection == ASSEMBLIES:
        sort1 = -_int(doc.get("starts_at"), 0)
    elif collection == POSITIONS:
        sort1 = _int(doc.get("first_timestamp"), ts)
        tag = doc.get("position") if isinstance(doc.get("position"), str) else None
    elif collection == PLEDGES:
        tag = doc.get("need") if isinstance(doc.get("need"), str) else None
        qty = _int(doc.get("quantity"), 1)
    elif collection == COMMENTS:
        sort1 = -max(ts, _int(doc.get("updated_at"), 0), _int(doc.get("closed_at"), 0))
    elif collection == DECISIONS:
        campaign = doc.get("campaign")
        link = campaign if isinstance(campaign, bytes) else None
    elif collection == REPORTS:
        assembly = doc.get("assembly")
        link = assembly if isinstance(assembly, bytes) else None
    return Listing(ts, status, sort_text, sort1, sort2, sort3, tag, qty, needs, place, until, link, lang)


@dataclass(frozen=True, slots=True)
class Where:
    """Filters of one list; each that is set narrows it (all of them together). Stores apply them in SQL."""

    author: bytes | None = None
    ref: bytes | None = None
    no_ref: bool = False  # only documents without a ref (proposals outside an assembly)
    status: str | None = None
    link: bytes | None = None
    needs: int = 0  # documents with any of these need bits
    place: str | None = None  # a case-folded substring of the document's place
    until_from: int | None = None  # documents whose `until` is at or after this (ms)
    live_at: int | None = None  # callouts not over at this time (ms): `until` at or after it, or undated
    over_at: int | None = None  # callouts over at this time (ms): dated, and `until` before it
    starts_from: int | None = None  # assemblies starting at or after this (ms): sort1 <= -starts_from
    starts_before: int | None = None  # assemblies starting before this (ms): sort1 > -starts_before
    hidden: frozenset[bytes] = frozenset()  # documents of these authors left out (the groups this node blocked)
    lang: str | None = None  # documents whose post says it is in exactly this language tag


def matches(put: Put, where: Where) -> bool:
    """True iff the document passes every filter of `where` (the meaning the stores' SQL implements)."""
    listing = listing_of(put)
    return (
        listing.status not in UNLISTED.get(put.collection, ())
        and (where.author is None or put.author == where.author)
        and (where.ref is None or put.ref == where.ref)
        and (not where.no_ref or put.ref is None)
        and (where.status is None or listing.status == where.status)
        and (where.link is None or listing.link == where.link)
        and (where.lang is None or listing.lang == where.lang)
        and (not where.needs or bool(listing.needs & where.needs))
        and (not where.place or (listing.place is not None and where.place.casefold() in listing.place))
        and (where.until_from is None or (listing.until is not None and listing.until >= where.until_from))
        and (where.live_at is None or not _over(listing, where.live_at))
        and (where.over_at is None or _over(listing, where.over_at))
        and (where.starts_from is None or listing.sort1 <= -where.starts_from)
        and (where.starts_before is None or listing.sort1 > -where.starts_before)
        and put.author not in where.hidden
    )


def undated(listing: Listing) -> bool:
    """True iff a callout has neither start nor end: its `until` is its own timestamp and it sorts as undated."""
    return listing.sort2 == NO_TIME and listing.until == listing.ts


def _over(listing: Listing, now: int) -> bool:
    """True iff a callout is over at `now`: it has a start or an end, and its last relevant time is before `now`."""
    return listing.until is not None and listing.until < now and not undated(listing)


Cursor = tuple[str, int, int, int, bytes]
"""The order values of the last document of a page: the next page starts after it."""


def cursor_of(put: Put) -> Cursor:
    """Return the cursor that points just after `put` in its collection's order."""
    listing = listing_of(put)
    return (listing.sort_text, listing.sort1, listing.sort2, listing.sort3, put.key)


def valid_cursor(value: Any) -> Cursor | None:
    """Return `value` as a Cursor if it has the shape of one, else None (a cursor comes from clients)."""
    if not (isinstance(value, (list, tuple)) and len(value) == 5):
        return None
    text, s1, s2, s3, key = value
    if not (isinstance(text, str) and len(text) <= 4 * LABEL_MAX and isinstance(key, bytes) and len(key) <= 128):
        return None
    if not all(type(s) is int and -NO_TIME <= s <= NO_TIME for s in (s1, s2, s3)):
        return None
    return (text, s1, s2, s3, key)


__all__ = [
    "NEED_BITS",
    "UNLISTED",
    "URGENCY_RANK",
    "Cursor",
    "Listing",
    "Where",
    "cursor_of",
    "listing_of",
    "matches",
    "need_mask",
    "undated",
    "valid_cursor",
]
