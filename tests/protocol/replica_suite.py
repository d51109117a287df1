"""One ingest contract for every protocol.Replica; each backend's module subclasses it and overrides `open_replica`.

Like the store's StoreSuite: the abstract case holds every test, a subclass supplies only how to open a fresh,
empty replica. The verdicts are events.ingest.decide's, so every replica must give exactly these results.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from events import Event, Identity, create_event_from_value, decode_record
from events.event import signing_message
from events.ingest import FORK_CODES
from protocol import Replica
from protocol.ranges import KeyRange, SortedHeads

T0 = 1_700_000_000_000
VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors"
ROTATION_INGEST = json.loads((VECTORS / "rotation.json").read_text())["ingest"]


def ident(n: int) -> Identity:
    """Return the deterministic identity number `n`."""
    return Identity.from_seed(bytes([n]) * 32)


def log_of(author: Identity, count: int, *, start: Event | None = None, tag: str = "") -> list[Event]:
    """Return `count` signed events of `author` continuing after `start`."""
    events: list[Event] = []
    previous = start
    for _ in range(count):
        seq = 1 if previous is None else previous.seq + 1
        previous = create_event_from_value(
            author, kind="note.test", value={"t": f"{tag}{seq}"}, timestamp=T0 + seq, previous=previous
        )
        events.append(previous)
    return events


def unsign(event: Event) -> Event:
    """Return the event with a signature that does not verify."""
    return replace(event, signature=bytes(64))


def codes(result) -> list[tuple[int, str]]:
    """Return the (seq, code) of every rejection, in order."""
    return [(r.seq, r.code) for r in result.rejected]


class ReplicaSuite:
    """Every ingest case; a subclass overrides `open_replica` (an async context yielding a fresh replica)."""

    def open_replica(self, tmp_path: Path):
        raise NotImplementedError

    @pytest.fixture
    async def replica(self, tmp_path: Path) -> AsyncIterator[Replica]:
        async with self.open_replica(tmp_path) as replica:
            yield replica

    async def _ids(self, replica: Replica, author: Identity) -> list[bytes]:
        return [e.id for e in await replica.read_log(author.public_key, 1, 1000)]

    # -- the sorted view reconciliation reads -----------------------------------------------------------------

    async def test_frontier_ranges_and_fingerprints_follow_what_is_stored(self, replica: Replica):
        logs = [log_of(ident(40 + i), 1 + i % 3) for i in range(24)]
        await replica.ingest([e for log in logs[:16] for e in log])
        await self._check_view(replica)
        newer = log_of(ident(40), 2, start=logs[0][-1])  # a newer head of a known author, and new authors
        await replica.ingest([e for log in logs[16:] for e in log] + newer)
        await self._check_view(replica)
        assert (await replica.heads_of([ident(40).public_key]))[ident(40).public_key].id == newer[-1].id

    async def _check_view(self, replica: Replica) -> None:
        heads = await replica.heads()
        expected = SortedHeads(heads.values())
        probe = sorted(heads)[len(heads) // 2]
        ranges = [
            KeyRange.root(),
            *KeyRange.root().children(),
            KeyRange(8, probe[:1]),
            KeyRange(12, probe[:1] + bytes([probe[1] & 0xF0])),
            KeyRange(16, probe[:2]),
            KeyRange(20, probe[:2] + bytes([probe[2] & 0xF0])),
            KeyRange(256, probe),
            KeyRange(256, bytes(32)),
        ]
        assert await replica.fingerprints(ranges) == await expected.fingerprints(ranges)
        assert await replica.head_ranges(ranges, 100) == await expected.head_ranges(ranges, 100)
        assert await replica.head_ranges([KeyRange.root()], 5) == [[heads[a] for a in sorted(heads)[:5]]]
        assert await replica.heads_of([probe, bytes([1]) * 32]) == {probe: heads[probe]}

    # -- new events ------------------------------------------------------------------------------------------

    async def test_new_run_in_any_order_is_stored_in_seq_order(self, replica: Replica):
        a, b = ident(1), ident(2)
        la, lb = log_of(a, 4), log_of(b, 3)
        result = await replica.ingest([lb[2], la[1], lb[0], la[0], la[3], lb[1], la[2]])
        assert result.rejected == () and result.duplicates == 0 and result.forks == ()
        assert [e.seq for e in result.stored if e.author == a.public_key] == [1, 2, 3, 4]
        heads = await replica.heads()
        assert (heads[a.public_key].id, heads[b.public_key].id) == (la[3].id, lb[2].id)
        assert await self._ids(replica, b) == [e.id for e in lb]

    async def test_duplicates_stored_or_within_the_batch_are_counted(self, replica: Replica):
        author = ident(3)
        log = log_of(author, 5)
        await replica.ingest(log[:3])
        result = await replica.ingest([*log, log[4]])
        assert result.duplicates == 4 and [e.seq for e in result.stored] == [4, 5] and result.rejected == ()
        again = await replica.ingest(log)
        assert again.stored == () and again.duplicates == 5 and again.rejected == () and again.forked == ()

    async def test_gap_rejects_the_rest_of_the_batch(self, replica: Replica):
        author = ident(4)
        log = log_of(author, 6)
        await replica.ingest(log[:2])
        result = await replica.ingest(log[3:])
        assert codes(result) == [(4, "seq_gap"), (5, "after_break"), (6, "after_break")] and result.stored == ()
        assert [r.code for r in result.misbehaviour] == ["seq_gap"]

    async def test_broken_link_then_after_break(self, replica: Replica):
        author, stranger = ident(5), log_of(ident(6), 1)[0]
        log = log_of(author, 2)
        await replica.ingest(log[:1])
        broken = log_of(author, 2, start=replace(log[0], id=stranger.id))
        result = await replica.ingest(broken)
        assert codes(result) == [(2, "broken_link"), (3, "after_break")] and result.misbehaviour == ()
        assert await self._ids(replica, author) == [log[0].id]

    async def test_bad_signature_vouched_is_stored_unvouched_is_rejected(self, replica: Replica):
        author = ident(7)
        log = log_of(author, 4)
        alone = await replica.ingest([log[0], unsign(log[1])])
        assert [e.seq for e in alone.stored] == [1] and codes(alone) == [(2, "bad_signature")]
        assert [r.code for r in alone.misbehaviour] == ["bad_signature"]
        vouched = await replica.ingest([unsign(log[1]), log[2]])
        assert [e.seq for e in vouched.stored] == [2, 3] and vouched.rejected == ()

    async def test_bad_payload_is_rejected(self, replica: Replica):
        author = ident(8)
        log = log_of(author, 2)
        result = await replica.ingest([log[0], replace(log[1], payload=b"\xc4\x00")])
        assert [e.seq for e in result.stored] == [1] and codes(result) == [(2, "payload_mismatch")]

    async def test_unacceptable_author_key_rejects_every_event(self, replica: Replica):
        case = json.loads((VECTORS / "chain.json").read_text())["small_order_author"]
        event = decode_record(bytes.fromhex(case["records"][0]))
        result = await replica.ingest([event])
        assert codes(result) == [(1, "identity_error")] and result.stored == ()
        assert event.author not in await replica.heads()

    # -- conflicts and forks ---------------------------------------------------------------------------------

    async def test_conflicting_signed_run_becomes_one_fork_proof_per_author(self, replica: Replica):
        author = ident(9)
        base = log_of(author, 3)
        branch_a, branch_b = log_of(author, 2, start=base[-1], tag="a"), log_of(author, 2, start=base[-1], tag="b")
        await replica.ingest(base + branch_a)
        result = await replica.ingest(branch_b)
        assert len(result.forks) == 1 and result.forks[0].seq == 4 and result.stored == () and result.rejected == ()
        assert {result.forks[0].id_a, result.forks[0].id_b} == {branch_a[0].id, branch_b[0].id}
        assert [(r.seq, r.code) for r in result.forked] == [(4, "fork_branch"), (5, "fork_branch")]
        assert await self._ids(replica, author) == [e.id for e in base + branch_a]
        assert [p.author for p in await replica.fork_proofs()] == [author.public_key]

    async def test_redelivery_after_a_fork_and_a_second_fork_add_no_proof(self, replica: Replica):
        author = ident(10)
        base = log_of(author, 4)
        await replica.ingest(base)
        first = log_of(author, 1, start=base[1], tag="x")
        assert len((await replica.ingest(first)).forks) == 1
        again = await replica.ingest(first)
        assert again.forks == () and again.rejected == () and [r.code for r in again.forked] == ["fork_branch"]
        other = log_of(author, 1, start=base[0], tag="y")
        later = await replica.ingest(other)
        assert later.forks == () and [r.code for r in later.forked] == ["fork_branch"] and later.misbehaviour == ()
        assert len(await replica.fork_proofs([author.public_key])) == 1
        assert await self._ids(replica, author) == [e.id for e in base]

    async def test_conflict_with_no_signature_is_a_forgery(self, replica: Replica):
        author, forger = ident(11), ident(12)
        log = log_of(author, 3)
        await replica.ingest(log)
        other = log_of(author, 1, start=log[0], tag="x")[0]
        forged = replace(other, signature=forger.sign(signing_message(other.header_bytes)))
        for bad in (unsign(other), forged):
            result = await replica.ingest([bad])
            assert codes(result) == [(2, "conflict")] and result.forks == () and result.forked == ()
            assert [r.code for r in result.misbehaviour] == ["conflict"]
        assert await replica.fork_proofs() == []

    async def test_unsigned_conflict_of_a_forked_author_is_still_a_forgery(self, replica: Replica):
        author = ident(13)
        base = log_of(author, 3)
        await replica.ingest(base)
        await replica.ingest(log_of(author, 1, start=base[1], tag="x"))
        result = await replica.ingest([unsign(log_of(author, 1, start=base[0], tag="y")[0])])
        assert codes(result) == [(2, "conflict")] and result.forked == ()

    async def test_conflict_whose_stored_side_is_not_signed_nearby_is_unproven(self, replica: Replica):
        author = ident(14)
        # seqs 2..67 have bad own signatures, vouched for by 68's: valid, but no stored side of 64 ends signed
        log = [e if e.seq in (1, 68) else unsign(e) for e in log_of(author, 68)]
        assert len((await replica.ingest(log)).stored) == 68
        result = await replica.ingest(log_of(author, 1, start=log[0], tag="x"))
        assert codes(result) == [(2, "unproven_conflict")] and result.forks == ()
        assert result.misbehaviour == () and "unproven_conflict" in FORK_CODES

    async def test_two_versions_of_a_seq_in_one_batch(self, replica: Replica):
        author = ident(15)
        log = log_of(author, 3)
        other = log_of(author, 1, start=log[0], tag="x")[0]
        result = await replica.ingest([*log, other])
        assert [e.seq for e in result.stored] == [1, 2, 3] and result.rejected == ()
        assert len(result.forks) == 1 and [r.seq for r in result.forked] == [2]
        assert await self._ids(replica, author) == [e.id for e in log]

    async def test_the_other_branch_after_the_head_shares_the_conflicts_code(self, replica: Replica):
        author = ident(16)
        base = log_of(author, 2)
        await replica.ingest(base + log_of(author, 1, start=base[-1], tag="a"))
        branch = log_of(author, 3, start=base[-1], tag="b")  # seq 3 conflicts, 4 and 5 follow it, not our head
        result = await replica.ingest(branch)
        assert [(r.seq, r.code) for r in result.forked] == [(3, "fork_branch"), (4, "fork_branch"), (5, "fork_branch")]
        assert len(result.forks) == 1 and result.rejected == ()
        forged = [unsign(e) for e in log_of(author, 3, start=base[-1], tag="c")]  # nothing on it verifies: a forgery
        assert codes(await replica.ingest(forged)) == [(3, "conflict"), (4, "conflict"), (5, "conflict")]
        apart = log_of(author, 2, start=base[-1], tag="d")  # the branch's next event in a batch of its own
        await replica.ingest(apart[:1])
        assert codes(await replica.ingest(apart[1:])) == [(4, "broken_link")]  # (at our head + 1: a fork probe)

    async def test_the_first_version_of_a_seq_that_links_is_taken(self, replica: Replica):
        author, stranger = ident(17), log_of(ident(18), 1)[0]
        log = log_of(author, 4)
        await replica.ingest(log[:1])
        stray = log_of(author, 1, start=replace(log[0], id=stranger.id), tag="s")[0]  # seq 2, prev is not log[0]'s id
        other = log_of(author, 1, start=log[0], tag="o")[0]  # seq 2, links, signed: after the taken one, a fork
        result = await replica.ingest([stray, log[1], log[1], other, *log[2:]])
        assert [e.seq for e in result.stored] == [2, 3, 4] and codes(result) == [(2, "broken_link")]
        assert result.duplicates == 1 and [r.seq for r in result.forked] == [2] and len(result.forks) == 1
        assert await self._ids(replica, author) == [e.id for e in log]

    async def test_many_versions_of_one_seq_in_a_pushed_batch(self, replica: Replica):
        author, stranger = ident(19), log_of(ident(20), 1)[0]
        log = log_of(author, 4)
        await replica.ingest(log[:2])
        strays = [log_of(author, 1, start=replace(log[1], id=stranger.id), tag=f"s{i}")[0] for i in range(400)]
        unsigned = [unsign(log_of(author, 1, start=log[1], tag=f"u{i}")[0]) for i in range(400)]
        result = await replica.ingest([*strays, log[2], *unsigned, log[3]])
        assert [e.seq for e in result.stored] == [3, 4] and result.forks == () and result.forked == ()
        assert codes(result) == [(3, "broken_link")] * 400 + [(3, "conflict")] * 400
        alone = await replica.ingest([*unsigned, log_of(author, 1, start=log[3], tag="n")[0]])
        assert codes(alone) == [(3, "conflict")] * 400 and [e.seq for e in alone.stored] == [5]

    # -- key rotation (docs/PROTOCOL.md §11.1; vectors in docs/vectors/rotation.json, "ingest") ------------------

    @pytest.mark.parametrize("name", [c["name"] for c in ROTATION_INGEST])
    async def test_rotation_ingest_vectors(self, replica: Replica, name: str):
        case = next(c for c in ROTATION_INGEST if c["name"] == name)
        stored = [decode_record(bytes.fromhex(r)) for r in case["stored"]]
        first = await replica.ingest(stored)
        assert len(first.stored) == len(stored) and not first.rejected
        result = await replica.ingest([decode_record(bytes.fromhex(r)) for r in case["incoming"]])
        author = stored[0].author
        assert [e.id.hex() for e in await replica.read_log(author, 1, 100)] == case["log_ids"]
        assert [{"seq": s.seq, "rotation": s.rotation_id.hex()} for s in result.superseded] == case["superseded"]
        assert [{"seq": r.seq, "code": r.code} for r in result.rejected] == case["rejected"]
        assert [{"seq": r.seq, "code": r.code} for r in result.forked] == case["forked"]
        assert (await replica.heads())[author].id.hex() == case["log_ids"][-1]
        assert not result.misbehaviour or all(r.code == "bad_signature" for r in result.misbehaviour)
