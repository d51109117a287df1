"""What nodes say to each other and the sync/gossip decisions; network access only through a Transport."""

from .admission import OPEN, TRUSTED, Admission, Held, Quarantine
from .agent import SyncAgent, SyncReport
from .client import PeerClient
from .errors import (
    MessageError,
    PeerRejectedError,
    ProtocolError,
    TooLargeError,
    TransportError,
    UnexpectedMessageError,
    UnknownMessageError,
)
from .gossip import Gossip
from .memory import MemoryNetwork, MemoryTransport
from .messages import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_MESSAGE_SIZE,
    OLDEST_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    Ack,
    ErrorReply,
    EventBatch,
    ForkProofs,
    Frontier,
    FrontierEntry,
    Hello,
    Message,
    PeerInfo,
    PeerList,
    Push,
    Reconcile,
    ReconcileReply,
    Want,
    WantForks,
    WantItem,
    decode_message,
    encode_message,
)
from .origins import Callback, Claims
from .peers import PeerBook, PeerHealth
from .policy import ReplicationPolicy
from .relay import Relay
from .replica import IngestResult, MemoryReplica, Rejection, Replica
from .serving import serve_want, want_records
from .stats import Counters, PeerStats, SyncStats
from .sync import FrontierDiff, PullSession, compare_frontiers, frontier_of
from .transport import BytesHandler, Origin, Transport
from .urls import address_allowed, learnt_url_problem

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_MESSAGE_SIZE",
    "OPEN",
    "OLDEST_PROTOCOL_VERSION",
    "PROTOCOL_VERSION",
    "TRUSTED",
    "Ack",
    "Admission",
    "BytesHandler",
    "Callback",
    "Claims",
    "Counters",
    "ErrorReply",
    "EventBatch",
    "ForkProofs",
    "Frontier",
    "FrontierDiff",
    "FrontierEntry",
    "Gossip",
    "Held",
    "Hello",
    "IngestResult",
    "MemoryNetwork",
    "MemoryReplica",
    "MemoryTransport",
    "Message",
    "MessageError",
    "Origin",
    "PeerBook",
    "PeerClient",
    "PeerHealth",
    "PeerInfo",
    "PeerList",
    "PeerRejectedError",
    "PeerStats",
    "ProtocolError",
    "PullSession",
    "Push",
    "Quarantine",
    "Reconcile",
    "ReconcileReply",
    "Rejection",
    "Relay",
    "ReplicationPolicy",
    "Replica",
    "SyncAgent",
    "SyncReport",
    "SyncStats",
    "Transport",
    "TooLargeError",
    "TransportError",
    "UnexpectedMessageError",
    "UnknownMessageError",
    "Want",
    "WantForks",
    "WantItem",
    "address_allowed",
    "compare_frontiers",
    "decode_message",
    "encode_message",
    "frontier_of",
    "learnt_url_problem",
    "serve_want",
    "want_records",
]
