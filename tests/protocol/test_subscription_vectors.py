"""docs/vectors/subscription.json (written by tools/make_vectors.py): subscription frames and invitations (§16, §17),
checked against protocol/subscription.py and protocol/invitation.py in both directions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protocol import MessageError
from protocol.invitation import InvitationCode, Join, Joined, check_join, decode_join, encode_join, join_signed_bytes
from protocol.subscription import (
    Challenge,
    Reply,
    Request,
    Subscribe,
    check_subscribe,
    decode_frame,
    encode_frame,
    signed_bytes,
    subscriber_address,
    subscriber_group,
)

DOC = json.loads((Path(__file__).resolve().parents[2] / "docs" / "vectors" / "subscription.json").read_text())
PEER, SUBSCRIBER = bytes.fromhex(DOC["peer_group"]), bytes.fromhex(DOC["subscriber_group"])


def test_handshake_frames_decode_verify_and_encode_back() -> None:
    challenge = decode_frame(bytes.fromhex(DOC["challenge"]["frame"]))
    assert challenge == Challenge(bytes.fromhex(DOC["challenge"]["nonce"]), PEER)
    subscribe = decode_frame(bytes.fromhex(DOC["subscribe"]["frame"]))
    assert isinstance(subscribe, Subscribe) and subscribe.group == subscribe.signing_key == SUBSCRIBER
    assert signed_bytes(PEER, challenge.nonce, SUBSCRIBER).hex() == DOC["subscribe"]["signed"]
    check_subscribe(subscribe, challenge, None)
    assert encode_frame(challenge).hex() == DOC["challenge"]["frame"]
    assert encode_frame(subscribe).hex() == DOC["subscribe"]["frame"]


def test_a_subscribe_for_another_challenge_or_key_fails() -> None:
    challenge = decode_frame(bytes.fromhex(DOC["challenge"]["frame"]))
    subscribe = decode_frame(bytes.fromhex(DOC["subscribe"]["frame"]))
    assert isinstance(challenge, Challenge) and isinstance(subscribe, Subscribe)
    with pytest.raises(MessageError, match="signature"):
        check_subscribe(subscribe, Challenge(bytes(32), PEER), None)  # replayed to another challenge
    with pytest.raises(MessageError) as wrong_key:
        check_subscribe(subscribe, challenge, PEER)  # the store says another key is in force for this group
    assert wrong_key.value.field == "signing_key"


@pytest.mark.parametrize("name,kind", [("request", Request), ("reply", Reply)])
def test_request_and_reply_frames_carry_the_message_bytes_unchanged(name: str, kind: type) -> None:
    case = DOC[name]
    frame = kind(case["id"], bytes.fromhex(case["message"]))
    assert encode_frame(frame).hex() == case["frame"]
    assert decode_frame(bytes.fromhex(case["frame"])) == frame


@pytest.mark.parametrize("case", DOC["rejected_frames"], ids=lambda c: c["hex"][:16])
def test_rejected_frames(case: dict) -> None:
    with pytest.raises(MessageError) as refused:
        decode_frame(bytes.fromhex(case["hex"]))
    assert (refused.value.code, refused.value.field) == (case["code"], case["field"])


def test_subscriber_address() -> None:
    assert subscriber_address(SUBSCRIBER) == DOC["subscriber_address"]
    assert subscriber_group(DOC["subscriber_address"]) == SUBSCRIBER


def test_invitation_code_and_join() -> None:
    inv = DOC["invitation"]
    code = InvitationCode.parse(inv["code"])
    assert (code.url, code.hint.hex(), code.secret.hex()) == (inv["url"], inv["hint"], inv["secret"])
    assert code.text() == inv["code"] and code.matches(PEER) and not code.matches(SUBSCRIBER)
    for case, url in ((inv["join_behind_nat"], None), (inv["join_with_url"], "https://home.example.org")):
        join = decode_join(bytes.fromhex(case["bytes"]), Join)
        assert isinstance(join, Join) and join.url == url and join.group == SUBSCRIBER and join.secret == code.secret
        assert join_signed_bytes(code.hint, code.secret, SUBSCRIBER, url).hex() == case["signed"]
        check_join(join, PEER)
        with pytest.raises(MessageError, match="signature"):
            check_join(join, SUBSCRIBER)  # signed for the inviting node only
        assert encode_join(join).hex() == case["bytes"]
    assert decode_join(bytes.fromhex(inv["joined"]), Joined) == Joined(PEER)


@pytest.mark.parametrize("case", DOC["invitation"]["rejected_joins"], ids=lambda c: c["field"])
def test_rejected_joins(case: dict) -> None:
    with pytest.raises(MessageError) as refused:
        decode_join(bytes.fromhex(case["hex"]), Join)
    assert (refused.value.code, refused.value.field) == (case["code"], case["field"])
