"""The sample messages whose bytes are the golden vectors in docs/PROTOCOL.md §13 and test_messages.py."""

from __future__ import annotations

from proto_helpers import identity, make_log

from events import fork_proof_from_events
from protocol import (
    Ack,
    ErrorReply,
    EventBatch,
    ForkProofs,
    Frontier,
    FrontierEntry,
    Hello,
    PeerInfo,
    PeerList,
    Push,
    Want,
    WantForks,
    WantItem,
)

A = bytes([0xAA]) * 32
B = bytes([0xBB]) * 32
H = bytes([0x11]) * 32


def samples() -> dict[str, object]:
    """Return one deterministic sample of every message, by name."""
    author = identity(1)
    log = make_log(author, 2)
    other = make_log(author, 1, start=log[0], tag="x")
    proof = fork_proof_from_events([log[1]], other)
    return {
        "hello": Hello(1, A, flags=7, max_batch_events=500, max_batch_bytes=1048576),
        "frontier": Frontier((FrontierEntry(A, 3, H), FrontierEntry(B, 1, H)), forked=(B,)),
        "want": Want((WantItem(A, 4, 10),), max_events=500, max_bytes=1048576),
        "event_batch": EventBatch((log[0],)),
        "fork_proofs": ForkProofs((proof,)),
        "peer_list": PeerList((PeerInfo("https://b.example", B), PeerInfo("http://a.example:8470"))),
        "push_events": Push((log[0],)),
        "push_heads": Push(heads=(FrontierEntry(A, 3, H),)),
        "ack": Ack(2, 1, 0, 0),
        "want_forks": WantForks((B,)),
        "error": ErrorReply("banned", "try later"),
    }
