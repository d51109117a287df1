"""The node's replication policy, read from its own follow and block events (the `follows` read model)."""

from __future__ import annotations

from events.readmodel.projection import FOLLOWS
from events.readmodel.view import ViewReader
from protocol import ReplicationPolicy


def _edges(view: ViewReader, author: bytes, state: str) -> set[bytes]:
    return {p.doc["group"] for p in view.scan(FOLLOWS, author=author) if p.doc.get("state") == state}


def policy_from_views(view: ViewReader, own: bytes, *, follow_only: bool, follow_depth: int) -> ReplicationPolicy:
    """Return the policy: everyone but the groups our own group blocked, or (follow-only) our follows, depth 0 or 1."""
    blocked = _edges(view, own, "block")
    if not follow_only:
        return ReplicationPolicy.everyone(blocked, own=own)
    followed = _edges(view, own, "follow") - blocked
    second = None
    if follow_depth >= 1:
        second = set().union(*(_edges(view, f, "follow") for f in followed)) if followed else set()
    return ReplicationPolicy.following(followed, second_degree=second, blocked=blocked, own=own)
