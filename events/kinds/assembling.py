"""The families of reporting back and deciding together: reports, assemblies, proposals, positions, decisions.

Reports, assemblies, proposals and decisions are lifecycle entities (docs/KINDS.md): created in a status, changed
only by their author's later updates, and ended by a withdrawal (a cancellation, for an assembly).
"""

from __future__ import annotations

from . import payloads as p
from .entry import (
    ASKED_MAX,
    ASSEMBLIES,
    DECISIONS,
    LANG,
    LESSON_MAX,
    LESSONS_MAX_ITEMS,
    LONG_MAX,
    NOTE_MAX,
    OPTIONS_MAX,
    POSITIONS,
    PROPOSALS,
    REPORTS,
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

_REPORT = (
    text("title", TITLE_MAX, True),
    text("text", LONG_MAX, True),
    FieldSpec(
        "lessons",
        T.TEXT_LIST,
        max_length=LESSON_MAX,
        max_items=LESSONS_MAX_ITEMS,
        help="one per line",
        label="Lessons learned",
    ),
    ref("campaign", False),
    ref("assembly", False, "the assembly these are the minutes of"),
    LANG,
)
_ASSEMBLY = (
    text("title", TITLE_MAX, True),
    when("starts_at", True, label="Starts"),
    text("where", SHORT_MAX),
    text("agenda", LONG_MAX),
    LANG,
)
# what an update may change: a proposal's process, asked groups and options stay as tabled (positions were
# taken on them); to change those, withdraw it and table a new one
_PROPOSAL_TEXT = (
    text("title", TITLE_MAX, True),
    text("text", LONG_MAX, True),
    ref("assembly", False),
)
_PROPOSAL_CLOSES = when("closes_at", help="positions taken after it do not count", label="Closes")
_DECISION = (
    text("text", LONG_MAX, True),
    ref("proposal", False),
    ref("assembly", False),
    choice("outcome", p.DECISION_OUTCOMES),
    ref("campaign", False, help="the campaign this decision is about"),
    LANG,
)


SPECS = (
    entry(
        "report.published",
        _REPORT,
        "reports on an action or campaign, or gives an assembly's minutes",
        projection=create(REPORTS, status="published"),
        title="Publish a report back",
    ),
    entry(
        "report.updated",
        (ref("report"), *optional(_REPORT)),
        "changes the fields it names on one of the author's reports",
        projection=modify(REPORTS, "report"),
        title="Update a report",
    ),
    withdrawal("report.withdrawn", "report", REPORTS, "withdraws one of the author's reports", "Withdraw a report"),
    entry(
        "assembly.scheduled",
        _ASSEMBLY,
        "announces an assembly",
        projection=create(ASSEMBLIES, status="scheduled"),
        title="Schedule an assembly",
    ),
    entry(
        "assembly.updated",
        (ref("assembly"), *optional(_ASSEMBLY)),
        "changes the fields it names on one of the author's scheduled assemblies",
        projection=modify(ASSEMBLIES, "assembly"),
        title="Update an assembly",
    ),
    withdrawal(
        "assembly.cancelled",
        "assembly",
        ASSEMBLIES,
        "cancels one of the author's scheduled assemblies",
        "Cancel an assembly",
        status="cancelled",
    ),
    entry(
        "proposal.tabled",
        (
            *_PROPOSAL_TEXT,
            choice("process", p.PROCESSES, help="how it is decided (none given: consensus, as before processes)"),
            FieldSpec("asked", T.GROUP_LIST, max_items=ASKED_MAX, help="the groups asked (group ids); none: every group"),
            _PROPOSAL_CLOSES,
            FieldSpec("options", T.TEXT_LIST, max_length=TITLE_MAX, max_items=OPTIONS_MAX, help="a vote's options, one per line"),
            LANG,
        ),
        "puts a proposal forward, to be decided by its process",
        projection=create(PROPOSALS, status="tabled"),
        title="Table a proposal",
    ),
    entry(
        "proposal.updated",
        (ref("proposal"), *optional((*_PROPOSAL_TEXT, _PROPOSAL_CLOSES, LANG))),
        "changes the title, text, assembly or closing time of one of the author's tabled proposals",
        projection=modify(PROPOSALS, "proposal"),
        title="Update a proposal",
    ),
    withdrawal(
        "proposal.withdrawn",
        "proposal",
        PROPOSALS,
        "withdraws one of the author's tabled proposals: positions stop counting, it has no outcome",
        "Withdraw a proposal",
    ),
    entry(
        "position.taken",
        (
            ref("proposal", help="a proposal of any group"),
            choice("position", p.POSITIONS, True),
            text("reason", NOTE_MAX, help="required to block or object; the advice itself"),
            text("option", TITLE_MAX, help="the option voted for"),
            LANG,
        ),
        "the author's position on a proposal; the latest one counts",
        projection=append(POSITIONS),
        title="Take a position on a proposal",
    ),
    entry(
        "decision.recorded",
        _DECISION,
        "records a decision",
        projection=create(DECISIONS, status="recorded"),
        title="Record a decision",
    ),
    entry(
        "decision.updated",
        (ref("decision"), *optional(_DECISION)),
        "changes the fields it names on one of the author's decisions",
        projection=modify(DECISIONS, "decision"),
        title="Update a decision",
    ),
    withdrawal("decision.withdrawn", "decision", DECISIONS, "withdraws one of the author's decisions", "Withdraw a decision"),
)
"""The kinds of these families, in documentation order."""
