"""The organising families' kinds: group profiles, campaigns, callouts and pledges (docs/KINDS.md)."""

from __future__ import annotations

from . import payloads as p
from .entry import (
    CALLOUTS,
    CAMPAIGNS,
    GROUPS,
    LANG,
    LONG_MAX,
    NAME_MAX,
    NOTE_MAX,
    OFFER_MAX,
    PLEDGES,
    SHORT_MAX,
    TITLE_MAX,
    choice,
    entry,
    optional,
    ref,
    text,
    when,
    withdrawal,
)
from .fields import FieldSpec
from .fields import FieldType as T
from .spec import append, create, modify

_CAMPAIGN = (
    text("title", TITLE_MAX, True, "what the campaign is for"),
    text("description", LONG_MAX),
    text("area", SHORT_MAX, help="where it happens (neighbourhood, town)"),
    LANG,
)
_CALLOUT = (
    text("title", TITLE_MAX, True, "the call in a few words"),
    text("text", LONG_MAX, True, "what is needed and why"),
    FieldSpec(
        "needs",
        T.CHOICES,
        True,
        choices=p.NEEDS,
        max_items=len(p.NEEDS),
        help="kinds of help wanted",
        label="Kinds of help needed",
    ),
    choice("urgency", p.URGENCIES, True),
    text("where", SHORT_MAX),
    when("starts_at", label="Starts"),
    when("ends_at", help="not before starts_at", label="Ends"),
    ref("campaign", False, "the campaign this callout belongs to"),
    FieldSpec("quantity", T.QUANTITY, help="how many are wanted (e.g. people)", label="How many"),
    LANG,
)

SPECS = (
    entry(
        "group.profile",
        (
            text("name", NAME_MAX, True),
            text("description", LONG_MAX),
            text("area", SHORT_MAX),
            text("contact", SHORT_MAX, help="how to reach the group"),
            LANG,
        ),
        "the group's public profile; the latest one counts",
        family="profile",
        projection=append(GROUPS),
        title="Edit the group's profile",
    ),
    entry(
        "campaign.created",
        _CAMPAIGN,
        "starts a campaign",
        projection=create(CAMPAIGNS, status="active"),
        title="Start a campaign",
    ),
    entry(
        "campaign.updated",
        (ref("campaign"), *optional(_CAMPAIGN)),
        "changes the fields it names on one of the author's campaigns",
        projection=modify(CAMPAIGNS, "campaign"),
        title="Update a campaign",
    ),
    entry(
        "campaign.closed",
        (ref("campaign"), choice("outcome", p.OUTCOMES, True), text("note", NOTE_MAX)),
        "closes one of the author's campaigns",
        projection=modify(CAMPAIGNS, "campaign", status="closed"),
        title="Close a campaign",
    ),
    entry(
        "callout.published",
        _CALLOUT,
        "asks for help",
        defaults=(("urgency", "normal"),),
        projection=create(CALLOUTS, status="open"),
        title="Publish a callout",
    ),
    entry(
        "callout.updated",
        (ref("callout"), *optional(_CALLOUT)),
        "changes the fields it names on one of the author's open callouts",
        projection=modify(CALLOUTS, "callout"),
        title="Update a callout",
    ),
    withdrawal("callout.withdrawn", "callout", CALLOUTS, "withdraws one of the author's open callouts", "Withdraw a callout"),
    entry(
        "callout.fulfilled",
        (ref("callout"), text("note", NOTE_MAX)),
        "marks one of the author's open callouts as met",
        projection=modify(CALLOUTS, "callout", status="fulfilled"),
        title="Mark a callout as met",
    ),
    entry(
        "pledge.made",
        (
            ref("callout", help="the callout (of any group) this answers"),
            choice("need", p.NEEDS, True),
            text("offer", OFFER_MAX, True, "what is offered"),
            FieldSpec("quantity", T.QUANTITY, help="how many (e.g. people, or an amount of money)", label="How many"),
            LANG,
        ),
        "offers help for a callout",
        projection=create(PLEDGES, status="made"),
        title="Pledge help",
    ),
    withdrawal("pledge.withdrawn", "pledge", PLEDGES, "withdraws one of the author's pledges", "Withdraw a pledge"),
    entry(
        "pledge.fulfilled",
        (ref("pledge"), text("note", NOTE_MAX)),
        "marks one of the author's pledges as delivered",
        projection=modify(PLEDGES, "pledge", status="fulfilled"),
        title="Mark a pledge as delivered",
    ),
)
"""The kinds of these families, in documentation order."""
