"""The parameters the JSON API's routes share (ids, groups, times, pages), each declared once (node/apispec.py)."""

from __future__ import annotations

from events.identity import GROUP_ID_PATTERN
from events.kinds import KINDS, NEEDS, Effect
from events.kinds.langtag import LANG_MAX, LANG_PATTERN

from .apispec import Param
from .paging import CURSOR_MAX, DEFAULT_LIMIT, MAX_LIMIT, PageRequest, decode_cursor
from .queries import AREA_MAX, CALLOUT_STATUSES

EVENT_ID_PATTERN = "^[0-9a-fA-F]{64}$"
EXAMPLE_GROUP = "sn_ca5gd66gwmhh766eawbkzf3xkaktp3wk3ftxk6mvnsj36xuhtysa"
MAX_MS = 10**15 - 1  # the largest `since` (ms): 15 digits, some 31,000 years after 1970


def event_id(name: str = "id", where: str = "path", what: str = "event") -> Param:
    """Return the parameter of an event id (64 hex digits) called `name`."""
    return Param(name, f"{what} id: the id of its event, 64 hex digits", where, pattern=EVENT_ID_PATTERN)


def group_id(name: str = "author", where: str = "query", description: str = "group id (sn_…)") -> Param:
    """Return the parameter of a group id (`sn_` and 52 base32 digits) called `name`."""
    return Param(name, description, where, pattern=GROUP_ID_PATTERN, example=EXAMPLE_GROUP)


def statuses_of(collection: str) -> tuple[str, ...]:
    """Return the statuses a lifecycle collection's documents can be in, from the kind registry (the first: new)."""
    found = [
        s.projection.status
        for s in KINDS.values()
        if s.projection and s.projection.collection == collection and s.projection.status
        if s.projection.effect in (Effect.CREATE, Effect.MODIFY)
    ]
    return tuple(dict.fromkeys(found))


def page_params(default: int = DEFAULT_LIMIT) -> tuple[Param, ...]:
    """Return the `limit` and `cursor` parameters of a list (default page size `default`)."""
    return (
        Param("limit", f"items per page (default {default})", kind="integer", minimum=1, maximum=MAX_LIMIT, default=default),
        Param(
            "cursor",
            "the `next` value of the previous page (opaque); absent for the first page",
            pattern="^[A-Za-z0-9_-]+$",
            max_length=CURSOR_MAX,
            format="solnet-cursor",
            convert=decode_cursor,
        ),
    )


def page_of_args(args: dict) -> PageRequest:
    """Return the page a list request asked for, from its checked `limit` and `cursor`."""
    return PageRequest(args["limit"], args["cursor"])


def lang_filter(what: str) -> Param:
    """Return the `lang` filter of a list: only items whose post says it is in this language (docs/KINDS.md)."""
    return Param(
        "lang",
        f"only {what} whose post says it is written in this language: a BCP 47 tag in canonical case (pl, pt-BR); "
        "items that do not say their language are left out",
        pattern=f"^{LANG_PATTERN}$",
        max_length=LANG_MAX,
        example="pl",
    )


def callout_filters() -> tuple[Param, ...]:
    """Return the filters of the callout list."""
    return (
        Param("status", "open (the default), fulfilled, withdrawn, or all", enum=CALLOUT_STATUSES, default="open"),
        Param("need", "only callouts asking for this", enum=NEEDS),
        Param("area", "text in the callout's place (case-insensitive)", max_length=AREA_MAX),
        event_id("campaign", "query", "only the callouts of this campaign:"),
        group_id("author", description="only callouts of this group (sn_…)"),
        Param(
            "since",
            "only callouts ending (or, without an end, starting) at or after this time, milliseconds since the epoch",
            kind="integer",
            minimum=0,
            maximum=MAX_MS,
        ),
        lang_filter("callouts"),
    )


def doc_filters(collection: str, ref: str | None = None) -> tuple[Param, ...]:
    """Return the filters of a plain document list: author, status (lifecycle collections), and its ref if any."""
    found: list[Param] = [group_id("author", description=f"only {collection} of this group (sn_…)")]
    statuses = statuses_of(collection)
    if statuses:
        found.append(Param("status", f"only {collection} in this status", enum=statuses))
    if ref is not None:
        found.append(event_id(ref, "query", f"only the {collection} of this {ref}:"))
    found.append(lang_filter(collection))
    return tuple(found)
