"""Private read models: the documents of sealed events this node can open, projected like public ones.

A sealed event's inner document is projected by the same handlers as a public event of its kind, keyed by
the sealed event's id, and carries `private_to` (the recipient groups) in its payload, so every document
it makes or changes says who may read it. The documents go to a read-model set of their own, never into
the public one: the public state digest, search, lists and exports never see them (docs/KINDS.md,
"Private events").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..canonical import pack
from ..errors import EventError
from ..event import Event
from ..kinds import valid_payload_value
from ..sealed import SEALED_KIND, EncryptionKeyPair, Inner, open_sealed
from .projection import project_entry
from .view import Change, ViewReader

PRIVATE_TO = "private_to"


def opened(event: Event, pairs: Iterable[EncryptionKeyPair]) -> Inner | None:
    """Return the inner document of a sealed event that one of `pairs` opens, else None (also for any other event)."""
    if event.header.kind != SEALED_KIND or event.payload is None:
        return None
    try:
        value = valid_payload_value(SEALED_KIND, event.payload)
    except EventError:  # an invalid sealed payload opens to nothing
        return None
    inner = None if value is None else open_sealed(value, event.header.author, pairs)
    if inner is None:
        return None
    try:  # what opens is checked like any payload of its kind: a hostile author's invalid one is not shown
        checked = valid_payload_value(inner.kind, pack(inner.payload))
    except EventError:
        return None
    return None if checked is None else Inner(inner.kind, checked, inner.to)


def private_projector(pairs: Callable[[], Iterable[EncryptionKeyPair]]) -> Callable[[Event, ViewReader], list[Change]]:
    """Return `project` for the private read models: the changes of the sealed events one of `pairs()` opens."""

    def project(event: Event, view: ViewReader) -> list[Change]:
        if event.header.kind != SEALED_KIND:  # most events: the keys are not even looked up
            return []
        inner = opened(event, pairs())
        if inner is None:
            return []
        h = event.header
        value = {**inner.payload, PRIVATE_TO: list(inner.to)}
        return project_entry(h.author, event.id, h.seq, h.timestamp, inner.kind, value, view)

    return project
