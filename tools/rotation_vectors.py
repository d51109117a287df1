"""The key-rotation vectors of docs/PROTOCOL.md §11 (docs/vectors/rotation.json), written by tools/make_vectors.py.

Each case is one author's records from the start of its log, checked from the inception key state in both
modes; both modes must agree (asserted here, and by tests/events/test_rotation.py when loading).
"""

from __future__ import annotations

import hashlib
from typing import Any

from events import Event, Identity, KeyState, Mode, encode_header, event_id, pack, signing_message, verify_chain
from events.header import Header

T0 = 1_700_000_000_000


def _seed(n: int) -> bytes:
    return hashlib.sha256(f"solnet rotation vector key {n}".encode()).digest()


def _h(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()


class _Log:
    """Builds one author's log event by event, each signed by whichever key the case says."""

    def __init__(self, author: Identity):
        self.author = author.public_key
        self.events: list[Event] = []

    def add(self, signer: Identity, kind: str, value: Any, *, payload: bool = True, signature: bytes | None = None) -> Event:
        body = pack(value)
        prev = self.events[-1] if self.events else None
        seq = prev.seq + 1 if prev else 1
        digest = hashlib.sha256(body).digest()
        header = Header(1, self.author, seq, prev.id if prev else None, T0 + 1000 * seq, kind, digest, len(body))
        header_bytes = encode_header(header)
        sig = signature if signature is not None else signer.sign(signing_message(header_bytes))
        event = Event(header, header_bytes, sig, body if payload else None, event_id(header_bytes))
        self.events.append(event)
        return event


def _expect(name: str, reason: str, log: _Log) -> dict:
    start = KeyState.inception(log.author)
    full, head = (verify_chain(log.events, log.author, mode, keys=start) for mode in (Mode.FULL, Mode.HEAD))
    assert [e.id for e in full.valid] == [e.id for e in head.valid], f"{name}: modes disagree"
    assert [(p.seq, p.code) for p in full.rejected] == [(p.seq, p.code) for p in head.rejected], name
    assert full.keys == head.keys and full.rotations == head.rotations, name
    return {
        "name": name,
        "reason": reason,
        "author": log.author.hex(),
        "records": [_record(e) for e in log.events],
        "valid_ids": [e.id.hex() for e in full.valid],
        "head_id": full.head.id.hex() if full.head else None,
        "rejected": [{"seq": p.seq, "code": p.code} for p in full.rejected],
        "full_mode_findings": [{"seq": p.seq, "code": p.code} for p in full.bad_signatures],
        "keys": {"key": full.keys.key.hex(), "commitment": full.keys.commitment.hex() if full.keys.commitment else None}
        if full.keys
        else None,
        "rotations": [{"seq": r.seq, "key": r.key.hex(), "next": r.next.hex()} for r in full.rotations],
    }


def _record(event: Event) -> str:
    from events import encode_record

    return encode_record(event).hex()


def _corrupt(signature: bytes) -> bytes:
    return signature[:40] + bytes([signature[40] ^ 0x01]) + signature[41:]


def rotation() -> dict:
    """Return the document of docs/vectors/rotation.json."""
    k1, k2, k3, k4 = (Identity.from_seed(_seed(n)) for n in (1, 2, 3, 4))
    note = "test.note"
    cases = []

    log = _Log(k1)
    log.add(k1, "key.commit", {"next": _h(k2.public_key)})
    log.add(k1, note, {"n": 2})
    log.add(k2, "key.rotate", {"key": k2.public_key, "next": _h(k3.public_key)})
    log.add(k2, note, {"n": 4})
    log.add(k3, "key.rotate", {"key": k3.public_key, "next": _h(k4.public_key)})
    log.add(k3, note, {"n": 6})
    cases.append(
        _expect(
            "valid_rotations",
            "commit at seq 1; rotate to the committed key at seq 3 (signed by it) and again at seq 5: all valid",
            log,
        )
    )

    log = _Log(k1)
    log.add(k1, "key.commit", {"next": _h(k2.public_key)})
    log.add(k4, "key.rotate", {"key": k4.public_key, "next": _h(k3.public_key)})
    log.add(k4, note, {"n": 3})
    cases.append(_expect("rotation_to_uncommitted_key", "seq 2 rotates to a key whose hash is not the commitment", log))

    log = _Log(k1)
    log.add(k1, note, {"n": 1})
    log.add(k2, "key.rotate", {"key": k2.public_key, "next": _h(k3.public_key)})
    cases.append(_expect("rotation_without_commitment", "seq 2 rotates although the author never committed", log))

    log = _Log(k1)
    log.add(k1, "key.commit", {"next": _h(k2.public_key)})
    log.add(k1, "key.commit", {"next": _h(k4.public_key)})
    log.add(k4, "key.rotate", {"key": k4.public_key, "next": _h(k3.public_key)})
    cases.append(
        _expect(
            "second_commit_refused",
            "seq 2 is a second key.commit signed by the current key (a thief's): refused, and the rotation to it too",
            log,
        )
    )

    log = _Log(k1)
    log.add(k1, "key.commit", {"next": _h(k2.public_key)})
    log.add(k2, "key.rotate", {"key": k2.public_key, "next": _h(k3.public_key)})
    log.add(k1, note, {"n": 3})
    cases.append(_expect("old_key_after_rotation", "seq 3 is signed by the pre-rotation key: no signature vouches for it", log))

    log = _Log(k1)
    log.add(k1, "key.commit", {"next": _h(k2.public_key)})
    log.add(k2, "key.rotate", {"key": k2.public_key, "next": _h(k3.public_key)})
    log.events[-1] = _with_signature(log.events[-1], _corrupt(log.events[-1].signature))
    log.add(k2, note, {"n": 3})
    cases.append(
        _expect(
            "head_only_forged_rotation",
            "seq 2's rotation has a bad own signature; seq 3 is signed by the new key and would vouch for it: "
            "both modes reject seq 2 (bad_rotation) and seq 3",
            log,
        )
    )

    log = _Log(k1)
    log.add(k1, "key.commit", {"next": _h(k2.public_key)}, payload=False)
    log.add(k1, note, {"n": 2})
    cases.append(_expect("commit_payload_dropped", "a key.commit without its payload cannot be verified", log))
    return {"cases": cases, "ingest": _ingest_cases(k1, k2, k3)}


def _ingest_cases(k1: Identity, k2: Identity, k3: Identity) -> list[dict]:
    """§11.1 at ingest: a stored log, then incoming events decided by events.ingest.decide (stolen key k1)."""
    note, rotate = "test.note", {"key": k2.public_key, "next": _h(k3.public_key)}
    cases = []

    thief = _Log(k1)
    thief.add(k1, "key.commit", {"next": _h(k2.public_key)})
    thief.add(k1, note, {"n": 2})
    group = _fork_of(thief)
    thief.add(k1, note, {"thief": 3})
    thief.add(k1, note, {"thief": 4})
    group.add(k2, "key.rotate", rotate)
    group.add(k2, note, {"n": 4})
    cases.append(
        _ingest(
            "rotation_supersedes_stolen_branch",
            "the thief's seq 3-4 are stored; the group's rotation at seq 3 links to seq 2: it supersedes them",
            thief.events,
            group.events[2:],
        )
    )
    cases.append(
        _ingest(
            "old_key_branch_after_rotation_superseded",
            "the rotated log is stored; the thief's seq 3-4 (pre-rotation key, linked to seq 2) arrive: key_superseded",
            group.events,
            thief.events[2:],
        )
    )
    parted = _fork_of(thief, 2)
    parted.add(k1, note, {"group": 3})
    parted.add(k2, "key.rotate", rotate)
    cases.append(
        _ingest(
            "rotation_on_a_branch_parted_below",
            "the thief's seq 3-4 are stored; the group's seq 3 (old key) is a fork and its rotation at seq 4 does not "
            "link to the stored seq 3: it cannot supersede (unproven_conflict)",
            thief.events,
            parted.events[2:],
        )
    )
    signed_by_old = _fork_of(group, 3)
    signed_by_old.add(k1, note, {"thief": 4})
    cases.append(
        _ingest(
            "old_key_event_on_the_rotated_branch",
            "seq 4 links to the rotation but is signed by the pre-rotation key: no signature vouches for it",
            group.events[:3],
            signed_by_old.events[3:],
        )
    )
    return cases


def _fork_of(log: _Log, upto: int | None = None) -> _Log:
    other = _Log.__new__(_Log)
    other.author = log.author
    other.events = list(log.events[:upto] if upto is not None else log.events)
    return other


def _ingest(name: str, reason: str, stored: list[Event], incoming: list[Event]) -> dict:
    import asyncio

    from protocol.replica import MemoryReplica

    async def run() -> dict:
        replica = MemoryReplica(Mode.FULL)
        first = await replica.ingest(stored)
        assert len(first.stored) == len(stored) and not first.rejected, name
        outcomes = {}
        for mode in (Mode.FULL, Mode.HEAD):
            replica = MemoryReplica(mode)
            await replica.ingest(stored)
            result = await replica.ingest(incoming)
            author = stored[0].author
            log = await replica.read_log(author, 1, 100)
            keys = replica.key_change(author, 2**63 - 1)
            outcomes[mode] = {
                "log_ids": [e.id.hex() for e in log],
                "superseded": [{"seq": s.seq, "rotation": s.rotation_id.hex()} for s in result.superseded],
                "dropped_ids": [e.id.hex() for e in replica.superseded],
                "rejected": [{"seq": r.seq, "code": r.code} for r in result.rejected],
                "forked": [{"seq": r.seq, "code": r.code} for r in result.forked],
                "key": keys.state.key.hex() if keys else None,
            }
        assert outcomes[Mode.FULL] == outcomes[Mode.HEAD], f"{name}: modes disagree"
        return outcomes[Mode.FULL]

    expected = asyncio.run(run())
    return {
        "name": name,
        "reason": reason,
        "stored": [_record(e) for e in stored],
        "incoming": [_record(e) for e in incoming],
        **expected,
    }


def _with_signature(event: Event, signature: bytes) -> Event:
    return Event(event.header, event.header_bytes, signature, event.payload, event.id)


__all__ = ["rotation"]
