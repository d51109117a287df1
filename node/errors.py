"""The one error hierarchy of the node package: every error says what was wrong; library errors are translated to these."""

from __future__ import annotations

from events.errors import DescribedError


class NodeError(DescribedError):
    """Root of every error raised by the `node` package."""

    code = "node_error"


class StoreError(NodeError):
    """The event store or a read-model store failed."""

    code = "store_error"


class StoreConfigError(StoreError):
    """The database location or URL is not usable (bad URL, unknown scheme, data dir not writable)."""

    code = "store_config"


class StoreUnavailableError(StoreError):
    """The database could not be reached or is busy beyond the lock timeout."""

    code = "store_unavailable"


class ReadTimeoutError(StoreUnavailableError):
    """A read ran past the node's read deadline (serve --read-timeout) and was stopped; retrying later may succeed."""

    code = "read_timeout"


class ReadInterruptedError(StoreUnavailableError):
    """A read was stopped before it finished: its client went away, or the node is shutting down."""

    code = "read_interrupted"


class ReadersBusyError(StoreUnavailableError):
    """Too many reads of this kind are already running or waiting; the read was refused without being started."""

    code = "readers_busy"


class StoreIntegrityError(StoreError):
    """The database refused a write on a uniqueness or consistency rule that retrying did not resolve."""

    code = "store_integrity"


class StoreConflictError(StoreError):
    """Concurrent writers kept taking the same log positions; the write was retried and gave up."""

    code = "store_conflict"


class StaleDecisionError(StoreConflictError):
    """An ingest decision was not written: another writer took one of its log positions since it was decided (the
    writer decides again; never shown, so it keeps the `store_conflict` code)."""


class NotFoundError(StoreError):
    """No stored event, log or document has the given id."""

    code = "not_found"


class InvalidEventError(StoreError):
    """An event to publish is invalid (kind, payload size); `field` names what is wrong; nothing was stored."""

    code = "invalid_event"


class TrackingError(StoreError):
    """A read-model batch was applied at a position not after the tracked one (another projector ran first)."""

    code = "tracking_conflict"


class RedactedError(NodeError):
    """The event a redaction names has had its payload dropped already; nothing was stored."""

    code = "already_redacted"


class OwnHeadError(NodeError):
    """Publishing is refused because it could fork the group's own log (node/own_head.py); nothing was stored."""

    code = "own_head"


class OwnHeadUnconfirmedError(OwnHeadError):
    """No peer has confirmed the node's own head since start, and the operator did not say this is the only copy."""

    code = "own_head_unconfirmed"


class SeqHeldByPeerError(OwnHeadError):
    """A peer is known to hold the group's event at the seq the next publish would take."""

    code = "seq_held_by_peer"


class ConfigError(NodeError):
    """The data dir, key file or settings are missing, damaged or refused (e.g. a bad group name)."""

    code = "config_error"


class AuthError(NodeError):
    """A write was attempted without a valid bearer token or session."""

    code = "unauthorized"


class ForbiddenError(NodeError):
    """A request is refused whoever sends it: a web form posted without a valid CSRF token."""

    code = "forbidden"


class LinkError(NodeError):
    """A one-time link (invitation, password reset, set-up) is unknown, used already or expired; nothing was changed."""

    code = "link_not_usable"


class RequestError(NodeError):
    """A request is malformed: bad JSON, unknown or missing fields, wrong types; `field` names it."""

    code = "bad_request"


class BodyIncompleteError(RequestError):
    """A request body stopped before its end: the client went away or was dropped for sending it too slowly."""

    code = "body_incomplete"


class TooManyRequestsError(NodeError):
    """A client has more requests being handled at once than its address may (node/edge.py)."""

    code = "too_many_requests"


class BusyError(NodeError):
    """The node refuses a connection: too many are open, from the client's address or in all (node/edge.py)."""

    code = "busy"


class BodyTooLargeError(RequestError):
    """A request body is larger than the endpoint accepts."""

    code = "body_too_large"
