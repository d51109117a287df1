"""Payload schemas: every kind round-trips, every rejection names its field, friendly input maps cleanly."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from events import Identity, PayloadError, create_event, group_id_text, pack, unpack
from events.kinds import (
    FAMILIES,
    KINDS,
    PUBLISH_FAMILIES,
    FieldType,
    UnknownPayload,
    build_payload,
    build_value,
    decode_payload,
    friendly_payload,
    kind_for,
    parse_event_payload,
    parse_payload,
    payload_value,
)

ALICE = Identity.from_seed(bytes([1]) * 32)
BOB = Identity.from_seed(bytes([2]) * 32)
EID = bytes(range(32))
EID_HEX = EID.hex()
KINDS_MD = Path(__file__).resolve().parents[2] / "docs" / "KINDS.md"

# Friendly input for every known kind, with every field filled where that is meaningful.
SAMPLES: dict[str, dict] = {
    "group.profile": {"name": "Riverside Tenants", "description": "We organise.", "area": "Riverside", "contact": "a@b.c"},
    "campaign.created": {"title": "Fix the lifts", "description": "Both lifts broken", "area": "Block C"},
    "campaign.updated": {"campaign": EID_HEX, "title": "Fix the lifts now"},
    "campaign.closed": {"campaign": EID_HEX, "outcome": "won", "note": "Landlord gave in"},
    "callout.published": {
        "title": "Picket on Saturday",
        "text": "Bring banners",
        "needs": ["people", "materials"],
        "where": "Town hall",
        "starts_at": 1_746_000_000_000,
        "ends_at": 1_746_007_200_000,
        "urgency": "high",
        "campaign": EID_HEX,
        "quantity": 20,
    },
    "callout.updated": {"callout": EID_HEX, "urgency": "critical", "quantity": 30},
    "callout.withdrawn": {"callout": EID_HEX, "reason": "Cancelled"},
    "callout.fulfilled": {"callout": EID_HEX, "note": "Thank you all"},
    "pledge.made": {"callout": EID_HEX, "need": "people", "offer": "Five of us", "quantity": 5},
    "pledge.withdrawn": {"pledge": EID_HEX, "reason": "Ill"},
    "pledge.fulfilled": {"pledge": EID_HEX, "note": "Came"},
    "report.published": {"title": "How it went", "text": "Well", "lessons": ["Start early", "Bring tea"], "campaign": EID_HEX},
    "assembly.scheduled": {"title": "General assembly", "starts_at": 1_746_000_000_000, "where": "Hall", "agenda": "1. Lifts"},
    "proposal.tabled": {
        "title": "Rent strike",
        "text": "We stop paying",
        "assembly": EID_HEX,
        "process": "vote",
        "asked": [BOB.group_id, ALICE.public_key.hex()],
        "closes_at": 1_746_000_000_000,
        "options": ["March", "April"],
    },
    "position.taken": {"proposal": EID_HEX, "position": "vote", "reason": "Unsure", "option": "April"},
    "decision.recorded": {"text": "We strike", "proposal": EID_HEX, "assembly": EID_HEX, "outcome": "adopted"},
    "report.updated": {"report": EID_HEX, "title": "How it really went", "lessons": ["Start earlier"]},
    "report.withdrawn": {"report": EID_HEX, "reason": "Posted twice"},
    "assembly.updated": {"assembly": EID_HEX, "starts_at": 1_746_003_600_000, "where": "Library"},
    "assembly.cancelled": {"assembly": EID_HEX, "reason": "Hall flooded"},
    "proposal.updated": {"proposal": EID_HEX, "text": "We stop paying from May", "closes_at": 1_746_100_000_000},
    "proposal.withdrawn": {"proposal": EID_HEX, "reason": "Landlord gave in"},
    "decision.updated": {"decision": EID_HEX, "outcome": "deferred"},
    "decision.withdrawn": {"decision": EID_HEX, "reason": "Recorded by mistake"},
    "comment.posted": {"on": EID_HEX, "root": EID_HEX, "text": "Does this include the co-op?"},
    "comment.updated": {"comment": EID_HEX, "text": "Does this include the housing co-op?"},
    "comment.withdrawn": {"comment": EID_HEX, "reason": "Answered"},
    "graph.follow": {"group": BOB.group_id},
    "graph.unfollow": {"group": BOB.group_id},
    "graph.block": {"group": BOB.public_key.hex()},
    "graph.unblock": {"group": BOB.group_id},
    "key.commit": {"next": EID_HEX},
    "key.rotate": {"key": BOB.public_key.hex(), "next": EID_HEX},
    "log.redact": {"event": EID_HEX, "reason": "Posted by mistake"},
    "key.encryption": {"key": BOB.public_key.hex()},
    "sealed": {"nonce": "24" * 24, "box": "b0" * 272, "keys": [bytes([1]) * 80, bytes([2]) * 80]},
}


def test_samples_cover_every_kind():
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_round_trips_through_an_event(kind):
    payload = build_payload(kind, SAMPLES[kind])
    event = create_event(ALICE, kind=kind, payload=payload, timestamp=1_700_000_000_000, previous=None)
    typed = parse_event_payload(event)
    assert isinstance(typed, KINDS[kind].payload_type)
    assert pack(payload_value(typed)) == payload
    for name, given in SAMPLES[kind].items():
        value = getattr(typed, name)
        if KINDS[kind].field(name).type is FieldType.GROUP:
            assert value == BOB.public_key
        elif KINDS[kind].field(name).type is FieldType.GROUP_LIST:
            assert value == (BOB.public_key, ALICE.public_key)
        elif isinstance(value, bytes):
            assert value.hex() == given
        elif isinstance(value, tuple):
            assert list(value) == given
        else:
            assert value == given


def test_dataclass_fields_match_the_field_specs():
    for spec in KINDS.values():
        names = {f.name for f in dataclasses.fields(spec.payload_type)}
        assert names == {f.name for f in spec.fields}, spec.kind
        required = {f.name for f in dataclasses.fields(spec.payload_type) if f.default is dataclasses.MISSING}
        assert required == {f.name for f in spec.fields if f.required}, spec.kind


def _published(**changes):
    value = unpack(build_payload("callout.published", SAMPLES["callout.published"]), max_size=1 << 16)
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        ("callout.published", _published(title=None), "title"),
        ("callout.published", _published(title="   "), "title"),
        ("callout.published", _published(title=b"bytes"), "title"),
        ("callout.published", _published(title="x" * 201), "title"),
        ("callout.published", _published(needs=[]), "needs"),
        ("callout.published", _published(needs=["people", "people"]), "needs"),
        ("callout.published", _published(needs=["cake"]), "needs"),
        ("callout.published", _published(needs="people"), "needs"),
        ("callout.published", _published(urgency="urgent"), "urgency"),
        ("callout.published", _published(urgency=None), "urgency"),
        ("callout.published", _published(ends_at=1), "ends_at"),
        ("callout.published", _published(starts_at=-1), "starts_at"),
        ("callout.published", _published(starts_at=True), "starts_at"),
        ("callout.published", _published(quantity=0), "quantity"),
        ("callout.published", _published(campaign=b"short"), "campaign"),
        ("callout.published", _published(colour="red"), "colour"),
        ("callout.published", ["not", "a", "map"], "payload"),
        ("callout.updated", {"callout": EID, "ends_at": 5, "starts_at": 10}, "ends_at"),
        ("callout.updated", {"title": "no target"}, "callout"),
        ("campaign.closed", {"campaign": EID, "outcome": "draw"}, "outcome"),
        ("pledge.made", {"callout": EID, "need": "time", "offer": "x"}, "need"),
        ("pledge.made", {"callout": EID, "need": "money", "offer": "x" * 1001}, "offer"),
        ("report.published", {"title": "t", "text": "t", "lessons": ["ok", ""]}, "lessons"),
        ("report.published", {"title": "t", "text": "t", "lessons": ["x"] * 51}, "lessons"),
        ("report.published", {"title": "t", "text": "t", "lessons": "one"}, "lessons"),
        ("assembly.scheduled", {"title": "t"}, "starts_at"),
        ("position.taken", {"proposal": EID, "position": "yes"}, "position"),
        ("decision.recorded", {"text": "t", "outcome": "won"}, "outcome"),
        ("graph.follow", {"group": EID[:31]}, "group"),
        ("graph.follow", {}, "group"),
        ("key.rotate", {"key": EID}, "next"),
        ("log.redact", {"event": EID, "reason": 3}, "reason"),
        ("group.profile", {"name": "n", "contact": "c" * 301}, "contact"),
    ],
)
def test_each_rejection_names_its_field(kind, value, field):
    with pytest.raises(PayloadError) as caught:
        parse_payload(kind, value)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_unknown_kind_is_valid_but_not_interpreted():
    typed = parse_payload("mutual_aid.offered", {"anything": [1, 2]})
    assert typed == UnknownPayload("mutual_aid.offered", {"anything": [1, 2]})
    event = create_event(ALICE, kind="x.y", payload=pack(7), timestamp=1, previous=None)
    assert parse_event_payload(event) == UnknownPayload("x.y", 7)


def test_dropped_payload_parses_to_none_and_bad_bytes_name_the_payload():
    event = create_event(ALICE, kind="group.profile", payload=pack({"name": "A"}), timestamp=1, previous=None)
    assert parse_event_payload(event.without_payload()) is None
    with pytest.raises(PayloadError) as caught:
        decode_payload("group.profile", b"\x82\xa1b\x01\xa1a\x02")  # map keys out of order: not canonical
    assert caught.value.field == "payload"
    bad = create_event(ALICE, kind="group.profile", payload=pack({"nom": "A"}), timestamp=1, previous=None)
    with pytest.raises(PayloadError) as caught:
        parse_event_payload(bad)
    assert caught.value.event_id == bad.id_hex
    assert caught.value.field == "nom"


def test_friendly_input_forms():
    value = build_value(
        "callout.published",
        {
            "title": "  Picket  ",
            "text": "Come\n",
            "needs": "People, money",
            "starts_at": "2025-05-01T18:00:00+01:00",
            "ends_at": "1746122400000",
            "quantity": "12",
            "where": "",
            "campaign": None,
        },
    )
    assert value == {
        "title": "Picket",
        "text": "Come",
        "needs": ["people", "money"],
        "starts_at": 1_746_118_800_000,
        "ends_at": 1_746_122_400_000,
        "quantity": 12,
        "urgency": "normal",
    }
    report = build_value("report.published", {"title": "t", "text": "t", "lessons": "one\n\n two \n"})
    assert report["lessons"] == ["one", "two"]
    assert build_value("graph.block", {"group": BOB.group_id}) == {"group": BOB.public_key}
    assert build_value("graph.block", {"group": BOB.public_key}) == {"group": BOB.public_key}


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("nope.nope", {}, "kind"),
        ("graph.follow", {"group": "sn_notagroupid"}, "group"),
        ("graph.follow", {"group": "hello"}, "group"),
        ("pledge.made", {"callout": "abc", "need": "money", "offer": "x"}, "callout"),
        ("assembly.scheduled", {"title": "t", "starts_at": "2025-05-01T18:00"}, "starts_at"),
        ("assembly.scheduled", {"title": "t", "starts_at": "tomorrow"}, "starts_at"),
        ("callout.published", {"title": "t", "text": "x", "needs": "", "urgency": "low"}, "needs"),
        ("campaign.created", {"title": "t", "colour": "red"}, "colour"),
        ("pledge.made", {"callout": EID_HEX, "need": "money", "offer": "x", "quantity": "-3"}, "quantity"),
    ],
)
def test_friendly_input_errors_name_the_field(kind, fields, field):
    with pytest.raises(PayloadError) as caught:
        build_payload(kind, fields)
    assert caught.value.field == field


def test_friendly_payload_is_json_ready():
    value = build_value("graph.follow", {"group": BOB.group_id})
    assert friendly_payload("graph.follow", value) == {"group": group_id_text(BOB.public_key)}
    pledge = build_value("pledge.made", SAMPLES["pledge.made"])
    assert friendly_payload("pledge.made", pledge)["callout"] == EID_HEX
    assert friendly_payload("who.knows", {"a": b"\x01"}) == {"a": "01"}


def test_families_for_the_cli():
    assert PUBLISH_FAMILIES == (
        "profile",
        "campaign",
        "callout",
        "pledge",
        "report",
        "assembly",
        "proposal",
        "position",
        "decision",
        "comment",
        "graph",
    )
    assert kind_for("callout").kind == "callout.published"
    assert kind_for("callout", "withdrawn").kind == "callout.withdrawn"
    assert kind_for("graph", "block").kind == "graph.block"
    assert [s.kind for s in FAMILIES["log"]] == ["log.redact"]
    assert all(s.system for s in FAMILIES["key"])
    with pytest.raises(KeyError):
        kind_for("callout", "deleted")
    with pytest.raises(KeyError):
        kind_for("petition")


def test_docs_describe_every_kind_and_field():
    text = KINDS_MD.read_text(encoding="utf-8")
    for spec in KINDS.values():
        section = re.search(rf"^### `{re.escape(spec.kind)}`\n(.*?)(?=^### |\Z)", text, re.M | re.S)
        assert section, f"docs/KINDS.md has no section for {spec.kind}"
        for field in spec.fields:
            assert f"`{field.name}`" in section.group(1), f"docs/KINDS.md does not describe {spec.kind}.{field.name}"


_ODD_VALUES = [
    None,
    True,
    0,
    1,
    -1,
    10**9,
    10**9 + 1,
    2**63 - 1,
    2**63,
    "",
    "   ",
    "x",
    "people",
    "high",
    "stand_aside",
    "adopted",
    "x" * 200,
    "x" * 201,
    "x" * 1001,
    b"",
    EID[:31],
    EID,
    EID + b"\x00",
    [],
    ["people"],
    ["people", "people"],
    ["cake"],
    ["ok", ""],
    ["x"] * 51,
    {"a": 1},
]


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_the_fast_payload_verdict_agrees_with_the_field_checks(kind):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from events.kinds.schema import _is_valid

    base = unpack(build_payload(kind, SAMPLES[kind]), max_size=1 << 16)
    names = [f.name for f in KINDS[kind].fields] + ["colour"]

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(names), st.sampled_from([*_ODD_VALUES, "drop"])), max_size=3))
    def check(changes):
        value = dict(base)
        for name, new in changes:
            if new == "drop":
                value.pop(name, None)
            else:
                value[name] = new
        try:
            parse_payload(kind, value)
            expected = True
        except PayloadError:
            expected = False
        assert _is_valid(kind, value) is expected

    check()
    assert _is_valid(kind, base) and not _is_valid(kind, ["not", "a", "map"])
