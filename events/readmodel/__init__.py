"""Read models: what the event set means, as pure values (documents, projections, joins, the state digest)."""

from .digest import DIGEST_PREFIX, digest_entry, digest_of, state_digest
from .joins import CalloutSummary, NeedTotal, Tally, callout_summary, proposal_tally
from .memory import MemoryView, replay
from .projection import (
    ASSEMBLIES,
    CALLOUTS,
    CAMPAIGNS,
    COLLECTIONS,
    DECISIONS,
    FOLLOWS,
    GROUPS,
    PLEDGES,
    POSITIONS,
    PROPOSALS,
    REPORTS,
    follow_key,
    position_key,
    project,
)
from .view import Change, Delete, Put, ViewReader, make_put

__all__ = [
    "ASSEMBLIES",
    "CALLOUTS",
    "CAMPAIGNS",
    "COLLECTIONS",
    "DECISIONS",
    "DIGEST_PREFIX",
    "FOLLOWS",
    "GROUPS",
    "PLEDGES",
    "POSITIONS",
    "PROPOSALS",
    "REPORTS",
    "CalloutSummary",
    "Change",
    "Delete",
    "MemoryView",
    "NeedTotal",
    "Put",
    "Tally",
    "ViewReader",
    "callout_summary",
    "digest_entry",
    "digest_of",
    "follow_key",
    "make_put",
    "position_key",
    "project",
    "proposal_tally",
    "replay",
    "state_digest",
]
