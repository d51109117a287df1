"""`decide_after`: a batch decided while the one before it is written decides as it would once that one is stored."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from events import ChainHead, Event, Mode, create_event_from_value
from events.fork import MAX_RUN
from events.ingest import IngestResult, decide, decide_after
from events.stored_log import DecidedLog
from tests.events.helpers import T0, bad_signature, chain, identity

AUTHORS = [identity(41), identity(42)]
LOGS = {ident.public_key: chain(ident, 12) for ident in AUTHORS}


class StoredLogs:
    """A StoredLog over stored events of any authors (no key events), and the authors with a stored fork proof."""

    def __init__(self, events: list[Event] = (), forked: set[bytes] = frozenset()):
        self.events = list(events)
        self.proven = set(forked)

    def known(self, event_ids: list[bytes]) -> set[bytes]:
        return {e.id for e in self.events} & set(event_ids)

    def stored_from(self, author: bytes, seq: int) -> list[Event]:
        return sorted((e for e in self.events if e.author == author and e.seq >= seq), key=lambda e: e.seq)[:MAX_RUN]

    def forked(self, author: bytes) -> bool:
        return author in self.proven

    def key_heads(self, authors: list[bytes]) -> dict:
        return {}

    def key_change(self, author: bytes, seq: int, rotation: bool = False) -> None:
        return None

    def stored(self, result: IngestResult) -> StoredLogs:
        """Return these logs with `result` written."""
        return StoredLogs([*self.events, *result.stored], self.proven | {p.author for p in result.forks})


def _other_version(event: Event, previous: Event | None, signed: bool) -> Event:
    ident = next(i for i in AUTHORS if i.public_key == event.author)
    other = create_event_from_value(ident, kind="test.note", value={"other": event.seq}, timestamp=T0 + 99, previous=previous)
    return other if signed else bad_signature(other)


@st.composite
def histories(draw) -> tuple[list[Event], list[Event], list[Event]]:
    """Return (stored events, first batch, second batch): two authors' logs cut anywhere, with other versions of
    some seqs (signed or not), copies and bad signatures, shuffled."""
    stored: list[Event] = []
    pool: list[Event] = []
    for log in LOGS.values():
        cut = draw(st.integers(0, len(log)))
        stored += log[:cut]
        pool += log[cut:]
        for i in draw(st.lists(st.integers(0, len(log) - 1), max_size=3, unique=True)):
            pool.append(_other_version(log[i], log[i - 1] if i else None, draw(st.booleans())))
        pool += draw(st.lists(st.sampled_from(log), max_size=3))  # copies, stored or not
        pool += [bad_signature(e) for e in draw(st.lists(st.sampled_from(log), max_size=2))]
    pool = draw(st.permutations(pool))
    split = draw(st.integers(0, len(pool)))
    return stored, pool[:split], pool[split:]


@settings(max_examples=150, deadline=None)
@given(histories(), st.sampled_from(Mode), st.booleans())
def test_deciding_after_a_decision_equals_deciding_once_it_is_stored(history, mode, forked):
    stored, first, second = history
    logs = StoredLogs(stored, {stored[0].author} if forked and stored else set())
    heads = {}
    for event in sorted(stored, key=lambda e: e.seq):
        heads[event.author] = ChainHead.of(event)
    prior = decide(first, heads, logs, mode)
    assert decide_after(second, heads, logs, prior, mode) == decide(second, {**heads, **prior.heads()}, logs.stored(prior), mode)


def test_a_decision_written_while_the_next_is_decided_is_read_once():
    """The writer may commit the decided events while the next batch is decided: the logs then hold them too, and
    the view still gives each event once."""
    log = LOGS[AUTHORS[0].public_key]
    written = StoredLogs(log[:8])  # log[4:8] were decided, and are written by now
    view = DecidedLog(written, log[4:8], [], [])
    assert [e.seq for e in view.stored_from(log[0].author, 2)] == [2, 3, 4, 5, 6, 7, 8]
    assert view.known([e.id for e in log[:9]]) == {e.id for e in log[:8]}
