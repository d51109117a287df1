"""Proposal processes and threads: the tally and outcome each process defines, and that they (and which comments
show in a thread) are the same whatever order the logs' events arrive in."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import decode_record
from events.readmodel.memory import replay
from events.readmodel.process import closing_tally, is_closed, misfit, outcome, tally
from events.readmodel.projection import COMMENTS, POSITIONS, PROPOSALS
from events.readmodel.threads import shows_in

from .test_projection import ALICE, BOB, CAROL, DAVE, Log, interleave

T0 = 1_700_000_000_000


def table(log: Log, **fields):
    return log.add("proposal.tabled", {"title": "Strike", "text": "From March", **fields})


def decide(events, proposal):
    view = replay(events)
    doc = view.get(PROPOSALS, proposal.id)
    positions = list(view.scan(POSITIONS, ref=proposal.id))
    return doc, positions


def test_consensus_is_blocked_by_whoever_blocks_with_a_reason_and_names_them():
    a, b, c = Log(ALICE), Log(BOB), Log(CAROL)
    asked = [BOB.public_key, CAROL.public_key, DAVE.public_key]
    p = table(a, process="consensus", asked=asked, closes_at=T0 + 60_000)
    b.add("position.taken", {"proposal": p.id, "position": "agree"})
    c.add("position.taken", {"proposal": p.id, "position": "block", "reason": "not yet voted"})
    doc, positions = decide(a.events + b.events + c.events, p)
    live = tally(doc, positions)
    assert dict(live.counts) == {"agree": 1, "stand_aside": 0, "block": 1}
    assert live.waiting == (DAVE.public_key,)
    result = outcome(doc, positions)
    assert (result.result, result.groups, result.decision) == ("blocked", (CAROL.public_key,), "rejected")
    assert not is_closed(doc, T0 + 60_000) and is_closed(doc, T0 + 60_001)


def test_a_withdrawn_proposal_counts_no_later_position_and_has_no_outcome():
    a, b, c = Log(ALICE), Log(BOB), Log(CAROL)
    p = table(a, process="consensus", closes_at=T0 + 60_000)  # T0
    b.add("position.taken", {"proposal": p.id, "position": "agree"})  # T0: before the withdrawal
    a.add("proposal.updated", {"proposal": p.id, "title": "Strike in April"})  # T0+1000
    a.add("proposal.withdrawn", {"proposal": p.id, "reason": "the landlord gave in"})  # T0+2000
    c.add("position.taken", {"proposal": p.id, "position": "agree"})  # T0
    c.add("position.taken", {"proposal": p.id, "position": "block", "reason": "late"})  # T0+1000
    c.add("position.taken", {"proposal": p.id, "position": "stand_aside"})  # T0+2000: the withdrawal's time counts
    c.add("position.taken", {"proposal": p.id, "position": "block", "reason": "after"})  # T0+3000: does not
    for order in (a.events + b.events + c.events, c.events + b.events + a.events):
        doc, positions = decide(order, p)
        assert (doc.doc["status"], doc.doc["title"], doc.doc["closed_at"]) == ("withdrawn", "Strike in April", T0 + 2000)
        assert dict(tally(doc, positions).counts) == {"agree": 1, "stand_aside": 1, "block": 0}
        assert closing_tally(doc, positions) == tally(doc, positions)
        assert outcome(doc, positions) is None and is_closed(doc, T0)


def test_another_groups_withdrawal_or_update_changes_nothing():
    a, b = Log(ALICE), Log(BOB)
    p = table(a, process="consent")
    b.add("proposal.withdrawn", {"proposal": p.id})
    b.add("proposal.updated", {"proposal": p.id, "title": "Hijacked"})
    doc, _ = decide(a.events + b.events, p)
    assert (doc.doc["status"], doc.doc["title"], len(doc.doc["log"])) == ("tabled", "Strike", 1)


def test_a_block_without_reason_does_not_count_but_did_before_processes():
    a, b = Log(ALICE), Log(BOB)
    with_process, without = table(a, process="consensus"), table(a)
    for p in (with_process, without):
        b.add("position.taken", {"proposal": p.id, "position": "block"})
    view = replay(a.events + b.events)
    for p, blocks in ((with_process, 0), (without, 1)):
        counts = dict(tally(view.get(PROPOSALS, p.id), view.scan(POSITIONS, ref=p.id)).counts)
        assert counts["block"] == blocks
    assert misfit(view.get(PROPOSALS, with_process.id), BOB.public_key, {"position": "block"}) == "to block needs a reason"


def test_positions_of_other_processes_of_groups_not_asked_and_after_closing_do_not_count():
    a, b, c = Log(ALICE), Log(BOB), Log(CAROL)
    p = table(a, process="consent", asked=[BOB.public_key], closes_at=T0 + 1500)
    b.add("position.taken", {"proposal": p.id, "position": "agree"})  # not a consent position
    c.add("position.taken", {"proposal": p.id, "position": "object", "reason": "no"})  # not asked
    doc, positions = decide(a.events + b.events + c.events, p)
    assert closing_tally(doc, positions).answers == ()
    assert outcome(doc, positions).result == "no_answers"
    b.add("position.taken", {"proposal": p.id, "position": "object", "reason": "too soon"})  # T0 + 1000: in time
    b.add("position.taken", {"proposal": p.id, "position": "consent"})  # T0 + 2000: after closing
    doc, positions = decide(a.events + b.events + c.events, p)
    assert outcome(doc, positions).result == "objected"
    assert [a.position for a in tally(doc, positions).answers] == ["consent"]  # the live tally has the newest


def test_vote_sense_check_and_advice_outcomes():
    a, b, c, d = Log(ALICE), Log(BOB), Log(CAROL), Log(DAVE)
    vote = table(a, process="vote", options=["March", "April"])
    check = table(a, process="sense_check")
    advice = table(a, process="advice")
    b.add("position.taken", {"proposal": vote.id, "position": "vote", "option": "April"})
    c.add("position.taken", {"proposal": vote.id, "position": "vote", "option": "March"})
    d.add("position.taken", {"proposal": vote.id, "position": "vote", "option": "April"})
    b.add("position.taken", {"proposal": vote.id, "position": "vote", "option": "May"})  # no such option: B's vote lapses
    c.add("position.taken", {"proposal": check.id, "position": "thumbs_up"})
    d.add("position.taken", {"proposal": check.id, "position": "thumbs_down", "reason": "costs"})
    b.add("position.taken", {"proposal": advice.id, "position": "advice", "reason": "ask the co-op"})
    events = a.events + b.events + c.events + d.events
    doc, positions = decide(events, vote)
    assert dict(tally(doc, positions).counts) == {"March": 1, "April": 1}
    assert outcome(doc, positions).result == "tie"
    doc, positions = decide(events, check)
    assert (outcome(doc, positions).result, outcome(doc, positions).groups) == ("concerns", (DAVE.public_key,))
    doc, positions = decide(events, advice)
    assert outcome(doc, positions).result == "advised"


def test_a_reply_shows_once_its_parent_is_there():
    a, b, c = Log(ALICE), Log(BOB), Log(CAROL)
    item = a.add("callout.published", {"title": "Help", "text": "Please", "needs": ["people"]})
    top = b.add("comment.posted", {"on": item.id, "text": "When?"})
    reply = c.add("comment.posted", {"on": top.id, "root": item.id, "text": "Tuesday"})
    stray = c.add("comment.posted", {"on": top.id, "root": c.events[0].id, "text": "wrong thread"})
    early = replay(a.events + c.events)  # C's reply arrived, B's comment not yet
    [doc] = [p.doc for p in early.scan(COMMENTS, ref=item.id)]
    assert doc["id"] == reply.id and not shows_in(item.id, doc, None)
    full = replay(c.events + a.events + b.events)
    shown = {p.key for p in full.scan(COMMENTS, ref=item.id) if shows_in(item.id, p.doc, _parent(full, p.doc))}
    assert shown == {top.id, reply.id} and stray.id not in shown


def _parent(view, doc):
    found = view.get(COMMENTS, doc["on"])
    return None if found is None else found.doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from(["agree", "stand_aside", "block", "consent"]), st.booleans()),
        max_size=15,
    ),
    process=st.sampled_from([None, "consensus"]),
    closes=st.integers(0, 16),
    changes=st.lists(st.sampled_from(["update", "withdraw"]), max_size=3),
    seed=st.integers(0, 2**32),
)
def test_tally_outcome_and_thread_are_independent_of_arrival_order(steps, process, closes, changes, seed):
    logs = [Log(i) for i in (ALICE, BOB, CAROL, DAVE)]
    p = table(logs[0], process=process, closes_at=T0 + 1000 * closes, asked=[BOB.public_key, CAROL.public_key])
    comments = [p]
    for n, change in enumerate(changes):  # the author's own updates and withdrawal, between the positions
        if change == "update":
            logs[0].add("proposal.updated", {"proposal": p.id, "closes_at": T0 + 1000 * (closes + n)})
        else:
            logs[0].add("proposal.withdrawn", {"proposal": p.id})
    for who, position, with_reason in steps:
        logs[who].add("position.taken", {"proposal": p.id, "position": position, "reason": "r" if with_reason else None})
        on = comments[seed % len(comments)]
        comments.append(logs[who].add("comment.posted", {"on": on.id, "root": p.id if on is not p else None, "text": "t"}))
    rnd = random.Random(seed)
    seen = set()
    for order in (
        [e for log in logs for e in log.events],
        [e for log in reversed(logs) for e in log.events],
        interleave(logs, rnd),
    ):
        view = replay(order)
        doc, positions = view.get(PROPOSALS, p.id), list(view.scan(POSITIONS, ref=p.id))
        thread = sorted(c.key for c in view.scan(COMMENTS, ref=p.id) if shows_in(p.id, c.doc, _parent(view, c.doc)))
        seen.add((tally(doc, positions), closing_tally(doc, positions), outcome(doc, positions), tuple(thread)))
    assert len(seen) == 1


VECTOR_CASES = json.loads((Path(__file__).resolve().parents[3] / "docs" / "vectors" / "readmodels.json").read_text())["cases"]


@pytest.mark.parametrize("case", [c for c in VECTOR_CASES if "proposals" in c or "threads" in c], ids=lambda c: c["name"])
def test_vectors_give_the_listed_tallies_outcomes_and_threads(case):
    view = replay(decode_record(bytes.fromhex(r)) for r in case["records"])

    def counts(t):
        return {"counts": dict(t.counts), "groups": [a.group.hex() for a in t.answers], "waiting": [g.hex() for g in t.waiting]}

    for key, want in case.get("proposals", {}).items():
        doc, positions = view.get(PROPOSALS, bytes.fromhex(key)), list(view.scan(POSITIONS, ref=bytes.fromhex(key)))
        result = outcome(doc, positions)
        assert counts(tally(doc, positions)) == want["live"]
        assert counts(closing_tally(doc, positions)) == want["at_closing"]
        got = result and {"result": result.result, "groups": [g.hex() for g in result.groups], "option": result.option}
        assert got == want["outcome"]
    for root, want in case.get("threads", {}).items():
        shown = [
            c.key.hex() for c in view.scan(COMMENTS, ref=bytes.fromhex(root)) if shows_in(c.ref, c.doc, _parent(view, c.doc))
        ]
        assert shown == want
