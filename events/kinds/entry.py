"""What the registry's family modules declare kinds with: field limits, collection names and entry builders.

The family modules (organising.py, assembling.py, linking.py) state each kind once with these; registry.py
gathers them with the read-model collections and derives every table the rest of the code reads.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import payloads as p
from .fields import FieldSpec
from .fields import FieldType as T
from .spec import KindSpec, modify

NAME_MAX = 120
TITLE_MAX = 200
SHORT_MAX = 300
LONG_MAX = 10000
NOTE_MAX = 2000
OFFER_MAX = 1000
LESSON_MAX = 1000
LESSONS_MAX_ITEMS = 50
ASKED_MAX = 100
OPTIONS_MAX = 20

GROUPS = "groups"
CAMPAIGNS = "campaigns"
CALLOUTS = "callouts"
PLEDGES = "pledges"
REPORTS = "reports"
ASSEMBLIES = "assemblies"
PROPOSALS = "proposals"
POSITIONS = "positions"
DECISIONS = "decisions"
FOLLOWS = "follows"
COMMENTS = "comments"


LANG = FieldSpec("lang", T.LANG, help="the language the post is written in", label="Language of this post")
"""The optional language of a post's text (docs/KINDS.md, "Language of a post"): in every kind a group writes text in
that makes or changes an entity, never in a closing kind (its fields are merged into the entity's)."""


def text(name: str, limit: int, required: bool = False, help: str = "") -> FieldSpec:
    """Return a text field of at most `limit` characters."""
    return FieldSpec(name, T.TEXT, required, max_length=limit, help=help)


def ref(name: str, required: bool = True, help: str = "") -> FieldSpec:
    """Return a field holding an event id."""
    return FieldSpec(name, T.ID, required, help=help)


def when(name: str, required: bool = False, help: str = "", label: str = "") -> FieldSpec:
    """Return a time field (ms since the epoch, UTC)."""
    return FieldSpec(name, T.TIME, required, help=help, label=label)


def choice(name: str, choices: tuple[str, ...], required: bool = False, help: str = "") -> FieldSpec:
    """Return a field holding one of `choices`."""
    return FieldSpec(name, T.CHOICE, required, choices=choices, help=help)


def entry(kind: str, fields: tuple[FieldSpec, ...], summary: str, *, family: str = "", **more: Any) -> KindSpec:
    """Return the entry of `kind` (family: the part before the dot unless given), with its payload class made from `fields`."""
    prefix, _, action = kind.partition(".")
    return KindSpec(kind, family or prefix, action, p.payload_class(kind, fields), fields, summary, **more)


def optional(specs: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    """Return the fields with none of them required (an update names only what it changes)."""
    return tuple(replace(s, required=False) for s in specs)


def withdrawal(kind: str, target: str, collection: str, summary: str, title: str, status: str = "withdrawn") -> KindSpec:
    """Return the entry of a kind that ends one of the author's entities (withdrawn, cancelled) with an optional reason."""
    return entry(
        kind, (ref(target), text("reason", NOTE_MAX)), summary, projection=modify(collection, target, status=status), title=title
    )
