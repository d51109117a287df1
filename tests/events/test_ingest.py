"""The pure ingest decision over a plain-dict StoredLog (the replica suite runs it through every replica)."""

from __future__ import annotations

from events import ChainHead, Event, create_event_from_value, ed25519
from events.fork import MAX_RUN
from events.ingest import CONFLICT, FORK_BRANCH, UNPROVEN_CONFLICT, conflict_code, decide, signed_run, vouches
from tests.events.helpers import T0, bad_signature, chain, identity

IDENT = identity(31)
KEY = ed25519.load_public_key(IDENT.public_key)


class DictLog:
    """A StoredLog over a list of stored events, counting the reads the decision makes."""

    def __init__(self, events: list[Event], forked: bool = False):
        self.events = events
        self.is_forked = forked
        self.reads: list[str] = []

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        self.reads.append("known")
        return {e.id for e in self.events} & set(event_ids)

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        self.reads.append("stored_from")
        return [e for e in self.events if e.seq >= seq][:MAX_RUN]

    def forked(self, author: bytes) -> bool:
        self.reads.append("forked")
        return self.is_forked

    def key_heads(self, authors: list[bytes]) -> dict:
        return {}  # no key events in these logs

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> None:
        return None


def test_new_events_read_nothing_but_the_heads():
    log = chain(IDENT, 3)
    stored = DictLog([])
    result = decide(log, {}, stored)
    assert [e.seq for e in result.stored] == [1, 2, 3] and stored.reads == []
    assert result.heads() == {IDENT.public_key: ChainHead.of(log[-1])}


def test_a_run_vouches_only_within_max_run():
    log = chain(IDENT, MAX_RUN + 1)
    assert vouches(MAX_RUN, log[0], KEY) and not vouches(MAX_RUN + 1, log[0], KEY)
    unsigned = [bad_signature(e) for e in log[:MAX_RUN]] + [log[MAX_RUN]]
    assert signed_run(unsigned, 0, KEY) is None
    assert signed_run(unsigned, 1, KEY) == unsigned[1:]


def test_conflict_codes():
    assert conflict_code(False, True) == conflict_code(False, False) == CONFLICT
    assert conflict_code(True, True) == FORK_BRANCH and conflict_code(True, False) == UNPROVEN_CONFLICT


def test_a_forked_author_needs_no_second_proof_and_no_stored_read():
    log = chain(IDENT, 3)
    other = create_event_from_value(IDENT, kind="test.note", value={"n": "x"}, timestamp=T0 + 5, previous=log[0])
    stored = DictLog(log, forked=True)
    result = decide([other], {IDENT.public_key: ChainHead.of(log[-1])}, stored)
    assert result.forks == () and [r.code for r in result.forked] == [FORK_BRANCH] and result.rejected == ()
    assert "stored_from" not in stored.reads
    fresh = DictLog(log)
    proven = decide([other], {IDENT.public_key: ChainHead.of(log[-1])}, fresh)
    assert len(proven.forks) == 1 and fresh.reads == ["known", "forked", "stored_from"]


def _version(n: int, previous: Event, *, signed: bool = True) -> Event:
    """Return a version of the seq after `previous` (linking to it), numbered `n`."""
    event = create_event_from_value(IDENT, kind="test.note", value={"v": n}, timestamp=T0 + 1000, previous=previous)
    return event if signed else bad_signature(event)


def test_the_first_version_that_links_is_taken_and_the_chain_goes_on_from_it():
    log = chain(IDENT, 4)
    stray = _version(0, _version(0, log[0]))  # seq 3 after another seq 2: prev is not log[1]'s id
    result = decide([log[0], log[1], stray, log[2], log[3]], {}, DictLog([]))
    assert [e.id for e in result.stored] == [e.id for e in log]
    assert [(r.seq, r.code) for r in result.rejected] == [(3, "broken_link")] and result.forks == ()


def test_many_versions_of_one_seq_are_each_decided_once_in_few_rounds():
    """A hostile batch of versions at one seq: those that do not link before the taken one, signed conflicts after
    it, and a second batch of unsigned versions that all link but that nothing vouches for. Each costs one
    decision and the rounds do not grow with their number (each round reads `known` once)."""
    log = chain(IDENT, 5)
    stray = _version(0, log[0])
    before = [_version(i, stray) for i in range(300)]  # seq 3, prev is not log[1]'s id
    after = [_version(i, log[1]) for i in range(300)]  # seq 3, signed, link: conflicts with the taken log[2]
    stored = DictLog(log[:2])
    head = {IDENT.public_key: ChainHead.of(log[1])}
    result = decide([*before, log[2], *after, log[3], log[4]], head, stored)
    assert [e.seq for e in result.stored] == [3, 4, 5] and len(result.forks) == 1
    assert [r.code for r in result.rejected] == ["broken_link"] * 300
    assert [r.code for r in result.forked] == [FORK_BRANCH] * 300 and stored.reads.count("known") == 1
    unsigned = [_version(1000 + i, log[1], signed=False) for i in range(300)]
    again = DictLog(log[:2])
    result = decide(unsigned, head, again)
    assert result.stored == () and again.reads.count("known") == 0
    assert [r.code for r in result.rejected] == ["bad_signature"] + [CONFLICT] * 299


def test_payloads_are_hashed_unless_the_caller_checked_them_already():
    log = chain(IDENT, 2)
    wrong = Event(log[1].header, log[1].header_bytes, log[1].signature, b"\xc4\x01x", log[1].id)
    checked = decide([log[0], wrong], {}, DictLog([]))
    assert [e.seq for e in checked.stored] == [1] and [r.code for r in checked.rejected] == ["payload_mismatch"]
    # a caller that decoded the events itself (event_from_parts checks each payload) says so: nothing is hashed again,
    # so a payload that could not have come from event_from_parts goes unnoticed (the caller's word is taken)
    trusted = decide([log[0], wrong], {}, DictLog([]), payloads_checked=True)
    assert [e.seq for e in trusted.stored] == [1, 2] and not trusted.rejected
