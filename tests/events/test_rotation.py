"""Key rotation with pre-rotation (docs/PROTOCOL.md §11): the vectors in docs/vectors/rotation.json, both modes,
streaming from a stored head, and the version-1 verifier that nodes still use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events import ChainVerifier, KeyState, Mode, RotationError, decode_record, verify_chain
from events.chain import ChainHead

ROTATION = json.loads((Path(__file__).resolve().parents[2] / "docs" / "vectors" / "rotation.json").read_text())
CASES = {case["name"]: case for case in ROTATION["cases"]}


def records(case: dict) -> list:
    return [decode_record(bytes.fromhex(r)) for r in case["records"]]


@pytest.mark.parametrize("case", ROTATION["cases"], ids=lambda c: c["name"])
@pytest.mark.parametrize("mode", [Mode.FULL, Mode.HEAD])
def test_rotation_vectors(case: dict, mode: Mode) -> None:
    author = bytes.fromhex(case["author"])
    result = verify_chain(records(case), author, mode, keys=KeyState.inception(author))
    assert [e.id.hex() for e in result.valid] == case["valid_ids"]
    assert (result.head.id.hex() if result.head else None) == case["head_id"]
    assert [{"seq": p.seq, "code": p.code} for p in result.rejected] == case["rejected"]
    assert [{"seq": p.seq, "code": p.code} for p in result.bad_signatures] == (
        case["full_mode_findings"] if mode is Mode.FULL else []
    )
    keys = result.keys
    expected = case["keys"]
    assert keys is not None and keys.key.hex() == expected["key"]
    assert (keys.commitment.hex() if keys.commitment else None) == expected["commitment"]
    assert [{"seq": r.seq, "key": r.key.hex(), "next": r.next.hex()} for r in result.rotations] == case["rotations"]


def test_every_rotation_rule_has_a_vector() -> None:
    assert set(CASES) >= {
        "valid_rotations",
        "rotation_to_uncommitted_key",
        "rotation_without_commitment",
        "second_commit_refused",
        "old_key_after_rotation",
        "head_only_forged_rotation",
        "commit_payload_dropped",
    }


@pytest.mark.parametrize("mode", [Mode.FULL, Mode.HEAD])
def test_a_verifier_resumes_after_a_rotation_from_the_stored_head_and_key_state(mode: Mode) -> None:
    case = CASES["valid_rotations"]
    author = bytes.fromhex(case["author"])
    events = records(case)
    first = verify_chain(events[:3], author, mode, keys=KeyState.inception(author))  # up to the first rotation
    assert first.keys is not None and first.keys.key != author
    rest = verify_chain(events[3:], author, mode, head=first.head, keys=first.keys)
    assert [e.id.hex() for e in rest.valid] == case["valid_ids"][3:] and not rest.rejected
    # Resumed from the head alone (the inception key state), the new key's events do not verify.
    lost = verify_chain(events[3:4], author, mode, head=first.head, keys=KeyState.inception(author))
    assert [p.code for p in lost.rejected] == ["bad_signature"]


def test_the_version_1_verifier_still_refuses_every_rotation() -> None:
    case = CASES["valid_rotations"]
    author = bytes.fromhex(case["author"])
    result = verify_chain(records(case), author, Mode.FULL)  # no key state: what nodes and the auditor run today
    assert [e.id.hex() for e in result.valid] == case["valid_ids"][:2]
    assert (result.rejected[0].seq, result.rejected[0].code) == (3, "chain_error")
    assert result.keys is None and result.rotations == ()


def test_a_commitment_no_signature_vouches_for_is_void() -> None:
    """Head-only: a held key.commit whose run ends unvouched must not change the key state."""
    case = CASES["valid_rotations"]
    author = bytes.fromhex(case["author"])
    commit = records(case)[0]
    broken = type(commit)(commit.header, commit.header_bytes, bytes(64), commit.payload, commit.id)
    verifier = ChainVerifier(author, Mode.HEAD, keys=KeyState.inception(author))
    assert verifier.feed(broken) == []
    assert verifier.finish() == []
    assert verifier.keys == KeyState.inception(author) and verifier._tip_keys == verifier.keys


def test_rotation_error_names_the_event() -> None:
    case = CASES["rotation_to_uncommitted_key"]
    author = bytes.fromhex(case["author"])
    verifier = ChainVerifier(author, Mode.FULL, keys=KeyState.inception(author))
    events = records(case)
    verifier.feed(events[0])
    with pytest.raises(RotationError, match="not the committed one") as info:
        verifier.feed(events[1])
    assert info.value.event_id == events[1].id.hex() and info.value.code == "bad_rotation"
    assert isinstance(verifier.head, ChainHead) and verifier.head.seq == 1
