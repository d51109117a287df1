"""The one error hierarchy of the protocol package: every error says what was wrong and where."""

from __future__ import annotations

from events.errors import DescribedError


class ProtocolError(DescribedError):
    """Root of every error raised by the `protocol` package."""

    code = "protocol_error"


class MessageError(ProtocolError):
    """Bytes are not a well-formed, canonical, size-limited protocol message."""

    code = "bad_message"


class UnknownMessageError(MessageError):
    """The message tag is not one this implementation knows."""

    code = "unknown_message"


class TooLargeError(MessageError):
    """A message this node built is over the protocol's size limit: its own limit, never a peer's fault."""

    code = "too_large"


class UnexpectedMessageError(ProtocolError):
    """A well-formed message arrived where another kind was expected (e.g. a batch sent as a request)."""

    code = "unexpected_message"


class TransportError(ProtocolError):
    """A request did not get a reply: the peer is offline, unreachable, cut off or timed out."""

    code = "peer_unavailable"


class PeerRejectedError(ProtocolError):
    """The peer answered a request with an error message; `code` is the peer's error code."""

    code = "peer_rejected"

    def __init__(self, message: str, *, peer_code: str):
        super().__init__(message)
        self.peer_code = peer_code
