"""Fork proofs round-trip, verify alone, and bogus ones are rejected."""

from __future__ import annotations

import pytest

from events import (
    EventError,
    ForkProofError,
    ForkSide,
    create_event_from_value,
    decode_fork_proof,
    encode_fork_proof,
    fork_proof_from_events,
    make_fork_proof,
)
from tests.events.helpers import T0, bad_signature, chain, identity

IDENT = identity()
BASE = chain(IDENT, 2)
LEFT = create_event_from_value(IDENT, kind="test.note", value={"side": "left"}, timestamp=T0 + 5, previous=BASE[0])
RIGHT = create_event_from_value(IDENT, kind="test.note", value={"side": "right"}, timestamp=T0 + 5, previous=BASE[0])


def test_round_trip_and_order_independence() -> None:
    proof = fork_proof_from_events([LEFT], [RIGHT])
    assert proof == fork_proof_from_events([RIGHT], [LEFT])
    assert proof.id_a < proof.id_b and proof.seq == 2 and proof.author == IDENT.public_key
    assert decode_fork_proof(encode_fork_proof(proof)) == proof


def test_side_vouched_by_a_later_signature() -> None:
    after = create_event_from_value(IDENT, kind="test.note", value={}, timestamp=T0 + 6, previous=bad_signature(RIGHT))
    proof = fork_proof_from_events([LEFT], [bad_signature(RIGHT), after])
    assert decode_fork_proof(encode_fork_proof(proof)) == proof
    with pytest.raises(ForkProofError):
        fork_proof_from_events([LEFT], [bad_signature(RIGHT)])


@pytest.mark.parametrize(
    "sides",
    [
        ([LEFT], [LEFT]),  # same event
        ([LEFT], [BASE[0]]),  # different seqs
        ([LEFT], [chain(identity(2), 2)[1]]),  # different authors
        ([bad_signature(LEFT)], [RIGHT]),  # bad signature
        ([LEFT], [RIGHT, BASE[1]]),  # side not linked
    ],
)
def test_bogus_proofs_are_rejected(sides) -> None:
    with pytest.raises(ForkProofError):
        fork_proof_from_events(*sides)


def test_damaged_bytes_are_rejected() -> None:
    data = encode_fork_proof(fork_proof_from_events([LEFT], [RIGHT]))
    for i in range(0, len(data), 3):
        damaged = data[:i] + bytes([data[i] ^ 0x04]) + data[i + 1 :]
        with pytest.raises(EventError):
            decode_fork_proof(damaged)


def test_too_long_side_is_rejected() -> None:
    run = chain(IDENT, 66)
    with pytest.raises(ForkProofError):
        make_fork_proof(
            ForkSide(tuple(e.header_bytes for e in run[1:]), run[-1].signature), ForkSide((LEFT.header_bytes,), LEFT.signature)
        )
