"""Full mode's batched signature checks decide exactly as checking each event's signature when it is fed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from events import ChainError, ChainVerifier, Event, Identity, KeyState, Mode
from tests.events.helpers import bad_signature, chain, identity
from tests.events.rotation_helpers import commitment, next_event
from tests.events.test_chain import relinked

IDENT = identity()
BASE = chain(IDENT, 40)
K1, K2, K3 = (Identity.from_seed(bytes([n]) * 32) for n in (1, 2, 3))
ROTATE_AT = 12  # seq of the key.rotate in ROTATED (a key.commit at seq 1)


def _rotated(count: int) -> list[Event]:
    log = [next_event(K1, K1, None, "key.commit", {"next": commitment(K2.public_key)})]
    while len(log) < count:
        seq = len(log) + 1
        if seq == ROTATE_AT:
            value = {"key": K2.public_key, "next": commitment(K3.public_key)}
            log.append(next_event(K2, K1, log[-1], "key.rotate", value))
        else:
            log.append(next_event(K2 if seq > ROTATE_AT else K1, K1, log[-1], "test.note", {"n": seq}))
    return log


ROTATED = _rotated(30)


def _other_version(event: Event, previous: Event | None, signer: Identity) -> Event:
    """A second, signed event at `event`'s seq (a fork), linked to `previous`, signed by `signer`."""
    author = IDENT if event.author == IDENT.public_key else K1
    return next_event(signer, author, previous, "test.note", {"fork": event.seq})


def _run(events: list[Event], author: bytes, batch: int, keys: KeyState | None) -> tuple:
    """Feed `events` as ingest does (a ChainError rejects that event, feeding goes on); return everything decided."""
    verifier = ChainVerifier(author, Mode.FULL, keys=keys, batch=batch)
    released: list[bytes] = []
    errors: list[tuple] = []
    for event in events:
        try:
            released += [e.id for e in verifier.feed(event)]
        except ChainError as exc:
            errors.append((event.id, exc.code, exc.field, str(exc)))
    released += [e.id for e in verifier.finish()]
    return (
        released,
        errors,
        verifier.bad_signatures,
        verifier.rejected,
        verifier.head,
        verifier.keys,
        verifier.rotations,
    )


def _mutated(log: list[Event], bad: set[int], broken: int | None, forks: set[int], signer) -> list[Event]:
    events = relinked(log, broken) if broken is not None else list(log)
    out: list[Event] = []
    for i, event in enumerate(events):
        out.append(bad_signature(event) if i in bad else event)
        if i in forks:  # the other version right after the first: it does not link to it
            out.append(_other_version(event, events[i - 1] if i else None, signer(i)))
    return out


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 40),
    bad=st.sets(st.integers(0, 39), max_size=6),
    broken=st.none() | st.integers(1, 39),
    forks=st.sets(st.integers(0, 39), max_size=3),
    batch=st.integers(2, 9),
)
def test_batched_and_one_at_a_time_decide_the_same(n: int, bad: set[int], broken: int | None, forks: set[int], batch: int):
    events = _mutated(BASE[:n], bad, broken, forks, lambda i: IDENT)
    assert _run(events, IDENT.public_key, batch, None) == _run(events, IDENT.public_key, 1, None)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    bad=st.sets(st.integers(0, 29), max_size=5),
    forks=st.sets(st.integers(0, 29), max_size=3),
    first=st.booleans(),
    batch=st.integers(2, 9),
)
def test_batched_and_one_at_a_time_decide_the_same_across_a_key_rotation(n, bad, forks, first, batch):
    # forks after the rotation are signed by the old key (a thief's) or the new one; the rotation's own signature
    # may be the bad one (then it does not link: a ChainError at its seq)
    events = _mutated(ROTATED[:n], bad, None, forks, lambda i: K1 if first or i + 1 < ROTATE_AT else K2)
    keys = KeyState.inception(K1.public_key)
    assert _run(events, K1.public_key, batch, keys) == _run(events, K1.public_key, 1, keys)


def test_a_batch_is_released_when_full_and_the_rest_by_finish():
    verifier = ChainVerifier(IDENT.public_key, Mode.FULL, batch=8)
    events = [bad_signature(e) if e.seq == 3 else e for e in BASE[:20]]
    released = [[e.seq for e in verifier.feed(e)] for e in events]
    assert released[7] == list(range(1, 9)) and released[15] == list(range(9, 17))
    assert sum(map(len, released)) == 16 and [e.seq for e in verifier.finish()] == [17, 18, 19, 20]
    assert [p.seq for p in verifier.bad_signatures] == [3] and verifier.head.seq == 20
