"""Bundle reading vectors (docs/PROTOCOL.md §10, docs/vectors/bundles.json), written by tools/make_vectors.py.

Each case is a whole bundle (hex) and what a reader makes of it: refused (with the reason), or the audit's
verdict (bad items, invalid events with their codes, gaps, forks, duplicates, payload problems, clean, the
state digest) and what `solnet import` stores and rejects. tests/audit/test_bundle_vectors.py checks both.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from events import Event, Identity, create_event, create_event_from_value, fork_proof_from_events, pack
from events.bundle import TAG_END, BundleHead, BundleWriter
from events.canonical import packb_plain

T0 = 1_700_000_000_000


def _seed(n: int) -> bytes:
    return hashlib.sha256(f"solnet bundle vector key {n}".encode()).digest()


def _log(ident: Identity, values: list[tuple[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for i, (kind, value) in enumerate(values):
        payload = value if isinstance(value, bytes) else pack(value)
        prev = events[-1] if events else None
        events.append(create_event(ident, kind=kind, payload=payload, timestamp=T0 + 1000 * (i + 1), previous=prev))
    return events


def _bundle(items: list[bytes], head: bytes | None = None, writer_head: BundleHead | None = None) -> bytes:
    """Return head + items + a correct trailer (the count and digest recomputed, as a tamperer would)."""
    if head is None:
        head = BundleWriter(writer_head or BundleHead(ALICE.group_id, T0)).head()
    body = head + b"".join(items)
    return body + packb_plain([TAG_END, len(items), hashlib.sha256(body).digest()])


def _item(event: Event) -> bytes:
    return packb_plain([1, event.header_bytes, event.signature, event.payload])


ALICE = Identity.from_seed(_seed(1))
BOB = Identity.from_seed(_seed(2))
_ALICE_LOG = [
    ("group.profile", {"name": "Alice's tenants"}),
    ("callout.published", {"title": "Eviction", "text": "7am", "needs": ["people"], "urgency": "high"}),
    ("report.published", {"title": "Report 3", "text": "we held the door"}),
    ("report.published", {"title": "Report 4", "text": "and again"}),
    ("group.profile", {"name": "Alice's union"}),
]


def verdict(data: bytes) -> dict:
    """Return what the reference auditor makes of the bundle `data`: the fields a vector's `expect` holds."""
    from audit import audit
    from audit.errors import SourceError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.bundle"
        path.write_bytes(data)
        try:
            report = audit(str(path), workers=1, digest_v1=True)
        except SourceError as exc:
            return {"refused": str(exc)}
    return {
        "refused": None,
        "damage": report.damage,
        "clean": report.clean,
        "valid": report.valid_events,
        "invalid": [[i.seq, i.code, i.count] for i in report.invalid],
        "bad_items": [[b.index, b.code] for b in report.bad_items],
        "gaps": [[g.first, g.last] for g in report.gaps],
        "forks": [[f.seq] for f in report.forks],
        "duplicates": [m.seq for m in report.misordered],
        "payload_problems": [[p.seq, p.code] for p in report.payload_problems],
        "digest": report.digest,
        "digest_v1": report.digest_v1,
        "group_digests": {g.group: g.digest for g in report.groups if g.digest is not None},
    }


def _agrees(expect: dict, got: dict) -> bool:
    for key, value in expect.items():
        if key in ("refused", "damage") and isinstance(value, str):
            if got.get(key) is None or value not in got[key]:
                return False
        elif got.get(key, [] if key in ("duplicates", "payload_problems") else None) != value:
            return False
    return True


def bundle_cases() -> dict:
    """Return the document of docs/vectors/bundles.json: each case's hand-written expectation, checked against the
    reference auditor, then completed with everything it reports (the digests included)."""
    log = _log(ALICE, _ALICE_LOG)
    items = [_item(e) for e in log]
    cases: list[dict] = []

    def case(name: str, rule: str, data: bytes, expect: dict) -> None:
        got = verdict(data)
        assert _agrees(expect, got), f"{name}: expected {expect}, the auditor says {got}"
        if got.get("refused"):
            got = {"refused": expect["refused"]}
        elif got.get("damage"):
            got["damage"] = expect.get("damage", got["damage"])
        cases.append({"name": name, "rule": rule, "hex": data.hex(), "expect": got})

    clean = {"refused": None, "clean": True, "valid": 5, "invalid": [], "bad_items": [], "gaps": [], "forks": []}
    case("in_order", "§10: the reference writes each author's log in seq order", _bundle(items), clean)
    swapped = [items[0], items[2], items[1], *items[3:]]
    case("swapped", "§10.1: items carry no order; each author's events are taken in seq order", _bundle(swapped), clean)
    case("reversed", "§10.1: a reversed log is the same log", _bundle(items[::-1]), clean)
    interleaved = _log(BOB, [("group.profile", {"name": "Bob's library"}), ("graph.follow", {"group": ALICE.public_key})])
    mixed = [_item(interleaved[1]), items[4], items[3], _item(interleaved[0]), *items[:3]]
    case(
        "two_authors_shuffled",
        "§10.1: authors' logs are independent; order within and across them is free",
        _bundle(mixed),
        {**clean, "valid": 7},
    )
    dup = [*items, items[2]]
    case(
        "duplicate",
        "§10.1: a second copy of an event (same id) is a duplicate: reported, ignored, not a violation",
        _bundle(dup),
        {**clean, "duplicates": [3]},
    )
    gap = [*items[:2], *items[3:]]
    case(
        "gap",
        "§10.1 and §13.3: the first event after a missing seq is seq_gap, the rest after_break",
        _bundle(gap),
        {**clean, "clean": False, "valid": 2, "invalid": [[4, "seq_gap", 1], [5, "after_break", 1]], "gaps": [[3, 3]]},
    )
    # two signed branches at seq 3: the first in the bundle is taken, the other is a fork branch
    other = create_event_from_value(
        ALICE, kind="report.published", value={"title": "Other 3", "text": "x"}, timestamp=T0 + 3000, previous=log[1]
    )
    fork_expect = {**clean, "clean": False, "forks": [[3]]}
    case(
        "two_branches",
        "§10.1: at one seq the first event in the bundle is taken; a second signed one is a fork",
        _bundle([*items, _item(other)]),
        {**fork_expect, "invalid": [[3, "fork_branch", 1]]},
    )
    case(
        "two_branches_other_first",
        "§10.1: the same events, the other branch first: it is the one taken",
        _bundle([*items[:2], _item(other), *items[2:]]),
        {**fork_expect, "valid": 3, "invalid": [[3, "fork_branch", 3]]},
    )
    # versions of one seq: the first in bundle order that links is taken; one before it that does not link keeps its
    # code and the chain goes on from the one taken; one after it is a conflict (here signed: a fork)
    elsewhere = create_event_from_value(
        ALICE, kind="report.published", value={"title": "Elsewhere 2", "text": "x"}, timestamp=T0 + 2000, previous=log[0]
    )
    stray = create_event_from_value(
        ALICE, kind="report.published", value={"title": "Stray 3", "text": "x"}, timestamp=T0 + 3000, previous=elsewhere
    )
    case(
        "version_that_does_not_link_first",
        "§10.1: at one seq the first version that links is taken; one before it that does not link keeps its code",
        _bundle([*items[:2], _item(stray), *items[2:]]),
        {**clean, "clean": False, "invalid": [[3, "broken_link", 1]]},
    )
    case(
        "version_that_does_not_link_after",
        "§10.1: the same events, the version that does not link after the one taken: a conflict (signed: a fork)",
        _bundle([*items, _item(stray)]),
        {**fork_expect, "invalid": [[3, "fork_branch", 1]]},
    )
    other_stray = create_event_from_value(
        ALICE, kind="report.published", value={"title": "Stray 3 again", "text": "y"}, timestamp=T0 + 3000, previous=elsewhere
    )
    case(
        "no_version_links",
        "§10.1: at a seq where no version links, each keeps its code and the events after it are after_break",
        _bundle([*items[:2], _item(stray), _item(other_stray), *items[3:]]),
        {
            **clean,
            "clean": False,
            "valid": 2,
            "invalid": [[3, "broken_link", 1], [3, "broken_link", 1], [4, "after_break", 2]],
        },
    )
    unsigned = _item(replace(log[4], signature=bytes(64)))  # the same event (id), signature bytes that do not verify
    case(
        "duplicate_bad_signature_first",
        "§10.1: of two copies of an event (same id), the first is taken and its signature bytes checked",
        _bundle([*items[:4], unsigned, items[4]]),
        {**clean, "clean": False, "valid": 4, "invalid": [[5, "bad_signature", 1]], "duplicates": [5]},
    )
    case(
        "duplicate_bad_signature_after",
        "§10.1: the same copies, the one that verifies first: it is taken, the other is a duplicate",
        _bundle([*items, unsigned]),
        {**clean, "duplicates": [5]},
    )
    proof = fork_proof_from_events([log[2]], [other])
    writer = BundleWriter(BundleHead(ALICE.group_id, T0))
    case(
        "fork_proof_item",
        "§10.1: a fork proof item puts its author in the digest's forked list",
        _bundle([*items, writer.fork_proof(proof)]),
        {**fork_expect},
    )
    # heads
    head = {"created": T0, "format": "solnet-bundle", "node": ALICE.group_id, "version": 1}
    case(
        "head_extra_key",
        "§10: the head has exactly four keys",
        _bundle(items, head=pack({**head, "zz": 1})),
        {"refused": "exactly the keys"},
    )
    case(
        "head_missing_key",
        "§10: the head has exactly four keys",
        _bundle(items, head=pack({k: v for k, v in head.items() if k != "created"})),
        {"refused": "exactly the keys"},
    )
    case(
        "head_node_any_text",
        "§10: node is informational text, not checked as a group id",
        _bundle(items, head=pack({**head, "node": "a node"})),
        clean,
    )
    case(
        "head_node_too_long",
        "§10: node has at most 512 bytes",
        _bundle(items, head=pack({**head, "node": "n" * 513})),
        {"refused": "512"},
    )
    case(
        "head_created_negative",
        "§10: created is 0 .. 2**63-1",
        _bundle(items, head=pack({**head, "created": -1})),
        {"refused": "malformed"},
    )
    case("head_version_2", "§10: version 1 only", _bundle(items, head=pack({**head, "version": 2})), {"refused": "not supported"})
    # payloads of unknown kinds are not interpreted: any bytes
    for name, payload in (("empty", b""), ("c1", b"\xc1"), ("two_values", b"\x01\x02"), ("float", b"\xcb" + bytes(8))):
        unknown = create_event(ALICE, kind="future.thing", payload=payload, timestamp=T0 + 9000, previous=log[-1])
        case(
            f"unknown_kind_payload_{name}",
            "§14: an unknown kind's payload is opaque bytes: valid, a warning",
            _bundle([*items, _item(unknown)]),
            {**clean, "valid": 6, "payload_problems": [[6, "unknown_kind"]]},
        )
    bad_payload = create_event_from_value(
        ALICE, kind="report.published", value={"title": " \u3000", "text": "x"}, timestamp=T0 + 9000, previous=log[-1]
    )
    case(
        "invalid_known_payload",
        "§10.2: a known kind's invalid payload is a warning, not a violation",
        _bundle([*items, _item(bad_payload)]),
        {**clean, "valid": 6, "payload_problems": [[6, "invalid_payload"]]},
    )
    # items that are well-framed msgpack but not representable: bad items, reading goes on
    for name, raw in (
        ("extension", bytes.fromhex("d40100")),
        ("map_with_list_key", bytes.fromhex("81910102")),
        ("float", bytes.fromhex("cb") + bytes(8)),
        ("invalid_utf8", bytes.fromhex("a1ff")),
    ):
        case(
            f"bad_item_{name}",
            "§10: a well-framed item that is not an event or fork proof is a bad item; reading continues",
            _bundle([*items[:2], raw, *items[2:]]),
            {**clean, "clean": False, "bad_items": [[2, "decode_error"]]},
        )
    broken = _bundle(items)
    at = len(BundleWriter(BundleHead(ALICE.group_id, T0)).head()) + len(items[0])
    case(
        "c1_framing",
        "§10: the byte c1 begins no value: broken framing, reading stops",
        broken[:at] + b"\xc1" + broken[at:],
        {"damage": "framing"},
    )
    big = packb_plain([1, b"x" * 70_000])
    case(
        "item_too_large",
        "§10: an item over 65,888 bytes stops the reading",
        _bundle([*items[:1], big, *items[1:]]),
        {"damage": "larger than"},
    )
    digests = {c["name"]: c["expect"].get("digest") for c in cases}
    assert digests["in_order"] == digests["swapped"] == digests["reversed"] == digests["duplicate"]
    return {"author": ALICE.public_key.hex(), "cases": cases}
