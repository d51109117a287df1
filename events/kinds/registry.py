"""The kind registry: every known kind and read-model collection, declared once (docs/KINDS.md, "The registry").

An entry says everything the code needs to know about a kind: its fields (limits, help, labels) and the
payload class made from them, defaults, what its events do to the read models (`Projection`), and its form's
title. Projection dispatch (events/readmodel/projection.py), the auditor's target lookup and scratch store,
and the web forms all read it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from . import assembling, linking, organising
from .entry import (
    ASSEMBLIES,
    CALLOUTS,
    CAMPAIGNS,
    COMMENTS,
    DECISIONS,
    FOLLOWS,
    GROUPS,
    PLEDGES,
    POSITIONS,
    PROPOSALS,
    REPORTS,
)
from .private import PRIVATE_COLLECTIONS, PRIVATE_SPECS
from .spec import Collection, Effect, Fold, Key, KindSpec

_COLLECTIONS = (
    Collection(GROUPS, (Key.AUTHOR,), Fold.LATEST),
    Collection(CAMPAIGNS, (Key.EVENT,), Fold.LIFECYCLE, entity="campaign"),
    Collection(CALLOUTS, (Key.EVENT,), Fold.LIFECYCLE, ("campaign",), entity="callout"),
    Collection(PLEDGES, (Key.EVENT,), Fold.LIFECYCLE, ("callout",), entity="pledge"),
    Collection(REPORTS, (Key.EVENT,), Fold.LIFECYCLE, ("campaign",), entity="report", unlisted=("withdrawn",)),
    Collection(ASSEMBLIES, (Key.EVENT,), Fold.LIFECYCLE, entity="assembly"),
    Collection(PROPOSALS, (Key.EVENT,), Fold.LIFECYCLE, ("assembly",), entity="proposal"),
    Collection(POSITIONS, ("proposal", Key.AUTHOR), Fold.LATEST, ("proposal",)),
    Collection(DECISIONS, (Key.EVENT,), Fold.LIFECYCLE, ("proposal", "assembly"), entity="decision", unlisted=("withdrawn",)),
    Collection(FOLLOWS, (Key.AUTHOR, "group"), Fold.EDGE, ("group",)),
    Collection(COMMENTS, (Key.EVENT,), Fold.LIFECYCLE, ("root", "on"), entity="comment"),
    *PRIVATE_COLLECTIONS,  # private events' keys (events/kinds/private.py)
)

COLLECTION_SPECS: Mapping[str, Collection] = MappingProxyType({c.name: c for c in _COLLECTIONS})
"""Every read-model collection by name, in the order the state digest hashes them."""


_SPECS = organising.SPECS + assembling.SPECS + linking.SPECS + PRIVATE_SPECS  # key.encryption, sealed: private.py

KINDS: Mapping[str, KindSpec] = MappingProxyType({spec.kind: spec for spec in _SPECS})
"""Every known kind by name, in documentation order."""

FAMILIES: Mapping[str, tuple[KindSpec, ...]] = MappingProxyType(
    {family: tuple(s for s in _SPECS if s.family == family) for family in dict.fromkeys(s.family for s in _SPECS)}
)
"""Kinds by family (profile, campaign, ..., proposal, position, decision, comment, graph, key, log)."""

PUBLISH_FAMILIES: tuple[str, ...] = tuple(f for f, specs in FAMILIES.items() if not specs[0].system)
"""The families users publish (for `solnet publish FAMILY ...`); key and log kinds are written by the node itself."""

OWN_TARGETS: Mapping[str, str] = MappingProxyType(
    {s.kind: s.projection.target for s in _SPECS if s.projection and s.projection.effect is Effect.MODIFY and s.projection.target}
)
"""Kinds that change an entity their own author created earlier: the payload field naming it (only the author's own)."""

OPEN_STATUS: Mapping[str, str] = MappingProxyType(
    {s.projection.collection: s.projection.status for s in _SPECS if s.projection and s.projection.effect is Effect.CREATE}
)
"""The status an entity of a lifecycle collection starts in; later changes apply only while it holds."""

FIELD_LABELS: Mapping[str, str] = MappingProxyType({f.name: f.label for s in _SPECS for f in s.fields if f.label})
"""What forms call a payload field, where that is not its name with spaces, capitalised (one label per name)."""


def kind_spec(kind: str) -> KindSpec | None:
    """Return the spec of a known kind, or None for a kind this implementation does not know."""
    return KINDS.get(kind)


def kind_for(family: str, action: str | None = None) -> KindSpec:
    """Return the kind of `family` with this action (the part after the dot); the family's first kind if None."""
    specs = FAMILIES.get(family)
    if not specs:
        raise KeyError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")
    if action is None:
        return specs[0]
    for spec in specs:
        if spec.action == action:
            return spec
    raise KeyError(f"family {family!r} has no action {action!r}; known: {', '.join(s.action for s in specs)}")


__all__ = [
    "ASSEMBLIES",
    "CALLOUTS",
    "CAMPAIGNS",
    "COLLECTION_SPECS",
    "COMMENTS",
    "DECISIONS",
    "FAMILIES",
    "FIELD_LABELS",
    "FOLLOWS",
    "GROUPS",
    "KINDS",
    "OPEN_STATUS",
    "OWN_TARGETS",
    "PLEDGES",
    "POSITIONS",
    "PROPOSALS",
    "PUBLISH_FAMILIES",
    "REPORTS",
    "kind_for",
    "kind_spec",
]
