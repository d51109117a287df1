"""The one ingest decision: what a batch of peers' events does to the stored logs (docs/PROTOCOL.md, "Ingest").

Pure: the stored logs are read only through a `StoredLog` (events/stored_log.py) and the heads passed in; the
outcome is one `IngestResult`; the caller writes it (the memory replica at once, the node's store in one transaction, deciding
again if a concurrent writer took a position first). The auditor, which streams a whole source in its own
order, asks the same questions through `vouches`, `conflict_code` and the codes below.

Rejection codes, besides the chain's own (events.errors: `seq_gap`, `broken_link`, `timestamp_regression`,
`author_mismatch`, `chain_error`, `payload_mismatch`, `identity_error`):
- `bad_signature`: no signature at or after the event verifies (events.chain), so nothing vouches for it.
- `after_break`: it follows, in the batch, a seq at which no version links.
- `conflict`: it differs from the stored event at its seq and no signature on its run verifies (a forgery).
- `unproven_conflict`: it differs from the stored event at its seq and its run is signed, but the stored
  side has no verifying signature within MAX_RUN events, so no fork proof can be made.
- `fork_branch`: it differs from the stored event at its seq, both sides are signed: it is on the other
  branch of a proven fork (the proof is in `forks`, or one was already held). Reported in `forked`.
- `key_superseded` (§11.1): it differs from a stored event at its seq and a stored rotation at or below that seq
  (on the stored branch) supersedes it: the pre-rotation key's branch lost to the rotated one.

The auditor uses the same codes (it takes each author's events in seq order, as a batch is decided here).

Key rotation (docs/PROTOCOL.md §11, events/supersede.py): each author's events are verified from its key state at
the stored head (`StoredLog.key_change`), conflicts under the key in force at their seq; the key changes of stored
events are returned (`keys`) for the store to keep, and a valid rotation that differs from the stored event at its
seq and links below it supersedes the stored branch (`superseded`): the store drops that branch, then stores it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import ed25519
from .chain import ChainHead, ChainVerifier, Mode, Problem
from .errors import ChainError, EventError
from .event import Event, check_payload
from .fork import ForkProof, fork_proof_from_events
from .keystate import ROTATION_KIND, KeyState
from .outcome import (
    AFTER_BREAK,
    BAD_SIGNATURE,
    BRANCH_CODES,
    CONFLICT,
    FORK_BRANCH,
    FORK_CODES,
    UNPROVEN_CONFLICT,
    IngestResult,
    Outcome,
    Rejection,
)
from .runs import branch_from, group_by_author, linked, links_after, signed_run, vouches
from .stored_log import DecidedLog, StoredLog, key_state_at
from .supersede import KEY_KINDS, KEY_SUPERSEDED, KeyChange, Supersession, key_changes, valid_rotation

# the codes and result types live in events/outcome.py; other packages import them from here, with `decide`
__all__ = ["AFTER_BREAK", "BAD_SIGNATURE", "CONFLICT", "FORK_BRANCH", "FORK_CODES", "KEY_SUPERSEDED", "UNPROVEN_CONFLICT"]
__all__ += ["IngestResult", "Rejection", "StoredLog", "conflict_code", "decide", "decide_after", "key_state_at"]
__all__ += ["signed_run", "vouches"]


def conflict_code(signed: bool, provable: bool) -> str:
    """Return the code of an event that differs from the stored one at its seq (`signed`: its run is; `provable`:
    the stored side is signed too, or a fork of the author is already proven)."""
    if not signed:
        return CONFLICT
    return FORK_BRANCH if provable else UNPROVEN_CONFLICT


def decide(
    events: Iterable[Event],
    heads: Mapping[bytes, ChainHead],
    log: StoredLog,
    mode: Mode = Mode.HEAD,
    *,
    payloads_checked: bool = False,
) -> IngestResult:
    """Return what storing `events` (any authors, any order) after `heads` does; see the module docstring.

    `payloads_checked`: the caller decoded every event with events.event.event_from_parts (or a bundle reader), which
    checked each payload against its header already, so it is not hashed again (the import's decoding process).

    At a seq above the stored head the first version (in batch order) that links is taken and the versions after it
    are decided as if it were stored; other versions at a stored seq are conflicts, each with its branch in the batch.
    """
    out = Outcome()
    pending = list(events)
    view: StoredLog = log
    current = dict(heads)
    while pending:
        groups = group_by_author(pending)
        candidates = [
            e.id for author, evs in groups.items() if (h := current.get(author)) is not None for e in evs if e.header.seq <= h.seq
        ]
        known = view.known(candidates) if candidates else set()
        with_heads = [a for a in groups if a in current]
        keyed = view.key_heads(with_heads) if with_heads else {}
        stored_before = len(out.stored)
        pending = []
        for author, evs in groups.items():
            head, keys = current.get(author), keyed.get(author)
            pending += _decide_author(out, author, evs, mode, head, keys, known, view, payloads_checked)
        if pending:
            current.update((e.author, ChainHead.of(e)) for e in out.stored[stored_before:])
            view = DecidedLog(log, out.stored, out.keys, out.superseded)  # over the stored logs: no nesting per round
    return IngestResult(
        tuple(out.stored),
        out.duplicates,
        tuple(out.forks),
        tuple(out.forked),
        tuple(out.rejected),
        tuple(out.bad_signatures),
        tuple(out.keys),
        tuple(out.superseded),
    )


def decide_after(
    events: Iterable[Event],
    heads: Mapping[bytes, ChainHead],
    log: StoredLog,
    prior: IngestResult,
    mode: Mode = Mode.HEAD,
    *,
    payloads_checked: bool = False,
) -> IngestResult:
    """Return `decide(events, ...)` as it will be once `prior`, a decision over the same `heads` and `log` not yet
    written, is stored: its heads, events, key changes, supersessions and fork proofs laid over them.

    For a writer that decides one batch while it writes the one before (the import, node/commands/bundles.py); if
    writing `prior` fails, this decision is void and the batch is decided again against what was stored.
    """
    current = {**heads, **prior.heads()}
    forked = {p.author for p in prior.forks}
    view = DecidedLog(log, prior.stored, prior.keys, prior.superseded, forked)
    return decide(events, current, view, mode, payloads_checked=payloads_checked)


def _rejection(author: bytes, p: Problem) -> Rejection:
    return Rejection(author, p.seq, p.event_id, p.code, p.message)


def _decide_author(
    out: Outcome,
    author: bytes,
    evs: list[Event],
    mode: Mode,
    head: ChainHead | None,
    keyed: tuple[KeyChange, KeyChange | None] | None,
    known: set[bytes],
    log: StoredLog,
    payloads_checked: bool = False,
) -> list[Event]:
    """Decide one author's events (in seq order) into `out`; return the versions of a seq to decide in a later round
    (those after the version taken at a new seq, and those a rotation's supersession puts after the new head)."""
    unique: list[Event] = []
    later: list[Event] = []
    others: dict[int, list[Event]] = {}  # the versions after the first at a seq, in batch order
    at_seq: set[bytes] = set()  # the ids seen at unique[-1]'s seq
    for event in evs:
        if not payloads_checked:
            try:
                check_payload(event.header, event.payload, event.id)
            except EventError as exc:
                out.rejected.append(Rejection(author, event.seq, event.id, exc.code, str(exc)))
                continue
        seq = event.header.seq
        if unique and unique[-1].header.seq == seq:
            stored = head is not None and seq <= head.seq
            if stored and event.id in at_seq:  # (above the head, _decide_new tells a copy of the taken one)
                out.duplicates += 1
            else:
                at_seq.add(event.id)
                others.setdefault(seq, []).append(event)
            continue
        unique.append(event)
        at_seq = {event.id}
    try:
        ed25519.load_public_key(author)
    except EventError as exc:
        every = unique + [e for versions in others.values() for e in versions]
        out.rejected += [Rejection(author, e.seq, e.id, exc.code, f"author key is not acceptable: {exc}") for e in every]
        return later
    rejected, forked = len(out.rejected), len(out.forked)
    head_keys = keyed[0].state if keyed is not None else KeyState.inception(author)
    rotated = keyed[1] if keyed is not None else None
    first_new = 0
    for i, event in enumerate(unique):
        if head is None or event.seq > head.seq:
            break
        first_new = i + 1
        if event.id in known:
            out.duplicates += 1
            continue
        before = key_state_at(log, author, event.seq - 1)
        below = _superseded_below(out, event, before, rotated, log)
        if below is not None:  # a rotation takes over from this seq: the rest are new events after `below`
            head, head_keys, first_new = below, before, i
            break
        _stored_seq(out, unique, i, before, rotated, log)
    # the other versions at stored seqs, each against the stored event with the batch's events linked after it
    stored_seqs = [s for s in others if head is not None and s <= head.seq]
    links = links_after(evs) if stored_seqs else {}
    for seq in stored_seqs:
        for event in others.pop(seq):
            if event.id in known:
                out.duplicates += 1
                continue
            before = key_state_at(log, author, seq - 1)
            if event.header.kind == ROTATION_KIND and valid_rotation(before, event) is not None:
                later.append(event)  # a second valid rotation (it needs the committed key): decided in a later round
                continue
            _stored_seq(out, branch_from(event, links), 0, before, rotated, log)
    new = unique[first_new:]
    if new:
        decided = {r.event_id: r.code for r in (*out.rejected[rejected:], *out.forked[forked:]) if r.code in BRANCH_CODES}
        conflicts = {e.id: (decided[e.id], e) for e in evs if e.id in decided} if decided else {}
        later += _decide_new(out, author, new, others, mode, head, head_keys, conflicts)
    return later


def _stored_seq(out: Outcome, run: list[Event], i: int, before: KeyState, rotated: KeyChange | None, log: StoredLog) -> None:
    """Decide run[i], which differs from the stored event at its seq and supersedes nothing (`before`: keys below)."""
    event = run[i]
    if event.header.kind == ROTATION_KIND and valid_rotation(before, event) is not None:
        return  # a rotation that cannot supersede: decided (and reported) by _superseded_below
    if rotated is not None and rotated.seq <= event.seq and _superseded(run, i, rotated, log):
        message = f"the rotation at seq {rotated.seq} supersedes the pre-rotation key's events at or after it"
        out.rejected.append(Rejection(event.author, event.seq, event.id, KEY_SUPERSEDED, message))
        return
    _conflict(out, run, i, ed25519.load_public_key(before.key), log)


def _superseded(unique: list[Event], i: int, rotation: KeyChange, log: StoredLog) -> bool:
    """Return whether unique[i]'s run, at or after the stored `rotation`, is signed by the key before it, not after."""
    old = ed25519.load_public_key(key_state_at(log, rotation.author, rotation.seq - 1).key)
    new = ed25519.load_public_key(rotation.state.key)
    return signed_run(unique, i, new) is None and signed_run(unique, i, old) is not None


def _superseded_below(
    out: Outcome, event: Event, before: KeyState, rotated: KeyChange | None, log: StoredLog
) -> ChainHead | None:
    """If `event` (different from the stored one at its seq) is a valid rotation from `before` that supersedes the
    stored branch, note it and return the stored event below it as a ChainHead; a valid rotation that cannot
    supersede is rejected here; anything else returns None."""
    after = valid_rotation(before, event) if event.header.kind == ROTATION_KIND else None
    if after is None:
        return None
    author, seq = event.author, event.seq
    if rotated is not None and rotated.seq >= seq:
        message = f"a second valid rotation at or below the stored one at seq {rotated.seq}: a fork no rule settles"
        out.rejected.append(Rejection(author, seq, event.id, UNPROVEN_CONFLICT, message))
        return None
    below = log.stored_from(author, seq - 1)[:1]
    if not below or below[0].seq != seq - 1 or event.header.prev != below[0].id:
        message = "a valid rotation on a branch that parts from the stored log below its seq"
        out.rejected.append(Rejection(author, seq, event.id, UNPROVEN_CONFLICT, message))
        return None
    assert after.commitment is not None
    out.superseded.append(Supersession(author, seq, event.id, after.key, after.commitment))
    return ChainHead.of(below[0])


def _conflict(out: Outcome, unique: list[Event], i: int, key: Any, log: StoredLog) -> None:
    """Decide unique[i], which differs from the stored event at its seq: fork proof, fork branch or rejection."""
    event = unique[i]
    author = event.author
    theirs = signed_run(unique, i, key)
    proof: ForkProof | None = None
    provable = theirs is not None and (any(p.author == author for p in out.forks) or log.forked(author))
    why = ""
    if theirs is not None and not provable:
        stored = log.stored_from(author, event.seq)
        ours = signed_run(stored, 0, key) if stored else None
        try:
            proof = fork_proof_from_events(ours, theirs) if ours is not None else None
        except EventError as exc:
            why = f": {exc}"
        provable = proof is not None
    code = conflict_code(theirs is not None, provable)
    if code == FORK_BRANCH:
        if proof is not None:
            out.forks.append(proof)
        out.forked.append(Rejection(author, event.seq, event.id, code, f"on the other branch of the fork at seq {event.seq}"))
    elif code == CONFLICT:
        message = "differs from the stored event at this seq and no signature on its run verifies"
        out.rejected.append(Rejection(author, event.seq, event.id, code, message))
    else:
        message = f"differs from the stored event at this seq; no signed stored run to prove it{why}"
        out.rejected.append(Rejection(author, event.seq, event.id, code, message))


def _decide_new(
    out: Outcome,
    author: bytes,
    new: list[Event],
    others: Mapping[int, list[Event]],
    mode: Mode,
    head: ChainHead | None,
    keys: KeyState,
    conflicts: Mapping[bytes, tuple[str, Event]],
) -> list[Event]:
    """Decide the events after the stored head with events.chain, from the author's key state `keys` there: valid
    ones are stored (with their key changes), the rest rejected. At each seq the versions (`new`'s, then `others`')
    are tried in batch order and the first that links is taken: each one before it keeps its chain code, a copy of it
    is a duplicate, the versions after it are returned to be decided as if it were stored (or, if nothing vouches for
    it, are conflicts at once). An event that links to a conflicting version (`conflicts`: id -> its code and it)
    instead is on its branch and shares its code. Each version is tried once: work grows with the batch, not its square."""
    verifier = ChainVerifier(author, mode, head, keys=keys)
    released: list[Event] = []
    after_taken: dict[bytes, list[Event]] = {}  # the id of a version taken: the versions after it
    branch: dict[bytes, tuple[Event, bytes]] = {}  # an event on the branch of a version after a taken one: (it, root)
    tips: dict[bytes, Event] = {}  # the versions after a taken one and their branches, by id

    def off_chain(event: Event, code: str, message: str) -> None:
        prev = tips.get(event.header.prev) if event.header.prev is not None else None
        if prev is not None and linked(prev, event):
            root = branch[prev.id][1] if prev.id in branch else prev.id
            branch[event.id] = (event, root)
            tips[event.id] = event
        elif event.header.prev in shared and linked(shared[event.header.prev][1], event):
            shared[event.id] = (shared[event.header.prev][0], event)
            _on_branch(out, event, shared[event.id][0])
        else:
            out.rejected.append(Rejection(author, event.seq, event.id, code, message))

    shared = dict(conflicts)  # conflicting versions decided and the events linked after them: (code, the event)
    for i, first in enumerate(new):
        taken: Event | None = None
        for event in (first, *others.get(first.header.seq, ())):
            if taken is not None:
                if event.id == taken.id:
                    out.duplicates += 1
                else:
                    after_taken.setdefault(taken.id, []).append(event)
                    tips[event.id] = event
                continue
            try:
                released += verifier.feed(event)
                taken = event
            except ChainError as exc:
                off_chain(event, exc.code, str(exc))
        if taken is None:
            for version in (v for e in new[i + 1 :] for v in (e, *others.get(e.seq, ()))):
                off_chain(version, AFTER_BREAK, "follows a broken link")
            break
    released += verifier.finish()
    out.rejected += [_rejection(author, p) for p in verifier.rejected]
    out.bad_signatures += [_rejection(author, p) for p in verifier.bad_signatures]
    out.stored += released
    if verifier.rotations or any(e.header.kind in KEY_KINDS for e in released):
        out.keys += key_changes(keys, released)
    codes: dict[bytes, str] = {}
    unvouched = {p.event_id for p in verifier.rejected} & after_taken.keys()
    if unvouched:  # conflicts with a taken version that nothing vouched for, decided here: no round per version
        links = links_after(sorted([*new, *(v for vs in others.values() for v in vs)], key=lambda e: e.seq))
        key = ed25519.load_public_key((verifier.keys or keys).key)
        for versions in (after_taken.pop(taken_id) for taken_id in unvouched):
            for event in versions:
                codes[event.id] = conflict_code(signed_run(branch_from(event, links), 0, key) is not None, provable=False)
                message = "differs from the event taken at this seq, which no signature vouches for"
                out.rejected.append(Rejection(author, event.seq, event.id, codes[event.id], message))
    for event, root in branch.values():
        if root in codes:
            _on_branch(out, event, codes[root])
    return [v for versions in after_taken.values() for v in versions] + [e for e, root in branch.values() if root not in codes]


def _on_branch(out: Outcome, event: Event, code: str) -> None:
    """Note `event`, linked after a conflicting version above the stored head: it shares that version's `code`."""
    message = f"on the branch of a conflicting event at a lower seq ({code})"
    (out.forked if code == FORK_BRANCH else out.rejected).append(Rejection(event.author, event.seq, event.id, code, message))
