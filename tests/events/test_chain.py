"""Chain validity: full and head-only mode accept exactly the same events."""

from __future__ import annotations

import dataclasses
import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from events import ChainError, ChainVerifier, Event, Mode, create_event, encode_header, event_id, signing_message, verify_chain
from events.header import Header
from tests.events.helpers import T0, bad_signature, chain, identity

IDENT = identity()
BASE = chain(IDENT, 40)


def relinked(events: list[Event], broken: int | None) -> list[Event]:
    """Re-sign the chain from `broken` on with a prev that does not match (None: unchanged)."""
    if broken is None:
        return events
    out = list(events[:broken])
    prev_id = hashlib.sha256(b"elsewhere").digest()
    for e in events[broken:]:
        h = dataclasses.replace(e.header, prev=prev_id)
        hb = encode_header(h)
        out.append(Event(h, hb, IDENT.sign(signing_message(hb)), e.payload, event_id(hb)))
        prev_id = event_id(hb)
    return out


def outcome(result) -> tuple:
    return [e.id for e in result.valid], [(p.seq, p.code) for p in result.rejected]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    bad=st.sets(st.integers(0, 39)),
    broken=st.none() | st.integers(1, 39),
    checkpoint=st.integers(1, 8),
)
def test_full_and_head_agree(n: int, bad: set[int], broken: int | None, checkpoint: int) -> None:
    events = [bad_signature(e) if i in bad else e for i, e in enumerate(relinked(BASE, broken)[:n])]
    full = verify_chain(events, IDENT.public_key, Mode.FULL)
    head = verify_chain(events, IDENT.public_key, Mode.HEAD)
    assert outcome(full) == outcome(head)
    # Streaming with small checkpoints gives the same set.
    verifier = ChainVerifier(IDENT.public_key, Mode.HEAD, checkpoint=checkpoint)
    streamed: list[Event] = []
    for e in events:
        try:
            streamed.extend(verifier.feed(e))
        except ChainError:
            break
    streamed.extend(verifier.finish())
    assert [e.id for e in streamed] == [e.id for e in full.valid]
    # The definition: valid = linked prefix up to the last event whose own signature verifies.
    linked = n if broken is None else min(n, broken)
    good = [i for i in range(linked) if i not in bad]
    assert len(full.valid) == (good[-1] + 1 if good else 0)
    # Full mode reports exactly the valid events with a bad own signature.
    assert sorted(p.seq for p in full.bad_signatures) == [i + 1 for i in sorted(bad) if i < len(full.valid)]
    assert head.bad_signatures == ()


def test_streaming_continues_from_a_head_and_releases_at_checkpoints() -> None:
    verifier = ChainVerifier(IDENT.public_key, Mode.HEAD, checkpoint=10)
    released = [len(verifier.feed(e)) for e in BASE[:25]]
    assert released[9] == 10 and released[19] == 10 and sum(released) == 20
    assert len(verifier.pending) == 5
    assert len(verifier.finish()) == 5
    assert verifier.head.seq == 25
    later = ChainVerifier(IDENT.public_key, Mode.FULL, head=verifier.head)
    assert [e.seq for e in later.feed(BASE[25])] == [26]
    result = verify_chain(BASE[30:], IDENT.public_key, head=verifier.head)
    assert result.valid == () and result.rejected[0].code == "seq_gap"


def test_checkpoint_with_bad_signature_keeps_holding() -> None:
    events = [bad_signature(e) if e.seq == 10 else e for e in BASE[:12]]
    verifier = ChainVerifier(IDENT.public_key, Mode.HEAD, checkpoint=10)
    assert [len(verifier.feed(e)) for e in events] == [0] * 10 + [11, 0]
    assert len(verifier.finish()) == 1


def test_rotation_is_not_accepted_yet() -> None:
    rotate = create_event(IDENT, kind="key.rotate", payload=b"", timestamp=T0 + 100, previous=BASE[39])
    result = verify_chain([*BASE, rotate], IDENT.public_key)
    assert len(result.valid) == 40 and result.rejected[0].code == "chain_error"


def test_unknown_kind_and_dropped_payload_are_valid() -> None:
    odd = create_event(IDENT, kind="future.thing", payload=b"\xc1 not msgpack", timestamp=T0, previous=None)
    result = verify_chain([odd.without_payload()], IDENT.public_key, Mode.HEAD)
    assert result.ok and result.valid[0].payload is None


def test_header_fields_unchanged_by_relink() -> None:
    assert isinstance(BASE[0].header, Header)
