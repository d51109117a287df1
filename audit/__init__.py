"""The auditor: replay and verify any node's history from a bundle, and report what is wrong, precisely.

It imports only `events` and `protocol`: a node's data dir and a running node are read by sources the
caller passes in (`solnet audit` gives them, node/commands/audit.py).
"""

from .engine import audit, default_workers
from .errors import AuditError, SourceError, UnsupportedSourceError
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
from .sources import BundleFile, NodeLink, NodeUrl, Source

__all__ = [
    "AuditError",
    "AuditReport",
    "BadItem",
    "BundleFile",
    "Fork",
    "Gap",
    "GroupSummary",
    "InvalidEvent",
    "Misordered",
    "NodeLink",
    "NodeUrl",
    "PayloadProblem",
    "Redaction",
    "Source",
    "SourceError",
    "UnsupportedSourceError",
    "Vouched",
    "audit",
    "default_workers",
]
