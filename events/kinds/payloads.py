"""The typed payload of every known kind: one frozen dataclass each; field names are the payload's map keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NEEDS = ("people", "money", "skills", "materials", "signatures", "other")
URGENCIES = ("low", "normal", "high", "critical")
OUTCOMES = ("won", "lost", "ended")
POSITIONS = ("agree", "stand_aside", "block")
DECISION_OUTCOMES = ("adopted", "rejected", "deferred")


@dataclass(frozen=True, slots=True)
class GroupProfile:
    name: str
    description: str | None = None
    area: str | None = None
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignCreated:
    title: str
    description: str | None = None
    area: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignUpdated:
    campaign: bytes
    title: str | None = None
    description: str | None = None
    area: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignClosed:
    campaign: bytes
    outcome: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CalloutPublished:
    title: str
    text: str
    needs: tuple[str, ...]
    urgency: str
    where: str | None = None
    starts_at: int | None = None
    ends_at: int | None = None
    campaign: bytes | None = None
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class CalloutUpdated:
    callout: bytes
    title: str | None = None
    text: str | None = None
    needs: tuple[str, ...] | None = None
    urgency: str | None = None
    where: str | None = None
    starts_at: int | None = None
    ends_at: int | None = None
    campaign: bytes | None = None
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class CalloutWithdrawn:
    callout: bytes
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CalloutFulfilled:
    callout: bytes
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PledgeMade:
    callout: bytes
    need: str
    offer: str
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class PledgeWithdrawn:
    pledge: bytes
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PledgeFulfilled:
    pledge: bytes
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ReportPublished:
    title: str
    text: str
    lessons: tuple[str, ...] | None = None
    campaign: bytes | None = None


@dataclass(frozen=True, slots=True)
class AssemblyScheduled:
    title: str
    starts_at: int
    where: str | None = None
    agenda: str | None = None


@dataclass(frozen=True, slots=True)
class ProposalTabled:
    title: str
    text: str
    assembly: bytes | None = None


@dataclass(frozen=True, slots=True)
class PositionTaken:
    proposal: bytes
    position: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecorded:
    text: str
    proposal: bytes | None = None
    assembly: bytes | None = None
    outcome: str | None = None
    campaign: bytes | None = None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """The payload of graph.follow, graph.unfollow, graph.block and graph.unblock."""

    group: bytes


@dataclass(frozen=True, slots=True)
class KeyCommit:
    next: bytes


@dataclass(frozen=True, slots=True)
class KeyRotate:
    key: bytes
    next: bytes


@dataclass(frozen=True, slots=True)
class LogRedact:
    event: bytes
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownPayload:
    """The payload of a kind this implementation does not know: the event is valid, the payload not interpreted."""

    kind: str
    value: Any
