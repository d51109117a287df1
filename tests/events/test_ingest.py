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
