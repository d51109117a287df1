"""The kinds that link and maintain: comments, the follow/block graph, key commitments and rotation, redaction."""

from __future__ import annotations

from .entry import COMMENTS, FOLLOWS, LANG, LONG_MAX, NOTE_MAX, entry, ref, text, withdrawal
from .fields import FieldSpec
from .fields import FieldType as T
from .spec import REDACT, append, create, modify

_GRAPH = (FieldSpec("group", T.GROUP, True, help="the other group's id", label="Group id"),)

SPECS = (
    entry(
        "comment.posted",
        (
            ref("on", help="the event replied to: any item, or a comment"),
            ref("root", False, "the item the thread is about, when replying to a comment"),
            text("text", LONG_MAX, True),
            LANG,
        ),
        "replies to an event of any group, starting or continuing its thread",
        projection=create(COMMENTS, status="posted"),
        title="Comment",
    ),
    entry(
        "comment.updated",
        (ref("comment"), text("text", LONG_MAX, True), LANG),
        "changes the text of one of the author's comments",
        projection=modify(COMMENTS, "comment"),
        title="Edit a comment",
    ),
    withdrawal("comment.withdrawn", "comment", COMMENTS, "withdraws one of the author's comments", "Withdraw a comment"),
    entry(
        "graph.follow",
        _GRAPH,
        "follows another group",
        projection=append(FOLLOWS, status="follow"),
        title="Follow a group",
    ),
    entry(
        "graph.unfollow",
        _GRAPH,
        "stops following a group",
        projection=append(FOLLOWS, undoes="follow"),  # an unfollow does not lift a block
        title="Stop following a group",
    ),
    entry(
        "graph.block",
        _GRAPH,
        "blocks a group",
        projection=append(FOLLOWS, status="block"),
        title="Block a group",
    ),
    entry(
        "graph.unblock",
        _GRAPH,
        "lifts a block",
        projection=append(FOLLOWS, undoes="block"),  # an unblock does not end a follow
        title="Lift a block",
    ),
    entry("key.commit", (FieldSpec("next", T.KEY, True),), "commits to the next key", system=True),
    entry(
        "key.rotate",
        (FieldSpec("key", T.KEY, True), FieldSpec("next", T.KEY, True)),
        "rotates to a new signing key",
        system=True,
    ),
    entry(
        "log.redact",
        (ref("event", help="an earlier event of the same author"), text("reason", NOTE_MAX)),
        "asks nodes to drop an earlier event's payload",
        system=True,
        projection=REDACT,
    ),
)
"""The kinds of these families, in documentation order."""
