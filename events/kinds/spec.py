"""What a registry entry holds: a kind's schema, projection and form, and the read-model collections.

These are plain frozen values; `events/kinds/registry.py` declares every kind and collection with them,
and `events/readmodel/projection.py` interprets the projections (events/kinds never imports events/readmodel).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .fields import FieldSpec


class Effect(enum.Enum):
    """How a kind's event changes its collection."""

    CREATE = "create"  # a new document keyed by the event's id, with a log that later events of the author extend
    SINGLE = "single"  # a new document keyed by the event's id, written once: the event's payload, no log
    MODIFY = "modify"  # adds the event to the log of an entity the same author created (named by `target`)
    APPEND = "append"  # adds the event to the log of the document at the collection's key (made if absent)
    REDACT = "redact"  # takes one earlier event of the same author back out of the read models


class Fold(enum.Enum):
    """How the fields of a collection's documents follow from their log (oldest first)."""

    LIFECYCLE = "lifecycle"  # created with a status; updates set fields; the first change of status ends it
    LATEST = "latest"  # the newest event's fields count
    EDGE = "edge"  # a state set and undone by the kinds' `status` and `undoes`, "none" to begin with


class Key(enum.Enum):
    """A part of a document's key that is not a payload field."""

    EVENT = "event id"  # the id of the event that created the document
    AUTHOR = "author key"  # the public key of the author whose events write the document


@dataclass(frozen=True, slots=True)
class Collection:
    """One read-model collection: its name, how its documents are keyed, folded, and what their ref is.

    `key` lists the parts whose bytes, concatenated, make a document's key: `Key.EVENT`, `Key.AUTHOR` or the
    name of a payload field. `fold` is None for documents written once (the creating event's payload, no log).
    `ref` lists document fields; the first one present is the document's ref. `entity` is the name of the id
    fields that point at its documents (forms offer them as choices). `unlisted` names the statuses in which
    its documents leave every list, search and feed (their own page still shows them, marked).
    """

    name: str
    key: tuple[Key | str, ...]
    fold: Fold | None
    ref: tuple[str, ...] = ()
    entity: str | None = None
    unlisted: tuple[str, ...] = ()

    @property
    def keying(self) -> str:
        """Return how documents are keyed: "event" (the creating event's id), "author", or "composite"."""
        if self.key == (Key.EVENT,):
            return "event"
        if self.key == (Key.AUTHOR,):
            return "author"
        return "composite"

    @property
    def write_once(self) -> bool:
        """True if a document is written once by its creating event and only ever deleted after (no log)."""
        return self.fold is None


@dataclass(frozen=True, slots=True)
class Projection:
    """What a kind's event does to the read models (interpreted by events/readmodel/projection.py).

    `target` (MODIFY) is the payload field holding the id of the entity changed, which must be the author's
    own. `status` is, for CREATE, the status a new entity starts in; for MODIFY, the status the event ends it
    in (None: an update, which sets the fields it names); for APPEND to an edge, the state the event sets.
    `undoes` (APPEND to an edge) is the state the event ends, back to "none".
    """

    effect: Effect
    collection: str | None = None
    target: str | None = None
    status: str | None = None
    undoes: str | None = None


@dataclass(frozen=True, slots=True)
class KindSpec:
    """A known kind: name, payload class and fields in display order, projection, form title, whether users publish it."""

    kind: str
    family: str
    action: str
    payload_type: type
    fields: tuple[FieldSpec, ...]
    summary: str
    system: bool = False
    defaults: tuple[tuple[str, object], ...] = ()
    projection: Projection | None = None  # None: no read model (key.commit, key.rotate)
    title: str = ""  # the heading of its web form (kinds users publish)

    def field(self, name: str) -> FieldSpec | None:
        """Return the spec of the field called `name`, or None."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None


def create(collection: str, status: str | None = None) -> Projection:
    """Return the projection of a kind that creates an entity (with `status`, for a lifecycle)."""
    return Projection(Effect.CREATE, collection, status=status)


def single(collection: str) -> Projection:
    """Return the projection of a kind whose event is a document written once."""
    return Projection(Effect.SINGLE, collection)


def modify(collection: str, target: str, status: str | None = None) -> Projection:
    """Return the projection of a kind that changes the author's own entity named by `target` (ends it in `status`)."""
    return Projection(Effect.MODIFY, collection, target=target, status=status)


def append(collection: str, status: str | None = None, undoes: str | None = None) -> Projection:
    """Return the projection of a kind whose events add to the document at the collection's key."""
    return Projection(Effect.APPEND, collection, status=status, undoes=undoes)


REDACT = Projection(Effect.REDACT)
"""The projection of log.redact."""
