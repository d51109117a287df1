"""The node's replication policy, read from its own follow and block events (the `follows` read model)."""

from __future__ import annotations

from events.readmodel.joins import graph_edges as _edges
from events.readmodel.view import ViewReader
from protocol import ReplicationPolicy


def policy_from_views(view: ViewReader, own: bytes, *, follow_only: bool, follow_depth: int) -> ReplicationPolicy:
    """Return the policy: everyone but the groups our own group blocked, or (follow-only) our follows, depth 0 or 1.

    In both, `followed` (and, at depth 1, whom they follow) are the groups whose logs are taken from any peer.
    """
    blocked = _edges(view, own, "block")
    followed = _edges(view, own, "follow") - blocked
    second = None
    if follow_depth >= 1:
        second = set().union(*(_edges(view, f, "follow") for f in followed)) if followed else set()
    if not follow_only:  # the follows still say whose new logs are taken from anyone (protocol/admission.py)
        return ReplicationPolicy.everyone(blocked, own=own, followed=followed, second_degree=second)
    return ReplicationPolicy.following(followed, second_degree=second, blocked=blocked, own=own)
