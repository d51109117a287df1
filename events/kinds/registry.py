"""Every known kind: its family, action, payload class and fields (the table docs/KINDS.md describes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import payloads as p
from .fields import FieldSpec
from .fields import FieldType as T

NAME_MAX = 120
TITLE_MAX = 200
SHORT_MAX = 300
LONG_MAX = 10000
NOTE_MAX = 2000
OFFER_MAX = 1000
LESSON_MAX = 1000
LESSONS_MAX_ITEMS = 50


@dataclass(frozen=True, slots=True)
class KindSpec:
    """A known kind: `family.action` name, payload class, fields in display order, and whether users publish it."""

    kind: str
    family: str
    action: str
    payload_type: type
    fields: tuple[FieldSpec, ...]
    summary: str
    system: bool = False
    defaults: tuple[tuple[str, object], ...] = ()

    def field(self, name: str) -> FieldSpec | None:
        """Return the spec of the field called `name`, or None."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None


def _text(name: str, limit: int, required: bool = False, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.TEXT, required, max_length=limit, help=help)


def _ref(name: str, required: bool = True, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.ID, required, help=help)


def _time(name: str, required: bool = False, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.TIME, required, help=help)


def _choice(name: str, choices: tuple[str, ...], required: bool = False, help: str = "") -> FieldSpec:
    return FieldSpec(name, T.CHOICE, required, choices=choices, help=help)


def _optional(specs: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(s.name, s.type, False, s.max_length, s.choices, s.max_items, s.help) for s in specs)


_CAMPAIGN = (
    _text("title", TITLE_MAX, True, "what the campaign is for"),
    _text("description", LONG_MAX),
    _text("area", SHORT_MAX, help="where it happens (neighbourhood, town)"),
)
_CALLOUT = (
    _text("title", TITLE_MAX, True, "the call in a few words"),
    _text("text", LONG_MAX, True, "what is needed and why"),
    FieldSpec("needs", T.CHOICES, True, choices=p.NEEDS, max_items=len(p.NEEDS), help="kinds of help wanted"),
    _choice("urgency", p.URGENCIES, True),
    _text("where", SHORT_MAX),
    _time("starts_at"),
    _time("ends_at", help="not before starts_at"),
    _ref("campaign", False, "the campaign this callout belongs to"),
    FieldSpec("quantity", T.QUANTITY, help="how many are wanted (e.g. people)"),
)
_GRAPH = (FieldSpec("group", T.GROUP, True, help="the other group's id"),)

_SPECS = (
    KindSpec(
        "group.profile",
        "profile",
        "profile",
        p.GroupProfile,
        (
            _text("name", NAME_MAX, True),
            _text("description", LONG_MAX),
            _text("area", SHORT_MAX),
            _text("contact", SHORT_MAX, help="how to reach the group"),
        ),
        "the group's public profile; the latest one counts",
    ),
    KindSpec("campaign.created", "campaign", "created", p.CampaignCreated, _CAMPAIGN, "starts a campaign"),
    KindSpec(
        "campaign.updated",
        "campaign",
        "updated",
        p.CampaignUpdated,
        (_ref("campaign"), *_optional(_CAMPAIGN)),
        "changes the fields it names on one of the author's campaigns",
    ),
    KindSpec(
        "campaign.closed",
        "campaign",
        "closed",
        p.CampaignClosed,
        (_ref("campaign"), _choice("outcome", p.OUTCOMES, True), _text("note", NOTE_MAX)),
        "closes one of the author's campaigns",
    ),
    KindSpec(
        "callout.published",
        "callout",
        "published",
        p.CalloutPublished,
        _CALLOUT,
        "asks for help",
        defaults=(("urgency", "normal"),),
    ),
    KindSpec(
        "callout.updated",
        "callout",
        "updated",
        p.CalloutUpdated,
        (_ref("callout"), *_optional(_CALLOUT)),
        "changes the fields it names on one of the author's open callouts",
    ),
    KindSpec(
        "callout.withdrawn",
        "callout",
        "withdrawn",
        p.CalloutWithdrawn,
        (_ref("callout"), _text("reason", NOTE_MAX)),
        "withdraws one of the author's open callouts",
    ),
    KindSpec(
        "callout.fulfilled",
        "callout",
        "fulfilled",
        p.CalloutFulfilled,
        (_ref("callout"), _text("note", NOTE_MAX)),
        "marks one of the author's open callouts as met",
    ),
    KindSpec(
        "pledge.made",
        "pledge",
        "made",
        p.PledgeMade,
        (
            _ref("callout", help="the callout (of any group) this answers"),
            _choice("need", p.NEEDS, True),
            _text("offer", OFFER_MAX, True, "what is offered"),
            FieldSpec("quantity", T.QUANTITY, help="how many (e.g. people, or an amount of money)"),
        ),
        "offers help for a callout",
    ),
    KindSpec(
        "pledge.withdrawn",
        "pledge",
        "withdrawn",
        p.PledgeWithdrawn,
        (_ref("pledge"), _text("reason", NOTE_MAX)),
        "withdraws one of the author's pledges",
    ),
    KindSpec(
        "pledge.fulfilled",
        "pledge",
        "fulfilled",
        p.PledgeFulfilled,
        (_ref("pledge"), _text("note", NOTE_MAX)),
        "marks one of the author's pledges as delivered",
    ),
    KindSpec(
        "report.published",
        "report",
        "published",
        p.ReportPublished,
        (
            _text("title", TITLE_MAX, True),
            _text("text", LONG_MAX, True),
            FieldSpec("lessons", T.TEXT_LIST, max_length=LESSON_MAX, max_items=LESSONS_MAX_ITEMS, help="one per line"),
            _ref("campaign", False),
        ),
        "reports on an action or campaign",
    ),
    KindSpec(
        "assembly.scheduled",
        "assembly",
        "scheduled",
        p.AssemblyScheduled,
        (_text("title", TITLE_MAX, True), _time("starts_at", True), _text("where", SHORT_MAX), _text("agenda", LONG_MAX)),
        "announces an assembly",
    ),
    KindSpec(
        "proposal.tabled",
        "proposal",
        "tabled",
        p.ProposalTabled,
        (_text("title", TITLE_MAX, True), _text("text", LONG_MAX, True), _ref("assembly", False)),
        "puts a proposal forward",
    ),
    KindSpec(
        "position.taken",
        "position",
        "taken",
        p.PositionTaken,
        (_ref("proposal", help="a proposal of any group"), _choice("position", p.POSITIONS, True), _text("reason", NOTE_MAX)),
        "the author's position on a proposal; the latest one counts",
    ),
    KindSpec(
        "decision.recorded",
        "decision",
        "recorded",
        p.DecisionRecorded,
        (
            _text("text", LONG_MAX, True),
            _ref("proposal", False),
            _ref("assembly", False),
            _choice("outcome", p.DECISION_OUTCOMES),
            _ref("campaign", False, help="the campaign this decision is about"),
        ),
        "records a decision",
    ),
    KindSpec("graph.follow", "graph", "follow", p.GraphEdge, _GRAPH, "follows another group"),
    KindSpec("graph.unfollow", "graph", "unfollow", p.GraphEdge, _GRAPH, "stops following a group"),
    KindSpec("graph.block", "graph", "block", p.GraphEdge, _GRAPH, "blocks a group"),
    KindSpec("graph.unblock", "graph", "unblock", p.GraphEdge, _GRAPH, "lifts a block"),
    KindSpec(
        "key.commit", "key", "commit", p.KeyCommit, (FieldSpec("next", T.KEY, True),), "commits to the next key", system=True
    ),
    KindSpec(
        "key.rotate",
        "key",
        "rotate",
        p.KeyRotate,
        (FieldSpec("key", T.KEY, True), FieldSpec("next", T.KEY, True)),
        "rotates to a new signing key",
        system=True,
    ),
    KindSpec(
        "log.redact",
        "log",
        "redact",
        p.LogRedact,
        (_ref("event", help="an earlier event of the same author"), _text("reason", NOTE_MAX)),
        "asks nodes to drop an earlier event's payload",
        system=True,
    ),
)

KINDS: Mapping[str, KindSpec] = MappingProxyType({spec.kind: spec for spec in _SPECS})
"""Every known kind by name, in documentation order."""

FAMILIES: Mapping[str, tuple[KindSpec, ...]] = MappingProxyType(
    {family: tuple(s for s in _SPECS if s.family == family) for family in dict.fromkeys(s.family for s in _SPECS)}
)
"""Kinds by family (profile, campaign, callout, pledge, report, assembly, proposal, position, decision, graph, key, log)."""

PUBLISH_FAMILIES: tuple[str, ...] = tuple(f for f, specs in FAMILIES.items() if not specs[0].system)
"""The families users publish (for `solnet publish FAMILY ...`); key and log kinds are written by the node itself."""


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
