"""The kind registry: every known kind and read-model collection, declared once (docs/KINDS.md, "The registry").

An entry says everything the code needs to know about a kind: its fields (limits, help, labels) and the
payload class made from them, defaults, what its events do to the read models (`Projection`), and its form's
title. Projection dispatch (events/readmodel/projection.py), the auditor's target lookup and scratch store,
and the web forms all read it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from . import payloads as p
from .fields import FieldSpec
from .fields import FieldType as T
from .private import PRIVATE_COLLECTIONS, PRIVATE_SPECS
from .spec import REDACT, Collection, Effect, Fold, Key, KindSpec, append, create, modify, single

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

_COLLECTIONS = (
    Collection(GROUPS, (Key.AUTHOR,), Fold.LATEST),
    Collection(CAMPAIGNS, (Key.EVENT,), Fold.LIFECYCLE, entity="campaign"),
    Collection(CALLOUTS, (Key.EVENT,), Fold.LIFECYCLE, ("campaign",), entity="callout"),
    Collection(PLEDGES, (Key.EVENT,), Fold.LIFECYCLE, ("callout",), entity="pledge"),
    Collection(REPORTS, (Key.EVENT,), None, ("campaign",)),
    Collection(ASSEMBLIES, (Key.EVENT,), None, entity="assembly"),
    Collection(PROPOSALS, (Key.EVENT,), None, ("assembly",), entity="proposal"),
    Collection(POSITIONS, ("proposal", Key.AUTHOR), Fold.LATEST, ("proposal",)),
    Collection(DECISIONS, (Key.EVENT,), None, ("proposal", "assembly")),
    Collection(FOLLOWS, (Key.AUTHOR, "group"), Fold.EDGE, ("group",)),
    Collection(COMMENTS, (Key.EVENT,), Fold.LIFECYCLE, ("root", "on"), entity="comment"),
)

_COLLECTIONS = (*_COLLECTIONS, *PRIVATE_COLLECTIONS)  # private events' keys (events/kinds/private.py)

COLLECTION_SPECS: Mapping[str, Collection] = MappingProxyType({c.name: c for c in _COLLECTIONS})
"""Every read-model collection by name, in the order the state digest hashes them."""


def _text(name: str, limit: int, required: bool = False, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.TEXT, required, max_length=limit, help=help)


def _ref(name: str, required: bool = True, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.ID, required, help=help)


def _time(name: str, required: bool = False, help: str = "", label: str = "") -> FieldSpec:
    return FieldSpec(name, T.TIME, required, help=help, label=label)


def _choice(name: str, choices: tuple[str, ...], required: bool = False, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.CHOICE, required, choices=choices, help=help)


def _kind(kind: str, fields: tuple[FieldSpec, ...], summary: str, *, family: str = "", **entry: Any) -> KindSpec:
    """Return the entry of `kind` (family: the part before the dot unless given), with its payload class made from `fields`."""
    prefix, _, action = kind.partition(".")
    return KindSpec(kind, family or prefix, action, p.payload_class(kind, fields), fields, summary, **entry)


def _optional(specs: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    return tuple(replace(s, required=False) for s in specs)


_CAMPAIGN = (
    _text("title", TITLE_MAX, True, "what the campaign is for"),
    _text("description", LONG_MAX),
    _text("area", SHORT_MAX, help="where it happens (neighbourhood, town)"),
)
_CALLOUT = (
    _text("title", TITLE_MAX, True, "the call in a few words"),
    _text("text", LONG_MAX, True, "what is needed and why"),
    FieldSpec(
        "needs",
        T.CHOICES,
        True,
        choices=p.NEEDS,
        max_items=len(p.NEEDS),
        help="kinds of help wanted",
        label="Kinds of help needed",
    ),
    _choice("urgency", p.URGENCIES, True),
    _text("where", SHORT_MAX),
    _time("starts_at", label="Starts"),
    _time("ends_at", help="not before starts_at", label="Ends"),
    _ref("campaign", False, "the campaign this callout belongs to"),
    FieldSpec("quantity", T.QUANTITY, help="how many are wanted (e.g. people)", label="How many"),
)
_GRAPH = (FieldSpec("group", T.GROUP, True, help="the other group's id", label="Group id"),)

_SPECS = (
    _kind(
        "group.profile",
        (
            _text("name", NAME_MAX, True),
            _text("description", LONG_MAX),
            _text("area", SHORT_MAX),
            _text("contact", SHORT_MAX, help="how to reach the group"),
        ),
        "the group's public profile; the latest one counts",
        family="profile",
        projection=append(GROUPS),
        title="Edit the group's profile",
    ),
    _kind(
        "campaign.created",
        _CAMPAIGN,
        "starts a campaign",
        projection=create(CAMPAIGNS, status="active"),
        title="Start a campaign",
    ),
    _kind(
        "campaign.updated",
        (_ref("campaign"), *_optional(_CAMPAIGN)),
        "changes the fields it names on one of the author's campaigns",
        projection=modify(CAMPAIGNS, "campaign"),
        title="Update a campaign",
    ),
    _kind(
        "campaign.closed",
        (_ref("campaign"), _choice("outcome", p.OUTCOMES, True), _text("note", NOTE_MAX)),
        "closes one of the author's campaigns",
        projection=modify(CAMPAIGNS, "campaign", status="closed"),
        title="Close a campaign",
    ),
    _kind(
        "callout.published",
        _CALLOUT,
        "asks for help",
        defaults=(("urgency", "normal"),),
        projection=create(CALLOUTS, status="open"),
        title="Publish a callout",
    ),
    _kind(
        "callout.updated",
        (_ref("callout"), *_optional(_CALLOUT)),
        "changes the fields it names on one of the author's open callouts",
        projection=modify(CALLOUTS, "callout"),
        title="Update a callout",
    ),
    _kind(
        "callout.withdrawn",
        (_ref("callout"), _text("reason", NOTE_MAX)),
        "withdraws one of the author's open callouts",
        projection=modify(CALLOUTS, "callout", status="withdrawn"),
        title="Withdraw a callout",
    ),
    _kind(
        "callout.fulfilled",
        (_ref("callout"), _text("note", NOTE_MAX)),
        "marks one of the author's open callouts as met",
        projection=modify(CALLOUTS, "callout", status="fulfilled"),
        title="Mark a callout as met",
    ),
    _kind(
        "pledge.made",
        (
            _ref("callout", help="the callout (of any group) this answers"),
            _choice("need", p.NEEDS, True),
            _text("offer", OFFER_MAX, True, "what is offered"),
            FieldSpec("quantity", T.QUANTITY, help="how many (e.g. people, or an amount of money)", label="How many"),
        ),
        "offers help for a callout",
        projection=create(PLEDGES, status="made"),
        title="Pledge help",
    ),
    _kind(
        "pledge.withdrawn",
        (_ref("pledge"), _text("reason", NOTE_MAX)),
        "withdraws one of the author's pledges",
        projection=modify(PLEDGES, "pledge", status="withdrawn"),
        title="Withdraw a pledge",
    ),
    _kind(
        "pledge.fulfilled",
        (_ref("pledge"), _text("note", NOTE_MAX)),
        "marks one of the author's pledges as delivered",
        projection=modify(PLEDGES, "pledge", status="fulfilled"),
        title="Mark a pledge as delivered",
    ),
    _kind(
        "report.published",
        (
            _text("title", TITLE_MAX, True),
            _text("text", LONG_MAX, True),
            FieldSpec(
                "lessons",
                T.TEXT_LIST,
                max_length=LESSON_MAX,
                max_items=LESSONS_MAX_ITEMS,
                help="one per line",
                label="Lessons learned",
            ),
            _ref("campaign", False),
            _ref("assembly", False, "the assembly these are the minutes of"),
        ),
        "reports on an action or campaign, or gives an assembly's minutes",
        projection=single(REPORTS),
        title="Publish a report back",
    ),
    _kind(
        "assembly.scheduled",
        (
            _text("title", TITLE_MAX, True),
            _time("starts_at", True, label="Starts"),
            _text("where", SHORT_MAX),
            _text("agenda", LONG_MAX),
        ),
        "announces an assembly",
        projection=single(ASSEMBLIES),
        title="Schedule an assembly",
    ),
    _kind(
        "proposal.tabled",
        (
            _text("title", TITLE_MAX, True),
            _text("text", LONG_MAX, True),
            _ref("assembly", False),
            _choice("process", p.PROCESSES, help="how it is decided (none given: consensus, as before processes)"),
            FieldSpec("asked", T.GROUP_LIST, max_items=ASKED_MAX, help="the groups asked (group ids); none: every group"),
            _time("closes_at", help="positions taken after it do not count", label="Closes"),
            FieldSpec("options", T.TEXT_LIST, max_length=TITLE_MAX, max_items=OPTIONS_MAX, help="a vote's options, one per line"),
        ),
        "puts a proposal forward, to be decided by its process",
        projection=single(PROPOSALS),
        title="Table a proposal",
    ),
    _kind(
        "position.taken",
        (
            _ref("proposal", help="a proposal of any group"),
            _choice("position", p.POSITIONS, True),
            _text("reason", NOTE_MAX, help="required to block or object; the advice itself"),
            _text("option", TITLE_MAX, help="the option voted for"),
        ),
        "the author's position on a proposal; the latest one counts",
        projection=append(POSITIONS),
        title="Take a position on a proposal",
    ),
    _kind(
        "decision.recorded",
        (
            _text("text", LONG_MAX, True),
            _ref("proposal", False),
            _ref("assembly", False),
            _choice("outcome", p.DECISION_OUTCOMES),
            _ref("campaign", False, help="the campaign this decision is about"),
        ),
        "records a decision",
        projection=single(DECISIONS),
        title="Record a decision",
    ),
    _kind(
        "comment.posted",
        (
            _ref("on", help="the event replied to: any item, or a comment"),
            _ref("root", False, "the item the thread is about, when replying to a comment"),
            _text("text", LONG_MAX, True),
        ),
        "replies to an event of any group, starting or continuing its thread",
        projection=create(COMMENTS, status="posted"),
        title="Comment",
    ),
    _kind(
        "comment.updated",
        (_ref("comment"), _text("text", LONG_MAX, True)),
        "changes the text of one of the author's comments",
        projection=modify(COMMENTS, "comment"),
        title="Edit a comment",
    ),
    _kind(
        "comment.withdrawn",
        (_ref("comment"), _text("reason", NOTE_MAX)),
        "withdraws one of the author's comments",
        projection=modify(COMMENTS, "comment", status="withdrawn"),
        title="Withdraw a comment",
    ),
    _kind(
        "graph.follow",
        _GRAPH,
        "follows another group",
        projection=append(FOLLOWS, status="follow"),
        title="Follow a group",
    ),
    _kind(
        "graph.unfollow",
        _GRAPH,
        "stops following a group",
        projection=append(FOLLOWS, undoes="follow"),  # an unfollow does not lift a block
        title="Stop following a group",
    ),
    _kind(
        "graph.block",
        _GRAPH,
        "blocks a group",
        projection=append(FOLLOWS, status="block"),
        title="Block a group",
    ),
    _kind(
        "graph.unblock",
        _GRAPH,
        "lifts a block",
        projection=append(FOLLOWS, undoes="block"),  # an unblock does not end a follow
        title="Lift a block",
    ),
    _kind("key.commit", (FieldSpec("next", T.KEY, True),), "commits to the next key", system=True),
    _kind(
        "key.rotate",
        (FieldSpec("key", T.KEY, True), FieldSpec("next", T.KEY, True)),
        "rotates to a new signing key",
        system=True,
    ),
    _kind(
        "log.redact",
        (_ref("event", help="an earlier event of the same author"), _text("reason", NOTE_MAX)),
        "asks nodes to drop an earlier event's payload",
        system=True,
        projection=REDACT,
    ),
)

_SPECS = (*_SPECS, *PRIVATE_SPECS)  # key.encryption and sealed (events/kinds/private.py)

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
