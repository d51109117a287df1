"""The one error hierarchy of the auditor; `solnet audit` turns every one of them into exit code 2.

    AuditError                  an audit could not be run (e.g. a worker process died)
    └── SourceError             the source cannot be read as a log at all: missing, unreachable, not a bundle
        └── UnsupportedSourceError  a kind of source this auditor cannot read by itself (a data dir, a URL)

A source damaged part way through is not an error: it is the report's `damage`, after everything before it.
"""

from __future__ import annotations

from events.errors import DescribedError


class AuditError(DescribedError):
    """Root of every error raised by `audit`."""

    code = "audit_error"


class SourceError(AuditError):
    """The source cannot be read as a log at all (missing, unreachable, not a bundle)."""

    code = "unreadable_source"


class UnsupportedSourceError(SourceError):
    """The source is of a kind this auditor cannot read by itself: a node's data dir or URL needs `solnet audit`."""

    code = "unsupported_source"
