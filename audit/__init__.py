"""The auditor: replay and verify any node's history from a bundle, and report what is wrong, precisely."""

from .engine import audit, default_workers
from .errors import AuditError, DamagedSourceError, SourceError, UnsupportedSourceError
from .report import (
    AuditReport,
    BadItem,
    Fork,
    Gap,
    GroupSummary,
    InvalidEvent,
    Misordered,
    PayloadProblem,
    Redaction,
    Vouched,
)

__all__ = [
    "AuditError",
    "AuditReport",
    "BadItem",
    "DamagedSourceError",
    "Fork",
    "Gap",
    "GroupSummary",
    "InvalidEvent",
    "Misordered",
    "PayloadProblem",
    "Redaction",
    "SourceError",
    "UnsupportedSourceError",
    "Vouched",
    "audit",
    "default_workers",
]
