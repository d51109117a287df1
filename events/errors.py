"""The one error hierarchy of the signed-event core: every error says what was wrong and where."""

from __future__ import annotations


class DescribedError(Exception):
    """Base of every package's root error: a message, a stable `code`, and the field and event it concerns."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, event_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.event_id = event_id

    def __str__(self) -> str:
        where = []
        if self.field:
            where.append(f"field {self.field!r}")
        if self.event_id:
            where.append(f"event {self.event_id}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class EventError(DescribedError):
    """Root of every error raised by the `events` package."""

    code = "event_error"


class DecodeError(EventError):
    """Bytes are not a well-formed, canonical encoding of what was expected."""

    code = "decode_error"


class NonCanonicalError(DecodeError):
    """The bytes decode, but are not the one canonical encoding of their value."""

    code = "non_canonical"


class TrailingBytesError(DecodeError):
    """Extra bytes follow a complete value."""

    code = "trailing_bytes"


class OversizedError(DecodeError):
    """A value or field is larger than the protocol allows."""

    code = "oversized"


class UnsupportedVersionError(DecodeError):
    """A format version this implementation does not know."""

    code = "unsupported_version"


class IdentityError(EventError):
    """A key or group id is malformed, weak or cannot be loaded."""

    code = "identity_error"


class SignatureError(EventError):
    """A signature does not verify, or is malformed."""

    code = "bad_signature"


class PayloadMismatchError(EventError):
    """A payload does not match the hash or size its header commits to."""

    code = "payload_mismatch"


class ChainError(EventError):
    """Events do not form a valid hash chain."""

    code = "chain_error"


class RotationError(ChainError):
    """A `key.commit` or `key.rotate` breaks a rule of key rotation (docs/PROTOCOL.md §11)."""

    code = "bad_rotation"


class SeqGapError(ChainError):
    """An event's seq does not follow the previous one."""

    code = "seq_gap"


class BrokenLinkError(ChainError):
    """An event's prev does not equal the id of the event before it."""

    code = "broken_link"


class TimestampRegressionError(ChainError):
    """An event's timestamp is smaller than its predecessor's."""

    code = "timestamp_regression"


class AuthorMismatchError(ChainError):
    """An event was given to the chain of another author."""

    code = "author_mismatch"


class ForkProofError(EventError):
    """A fork proof is malformed or does not prove a fork."""

    code = "bad_fork_proof"


class PayloadError(EventError):
    """A payload is not valid for its kind; `field` names the offending field."""

    code = "invalid_payload"


class BundleError(EventError):
    """A log bundle is malformed or truncated."""

    code = "bad_bundle"
