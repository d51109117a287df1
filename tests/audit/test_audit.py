"""The auditor on real signed bundles: clean logs audit clean, each kind of damage is reported precisely."""

from __future__ import annotations

import dataclasses

import pytest

from audit import audit
from events import Identity, create_event_from_value, fork_proof_from_events, group_id_text
from events.readmodel.digest import group_digests, state_digest, state_digest_v2
from events.readmodel.memory import replay

from .helpers import flip, interleave, make_log, replace, write

N = 12


@pytest.fixture(scope="module")
def people():
    return [Identity.generate() for _ in range(3)]


@pytest.fixture(scope="module")
def logs(people):
    return [make_log(p, N) for p in people]


def both_modes_agree(path, fast=False):
    """Audit with one worker and with two (the second also asked for version 1); the reports must agree. Return the second."""
    one = audit(str(path), workers=1, fast=fast)
    two = audit(str(path), workers=2, fast=fast, digest_v1=True)
    assert one.digest_v1 is None and two.digest_v1 is not None
    assert dataclasses.replace(two, digest_v1=None) == one
    return two


def test_clean_log_audits_clean_and_digest_matches_a_memory_replay(tmp_path, logs):
    events = interleave(*logs)
    report = both_modes_agree(write(tmp_path / "b", events))
    assert report.clean and report.violations == 0
    assert report.events == report.valid_events == len(events)
    assert report.items == len(events)
    assert len(report.groups) == 3 and all(g.valid == N and g.head_seq == N for g in report.groups)
    assert report.digest_v1 == state_digest(replay(events))
    assert report.digest == state_digest_v2(replay(events))
    digests = {group_id_text(a): d.hex() for a, d in group_digests(replay(events))}
    assert {g.group: g.digest for g in report.groups} == digests and len(digests) == 3
    fast = audit(str(tmp_path / "b"), fast=True, workers=1, digest_v1=True)
    assert fast.clean and fast.digest == report.digest and fast.digest_v1 == report.digest_v1 and fast.mode == "head"


def test_flipped_payload_byte_is_a_bad_item_and_a_gap(tmp_path, logs):
    log = logs[0]
    bad = replace(log[4], payload=flip(log[4].payload, 3))
    report = both_modes_agree(write(tmp_path / "b", [*log[:4], bad, *log[5:]]))
    assert [(b.index, b.code) for b in report.bad_items] == [(4, "payload_mismatch")]
    group = group_id_text(log[0].author)
    assert [(g.group, g.first, g.last) for g in report.gaps] == [(group, 5, 5)]
    # the codes of the ingest decision (docs/PROTOCOL.md §13.3): the first that cannot link, then those after it
    assert [(i.seq, i.code, i.count, i.index) for i in report.invalid] == [(6, "seq_gap", 1, 5), (7, "after_break", N - 6, 6)]
    assert report.valid_events == 4 and not report.clean


def test_flipped_header_byte_breaks_the_link(tmp_path, logs):
    log = logs[0]
    header = flip(log[6].header_bytes, 45)  # inside `prev`
    bad = replace(log[6], header_bytes=header)
    report = both_modes_agree(write(tmp_path / "b", [*log[:6], bad, *log[7:]]))
    first = report.invalid[0]
    assert (first.seq, first.index, first.code) == (7, 6, "broken_link")
    assert first.event_id != log[6].id_hex  # the damaged header has another id
    assert [(i.seq, i.code, i.count) for i in report.invalid[1:]] == [(8, "after_break", N - 7)]
    assert report.valid_events == 6


def test_flipped_signature_byte_is_vouched_for_in_full_mode_only(tmp_path, logs):
    log = logs[1]
    bad = replace(log[3], signature=flip(log[3].signature, 10))
    path = write(tmp_path / "b", [*log[:3], bad, *log[4:]])
    full = both_modes_agree(path)
    assert [(v.seq, v.event_id, v.vouched_by) for v in full.vouched] == [(4, log[3].id_hex, log[4].id_hex)]
    assert full.valid_events == N and not full.invalid and not full.clean
    fast = both_modes_agree(path, fast=True)
    assert fast.clean and fast.valid_events == N and fast.digest == full.digest


def test_forged_signature_on_the_newest_event_makes_it_invalid(tmp_path, logs):
    log = logs[1]
    forger = Identity.generate()
    forged = replace(log[-1], signature=forger.sign(b"solnet/event/v1\x00" + log[-1].header_bytes))
    path = write(tmp_path / "b", [*log[:-1], forged])
    for fast in (False, True):
        report = both_modes_agree(path, fast=fast)
        assert [(i.seq, i.event_id, i.code, i.index) for i in report.invalid] == [(N, log[-1].id_hex, "bad_signature", N - 1)]
        assert report.valid_events == N - 1
        assert report.digest_v1 == state_digest(replay(log[:-1]))
        assert report.digest == state_digest_v2(replay(log[:-1]))


def test_the_fast_path_is_taken_and_a_partition_is_audited_again_when_a_signature_it_relied_on_fails(tmp_path, logs, monkeypatch):
    import audit.engine as engine

    passes = []
    replay_partition = engine._replay_partition

    def recording(*args):
        passes.append(args[-2])  # optimistic
        return replay_partition(*args)

    monkeypatch.setattr(engine, "_replay_partition", recording)
    clean = write(tmp_path / "clean", interleave(*logs))
    assert audit(str(clean), fast=True, workers=1).clean and passes == [True]
    passes.clear()
    log = logs[1]
    forger = Identity.generate()
    # a bad signature in the middle is vouched for by the good one after it: the fast path holds
    middle = replace(log[5], signature=forger.sign(b"solnet/event/v1\x00" + log[5].header_bytes))
    report = audit(str(write(tmp_path / "middle", [*log[:5], middle, *log[6:]])), fast=True, workers=1)
    assert report.clean and report.valid_events == N and passes == [True]
    passes.clear()
    # a full audit checks that signature too: its fast path fails, and the careful pass reports it as vouched for
    report = audit(str(tmp_path / "middle"), workers=1)
    assert passes == [True, False] and report.valid_events == N
    assert [(v.seq, v.vouched_by) for v in report.vouched] == [(6, log[6].id_hex)]
    passes.clear()
    newest = replace(log[-1], signature=forger.sign(b"solnet/event/v1\x00" + log[-1].header_bytes))
    report = audit(str(write(tmp_path / "newest", [*interleave(logs[0], logs[2]), *log[:-1], newest])), fast=True, workers=1)
    assert passes == [True, False]  # the newest event's signature fails: audited again, holding events
    assert [(i.seq, i.code) for i in report.invalid] == [(N, "bad_signature")]
    assert report.valid_events == 3 * N - 1


def test_reordered_events_are_taken_in_seq_order_and_the_audit_is_clean(tmp_path, logs):
    """docs/PROTOCOL.md §10: items carry no order; each author's events are taken in seq order."""
    log = logs[2]
    events = [*log[:4], log[5], log[4], *log[6:]]
    report = both_modes_agree(write(tmp_path / "b", events))
    assert report.clean and not report.misordered
    assert report.valid_events == N and not report.invalid and not report.gaps
    assert report.digest_v1 == state_digest(replay(log))
    assert report.digest == state_digest_v2(replay(log))


def test_missing_event_in_the_middle_is_a_gap(tmp_path, logs):
    log = logs[2]
    report = both_modes_agree(write(tmp_path / "b", [*log[:7], *log[8:]]))
    assert [(g.first, g.last) for g in report.gaps] == [(8, 8)]
    assert [(i.seq, i.code, i.count, i.event_id) for i in report.invalid] == [
        (9, "seq_gap", 1, log[8].id_hex),
        (10, "after_break", N - 9, log[9].id_hex),
    ]
    assert report.valid_events == 7


def test_two_signed_events_at_one_seq_are_a_fork(tmp_path, people, logs):
    log = logs[0]
    other = create_event_from_value(
        people[0], kind="report.published", value={"title": "b", "text": "other"}, timestamp=1, previous=log[4]
    )
    report = both_modes_agree(write(tmp_path / "b", [*log, other]))
    assert [(f.seq, {f.event_a, f.event_b}, f.source) for f in report.forks] == [(6, {log[5].id_hex, other.id_hex}, "events")]
    assert [(i.seq, i.code) for i in report.invalid] == [(6, "fork_branch")]
    assert report.digest_v1 == state_digest(replay(log), {people[0].public_key})
    assert report.digest == state_digest_v2(replay(log), {people[0].public_key})


def test_fork_proof_item_is_reported_and_merged_with_the_events(tmp_path, people, logs):
    log = logs[0]
    other = create_event_from_value(
        people[0], kind="report.published", value={"title": "b", "text": "other"}, timestamp=1, previous=log[4]
    )
    proof = fork_proof_from_events([log[5]], [other])
    report = both_modes_agree(write(tmp_path / "b", [*log, other], [proof]))
    assert [(f.seq, f.source) for f in report.forks] == [(6, "events+fork_proof")]
    only_proof = both_modes_agree(write(tmp_path / "c", log, [proof]))
    assert [(f.seq, f.event_a, f.event_b, f.source) for f in only_proof.forks] == [
        (6, proof.id_a.hex(), proof.id_b.hex(), "fork_proof")
    ]


def test_unsigned_conflicting_event_is_not_a_fork(tmp_path, people, logs):
    log = logs[0]
    other = create_event_from_value(
        people[0], kind="report.published", value={"title": "b", "text": "x"}, timestamp=1, previous=log[4]
    )
    forged = replace(other, signature=flip(other.signature, 0))
    report = both_modes_agree(write(tmp_path / "b", [*log, forged]))
    assert not report.forks
    assert [(i.seq, i.code, i.event_id) for i in report.invalid] == [(6, "conflict", other.id_hex)]


def test_duplicate_event_is_reported(tmp_path, logs):
    log = logs[0]
    report = both_modes_agree(write(tmp_path / "b", [*log, log[3]]))
    assert [(m.seq, m.code, m.index) for m in report.misordered] == [(4, "duplicate", N)]
    assert report.valid_events == N


def test_redactions_and_payload_problems(tmp_path, people, logs):
    log = logs[1]
    bad = create_event_from_value(people[1], kind="report.published", value={"title": 5}, timestamp=1, previous=log[-1])
    unknown = create_event_from_value(people[1], kind="future.thing", value={"a": 1}, timestamp=1, previous=bad)
    events = [*log[:2], log[2].without_payload(), *log[3:], bad, unknown]
    report = both_modes_agree(write(tmp_path / "b", events))
    assert [(x.seq, x.kind) for x in report.redactions] == [(3, "report.published")]
    assert [(p.seq, p.code, p.field) for p in report.payload_problems] == [
        (N + 1, "invalid_payload", "title"),
        (N + 2, "unknown_kind", None),
    ]
    assert report.violations == 0 and report.clean  # payload problems and redactions are not violations (§10.2)
    assert report.digest_v1 == state_digest(replay(events))
    assert report.digest == state_digest_v2(replay(events))


def test_truncated_bundle_reports_damage_and_audits_what_it_read(tmp_path, logs):
    data = write(tmp_path / "b", logs[0]).read_bytes()
    (tmp_path / "t").write_bytes(data[: len(data) // 2])
    report = both_modes_agree(tmp_path / "t")
    assert "truncated" in report.damage
    assert 0 < report.valid_events < N and not report.clean


def test_trailing_garbage_and_damaged_trailer(tmp_path, logs):
    data = write(tmp_path / "b", logs[0]).read_bytes()
    (tmp_path / "g").write_bytes(data + b"\x00junk")
    report = both_modes_agree(tmp_path / "g")
    assert "trailing garbage" in report.damage and report.valid_events == N
    (tmp_path / "d").write_bytes(flip(data, 200))
    damaged = both_modes_agree(tmp_path / "d")
    assert damaged.damage is not None and not damaged.clean


def test_update_of_an_entity_the_group_never_created_is_a_dangling_reference(tmp_path, people, logs):
    log = logs[2]
    stranger_callout = logs[0][1].id  # created by another group: an update from this group is ignored
    update = create_event_from_value(
        people[2], kind="callout.fulfilled", value={"callout": stranger_callout}, timestamp=1, previous=log[-1]
    )
    own = create_event_from_value(people[2], kind="callout.fulfilled", value={"callout": log[1].id}, timestamp=1, previous=update)
    report = both_modes_agree(write(tmp_path / "b", [*log, update, own]))
    assert [(p.seq, p.code, p.field) for p in report.payload_problems] == [(N + 1, "dangling_reference", "callout")]
    assert report.clean  # reported, not a violation


def test_random_damage_one_and_two_workers_agree_and_fast_accepts_what_full_accepts(tmp_path, logs):
    import random

    data = write(tmp_path / "b", interleave(*logs)).read_bytes()
    rng = random.Random(5)
    for case in range(6):
        damaged = data
        for _ in range(rng.randint(1, 4)):
            damaged = flip(damaged, rng.randrange(60, len(data) - 60))
        path = tmp_path / f"d{case}"
        path.write_bytes(damaged)
        full = both_modes_agree(path)
        fast = both_modes_agree(path, fast=True)
        assert not full.clean
        assert (fast.valid_events, fast.digest, fast.groups) == (full.valid_events, full.digest, full.groups)


# Signed events whose payloads are schema-valid values but not their canonical encoding: keys out of order, a
# wider int or str header than needed, a key given twice. The projection must refuse each (docs/KINDS.md).
_NON_CANONICAL = [
    b"\x82\xa4text\xa1b\xa5title\xa1a",  # canonical: accepted
    b"\x82\xa5title\xa1a\xa4text\xa1b",  # keys out of order
    b"\x82\xa4text\xd9\x01b\xa5title\xa1a",  # str8 for a 1-byte text
    b"\x83\xa4text\xa1b\xa5title\xa1a\xa5title\xa1a",  # a key twice
    b"\x83\xa4text\xa1b\xa5title\xa1a\xa8campaign\xc4\x20" + bytes(32),  # "campaign" after "title": out of order
    b"\xde\x00\x02\xa4text\xa1b\xa5title\xa1a",  # map16 header for 2 entries
]


def test_non_canonical_payloads_are_payload_problems_and_are_not_projected(tmp_path, people):
    from events import EventError, PayloadError, create_event
    from events.kinds import decode_payload, valid_payload_value

    prev, events = None, []
    for payload in _NON_CANONICAL:
        prev = create_event(people[0], kind="report.published", payload=payload, timestamp=1, previous=prev)
        events.append(prev)
    report = both_modes_agree(write(tmp_path / "b", events))
    assert [(p.seq, p.code) for p in report.payload_problems] == [(i, "invalid_payload") for i in range(2, len(events) + 1)]
    assert report.valid_events == len(events)
    assert report.digest_v1 == state_digest(replay(events)) == state_digest(replay(events[:1]))
    assert report.digest == state_digest_v2(replay(events)) == state_digest_v2(replay(events[:1]))
    # the projection's check (no re-encoding through pack) agrees with the full decode on every one of them
    assert valid_payload_value("report.published", _NON_CANONICAL[0]) == {"text": "b", "title": "a"}
    assert decode_payload("report.published", _NON_CANONICAL[0]).title == "a"
    for payload in _NON_CANONICAL[1:]:
        with pytest.raises(PayloadError):
            decode_payload("report.published", payload)
        with pytest.raises(EventError):
            valid_payload_value("report.published", payload)


def test_duplicates_and_forks_deep_in_a_long_log_are_found_among_the_stored_ids(tmp_path, people):
    log = make_log(people[0], 200)  # ids of seqs 1..192 are stored in blocks of 64, the rest held by the log
    other = create_event_from_value(
        people[0], kind="report.published", value={"title": "b", "text": "other"}, timestamp=1, previous=log[68]
    )
    report = both_modes_agree(write(tmp_path / "b", [*log, log[9], log[150], log[195], other]))
    assert [(m.seq, m.code) for m in report.misordered] == [(10, "duplicate"), (151, "duplicate"), (196, "duplicate")]
    assert [(f.seq, {f.event_a, f.event_b}) for f in report.forks] == [(70, {log[69].id_hex, other.id_hex})]


def test_a_conflicting_branch_is_signed_only_within_max_run_events_as_for_nodes(tmp_path, people, logs):
    from events.fork import MAX_RUN

    log = logs[0]
    branch, previous = [], log[4]
    for i in range(MAX_RUN + 1):  # 64 badly signed events, then one that verifies: too far to vouch for the fork
        previous = create_event_from_value(
            people[0], kind="report.published", value={"title": f"b{i}", "text": "x"}, timestamp=1, previous=previous
        )
        branch.append(previous)
    branch = [replace(e, signature=flip(e.signature, 0)) for e in branch[:MAX_RUN]] + branch[MAX_RUN:]
    report = both_modes_agree(write(tmp_path / "b", [*log, *branch]))
    assert not report.forks
    assert [(i.seq, i.code, i.count) for i in report.invalid] == [(6, "conflict", MAX_RUN + 1)]
