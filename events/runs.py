"""Runs of one author's events in a batch: which signature vouches for a run, which event links after which, and
the batch's events of each author in seq order (the ingest decision's building blocks, events/ingest.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any

from .chain import ChainHead, check_link
from .errors import ChainError
from .event import Event, signature_valid
from .fork import MAX_RUN


def vouches(position: int, event: Event, key: Any) -> bool:
    """Return whether `event`, the `position`-th (from 1) of a run, signs for the run: within MAX_RUN and verifying."""
    return position <= MAX_RUN and signature_valid(event, key)


def signed_run(events: Sequence[Event], start: int, key: Any) -> list[Event] | None:
    """Return the linked run events[start:k+1] that ends at the first event that `vouches` for it, or None."""
    run: list[Event] = []
    for event in events[start : start + MAX_RUN]:
        if run:
            try:
                check_link(ChainHead.of(run[-1]), event, event.author)
            except ChainError:
                return None
        run.append(event)
        if vouches(len(run), event, key):
            return run
    return None


def group_by_author(events: Iterable[Event]) -> dict[bytes, list[Event]]:
    """Return each author's events in seq order, stable (authors in order of first appearance)."""
    groups: dict[bytes, list[Event]] = {}
    for event in events:
        groups.setdefault(event.header.author, []).append(event)
    for evs in groups.values():
        evs.sort(key=_seq)
    return groups


_seq = attrgetter("header.seq")  # (the hot loops of an import read the header's fields, not Event's properties)


def links_after(evs: list[Event]) -> dict[bytes, Event]:
    """Return, for each event id, the first event of `evs` (in order) whose prev it is."""
    links: dict[bytes, Event] = {}
    for event in evs:
        prev = event.header.prev
        if prev is not None and prev not in links:
            links[prev] = event
    return links


def branch_from(event: Event, links: Mapping[bytes, Event]) -> list[Event]:
    """Return `event` and the batch's events after it, each the first whose prev is the one before (at most MAX_RUN)."""
    run = [event]
    while len(run) < MAX_RUN and (after := links.get(run[-1].id)) is not None and after.seq == run[-1].seq + 1:
        run.append(after)
    return run


def linked(prev: Event, event: Event) -> bool:
    """Return whether `event` links after `prev` (events.chain.check_link)."""
    try:
        check_link(ChainHead.of(prev), event, event.author)
    except ChainError:
        return False
    return True
