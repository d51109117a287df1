"""Errors of the auditor: a source that cannot be read at all, or one damaged part way through."""

from __future__ import annotations

from node.errors import NodeError


class AuditError(NodeError):
    """Root of every error raised by `audit`."""

    code = "audit_error"


class SourceError(AuditError):
    """The source cannot be read as a log at all (missing, unreachable, not a bundle, unsupported kind)."""

    code = "unreadable_source"


class DamagedSourceError(SourceError):
    """The source was readable up to a point, then broken: truncated, bad framing, wrong trailer, trailing bytes."""

    code = "damaged_source"


class UnsupportedSourceError(SourceError):
    """The source is of a kind this auditor cannot read yet."""

    code = "unsupported_source"
