"""The audit engine: partition authors over worker processes, check and replay each partition, merge.

Every worker streams the whole source, but decodes, verifies and replays only the authors with
`crc32(author) % W == worker` (`partition`). Read models are a pure function of each author's log (links
across authors are joined at read time), so partitions replay independently into per-worker scratch
stores, which end as spill files of digest entries in key buckets (audit/spill.py); each worker hashes its own
authors' group digests from its spill, and the main process combines them into the state digest (version 2). For
version 1, worker i then sorts key range i of every worker's spill into a merged file of entries, which the main
process hashes in order. W = 1 runs in this process and gives the same report.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from events import Event, EventError, ForkProof, Mode, group_id_text
from events.bundle import BadItem, BundleReader, Select
from events.errors import BundleError
from events.readmodel.digest import combine_groups, digest_of
from events.readmodel.projection import project

from . import report as r
from .author import AuthorLog, Reorder, SignatureBatch, SignatureRecheck
from .errors import AuditError, SourceError
from .findings import Findings
from .scratch import ScratchView
from .sorter import EventSorter
from .sources import BundleFile, NodeUrl, Source, resolve
from .spill import MIN_BUCKETS, Merged, Spill, buckets_for, merge_range, merged_entries, spill_group_digests

# The careful head-only pass (after the fast path met a bad signature) verifies one signature per run of up
# to this many events of an author, holding the run in memory until then: fewer signatures the longer the
# run, more memory the more authors hold one.
HEAD_CHECKPOINT = 256
HEAD_CHECKPOINT_MIN = 16
HELD_BUDGET = 32_768  # events held across all authors' runs, as far as the minimum run allows
SMALL_SOURCE = 4 << 20
Progress = Callable[[int, int | None], None]


@dataclass(slots=True)
class Partial:
    """What one worker returns: its findings, counters, the spill of its documents' digest entries and its authors'
    group digests (state digest version 2), ascending by author."""

    findings: Findings
    items: int = 0
    events: int = 0
    valid: int = 0
    node: str | None = None
    damage: str | None = None
    error: str | None = None
    spill: Spill | None = None
    groups: list[tuple[bytes, bytes]] | None = None


def run_partition(
    source: Source, mode: Mode, worker: int, workers: int, scratch: str, offsets=None, buckets: int = MIN_BUCKETS
) -> Partial:
    """Audit this worker's share of `source`; return its findings, the spill of its documents' entries and their group digests.

    It first takes the fast path (audit/author.py), streaming each author's events in source order; if a signature
    that path relied on does not verify, the partition is audited again from the start, checking each signature
    before the events it vouches for; if an author's events are not in seq order, again from a sorted copy
    (audit/sorter.py).
    """
    optimistic, ordered = True, False
    while True:
        try:
            return _replay_partition(source, mode, worker, workers, scratch, offsets, buckets, optimistic, ordered)
        except SignatureRecheck:
            optimistic = False
        except Reorder:
            ordered = True


def _replay_partition(
    source: Source, mode: Mode, worker: int, workers: int, scratch: str, offsets, buckets: int, optimistic: bool, ordered: bool
) -> Partial:
    view = ScratchView(scratch, buckets=buckets)
    sorter = EventSorter(scratch + ".sort") if ordered else None
    try:
        return _replay(source, mode, worker, workers, view, offsets, SignatureBatch() if optimistic else None, sorter)
    except (SignatureRecheck, Reorder):
        view.discard()
        raise
    finally:
        if sorter is not None:
            sorter.close()


def _replay(
    source: Source,
    mode: Mode,
    worker: int,
    workers: int,
    view: ScratchView,
    offsets,
    signatures: SignatureBatch | None,
    sorter: EventSorter | None = None,
) -> Partial:
    findings = Findings()
    part = Partial(findings)
    logs: dict[bytes, AuthorLog] = {}

    def on_valid(event: Event) -> None:
        part.valid += 1
        if event.payload is None:
            findings.redaction(event)
            return
        changes = project(event, view)
        if changes:
            view.apply(changes)
            return
        findings.payload_problem_of(event)  # project() gives no changes: say why

    def take(index: int, value: Event) -> None:
        author = value.header.author  # (not the `author` property: this runs for every event)
        log = logs.get(author, _MISSING)
        if log is _MISSING:
            checkpoint = checkpoint_for(len(logs))
            log = logs[author] = _author_log(value, mode, findings, view, on_valid, checkpoint, signatures)
        if log is None:
            group = group_id_text(value.author)
            findings.invalid(group, value.seq, value.id, index, "identity_error", "the author key is not acceptable")
        else:
            log.add(index, value)

    # only worker 0 hashes the bundle and checks its trailer, the others leave it to worker 0
    reader = BundleReader(source.chunks(), select=partition(worker, workers), check_trailer=worker == 0)
    try:
        for n, (index, value) in enumerate(reader.items()):
            if type(value) is Event:
                part.events += 1
                if sorter is None:
                    take(index, value)
                else:
                    sorter.add(index, value)
            elif isinstance(value, ForkProof):
                findings.fork(group_id_text(value.author), value.author, value.seq, value.id_a, value.id_b, "fork_proof")
            elif isinstance(value, BadItem):
                error = value.error
                findings.bad_items.append(r.BadItem(value.index, error.code, error.field, str(error)))
            if offsets is not None and n % 512 == 0:
                offsets(worker, reader.offset)
    except BundleError as exc:
        # broken before its head was read, the source is not a bundle at all; after, it is damaged
        if reader.head is None:
            part.error = str(exc)
        else:
            part.damage = str(exc)
    except SourceError as exc:
        part.error = str(exc)
    if sorter is not None:
        # one author at a time, each finished before the next: only one log's state is open
        current = None
        for index, value in sorter.events():
            if value.header.author != current:
                _finish(logs)
                current = value.header.author
            take(index, value)
    part.items = reader.count if reader.count is not None else 0
    part.node = reader.head.node if reader.head else None
    _finish(logs)
    if signatures is not None:
        signatures.flush()
    part.spill = view.seal()
    view.commit()
    view.close()
    part.groups = spill_group_digests(part.spill)  # every author is this worker's alone: its group digests are final
    if offsets is not None:
        offsets(worker, reader.offset)
    return part


_MISSING = object()


def _finish(logs: dict[bytes, AuthorLog | None]) -> None:
    """Finish every open log and forget it."""
    for log in logs.values():
        if log is not None:
            log.finish()
    logs.clear()


def partition(worker: int, workers: int) -> Select | None:
    """Return the BundleReader selection of the items of `worker` (of `workers`), None for all items.

    An item goes to worker crc32(author) % workers, stable across processes and runs (b"" for an item
    that claims no author).
    """
    if workers == 1:
        return None
    crc32 = zlib.crc32  # a local: this runs for every item of the bundle in every worker
    return lambda author: crc32(author) % workers == worker


def checkpoint_for(authors: int) -> int:
    """Return the head-only checkpoint of the next author's log when `authors` logs are open already."""
    return max(HEAD_CHECKPOINT_MIN, min(HEAD_CHECKPOINT, HELD_BUDGET // (authors + 1)))


def _author_log(
    event: Event, mode: Mode, findings: Findings, view: ScratchView, on_valid, checkpoint: int, signatures
) -> AuthorLog | None:
    try:
        return AuthorLog(event.author, mode, findings, view, on_valid, checkpoint, signatures=signatures)
    except EventError:
        return None


_SHARED = None


def _init_worker(shared) -> None:
    global _SHARED
    _SHARED = shared


def _report_offset(worker: int, offset: int) -> None:
    _SHARED[worker] = offset


def _worker_main(args: tuple) -> Partial:
    source, mode, worker, workers, scratch, buckets = args
    return run_partition(source, mode, worker, workers, scratch, _report_offset, buckets)


def merge_ranges(spills: list[Spill], ranges: int, buckets: int, directory: str | Path) -> list[Merged]:
    """Sort every key range of `spills` in this process (a worker pool sorts one range per worker)."""
    return [merge_range(spills, rng, ranges, buckets, Path(directory) / f"merged-{rng}.bin") for rng in range(ranges)]


def default_workers() -> int:
    """Return how many worker processes a full audit uses by default: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def audit(
    source: str | Source | NodeUrl,
    *,
    fast: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    digest_v1: bool = False,
) -> r.AuditReport:
    """Return the report of auditing `source` (a bundle file's path, a Source, a NodeUrl); raise SourceError if unreadable.

    The report's `digest` is the state digest version 2; `digest_v1` also computes version 1 (docs/KINDS.md),
    which URL audits always do (the node may be from before version 2)."""
    src = resolve(source) if isinstance(source, str) else source
    if isinstance(src, NodeUrl):
        return _audit_url(src, fast=fast, workers=workers, progress=progress)
    mode = Mode.HEAD if fast else Mode.FULL
    total = src.size()
    if workers is None:
        # starting worker processes costs more than it saves on small bundles
        workers = 1 if total is not None and total < SMALL_SOURCE else default_workers()
    count = max(1, workers)
    with tempfile.TemporaryDirectory(prefix="solnet-audit-") as tmp:
        scratches = [str(Path(tmp) / f"worker-{i}.sqlite") for i in range(count)]
        buckets = buckets_for(total)
        if count == 1:
            callback = None if progress is None else (lambda _w, offset: progress(offset, total))
            parts = [run_partition(src, mode, 0, 1, scratches[0], callback, buckets)]
            _raise_source_errors(parts)
            merged = merge_ranges([parts[0].spill], 1, buckets, tmp) if digest_v1 else []
        else:
            parts, merged = _run_workers(src, mode, count, scratches, buckets, total, progress, digest_v1)
        forked = set().union(*(p.findings.forked for p in parts))
        # every author is replayed by one worker, which hashed its group digest: here only ~one pair per group
        groups = sorted(pair for part in parts for pair in part.groups or ())
        v1 = digest_of(merged_entries(merged), forked) if digest_v1 else None
    report = _merge(src, mode, parts, combine_groups(groups, forked))
    by_group = {group_id_text(author): value.hex() for author, value in groups}
    summaries = tuple(replace(g, digest=by_group.get(g.group)) for g in report.groups)
    return replace(report, digest_v1=v1, groups=summaries)


def _audit_url(src: NodeUrl, *, fast: bool, workers: int | None, progress: Progress | None) -> r.AuditReport:
    from .remote import fetch  # the protocol is needed only here; workers stay small without it

    with tempfile.TemporaryDirectory(prefix="solnet-audit-fetch-") as tmp:
        path = Path(tmp) / "fetched.solnet"
        fetched = fetch(src, path)
        report = audit(BundleFile(str(path)), fast=fast, workers=workers, progress=progress, digest_v1=True)
    notes = list(report.notes)
    if fetched.digest_after is None:
        notes.append("the node did not advertise a state digest (GET /api/v1/digest)")
    elif fetched.digest_before != fetched.digest_after:
        notes.append("the node's state changed while its log was fetched; its digest was taken after the fetch")
    return replace(
        report, source=src.path, source_kind=src.kind, node=src.path, advertised_digest=fetched.digest_after, notes=tuple(notes)
    )


def _start_method() -> str:
    # Forking skips a fresh interpreter's start and imports (~0.1 s a worker), but is only safe while this
    # process runs a single thread (a lock held by another thread would stay held in the child).
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _raise_source_errors(parts: list[Partial]) -> None:
    for part in parts:
        if part.error is not None:
            raise SourceError(part.error)


def _run_workers(
    src: Source,
    mode: Mode,
    count: int,
    scratches: list[str],
    buckets: int,
    total: int | None,
    progress: Progress | None,
    entries: bool = True,
) -> tuple[list[Partial], list[Merged]]:
    """Audit the partitions in `count` processes; for `entries` (version 1), then sort key range i of every spill in process i."""
    ctx = multiprocessing.get_context(_start_method())
    shared = ctx.Array("q", count, lock=False)
    # a process pool that fails (BrokenProcessPool) instead of hanging when a worker dies
    with ProcessPoolExecutor(count, mp_context=ctx, initializer=_init_worker, initargs=(shared,)) as pool:
        futures = [pool.submit(_worker_main, (src, mode, i, count, scratches[i], buckets)) for i in range(count)]
        while not all(f.done() for f in futures):
            wait(futures, timeout=0.2, return_when=FIRST_EXCEPTION)
            if any(f.done() and f.exception() is not None for f in futures):
                break
            if progress is not None:
                progress(min(shared), total)
        try:
            parts = [f.result() for f in futures]
            _raise_source_errors(parts)
            if not entries:
                return parts, []
            spills = [part.spill for part in parts]
            directory = Path(scratches[0]).parent
            paths = [str(directory / f"merged-{rng}.bin") for rng in range(count)]
            return parts, list(pool.map(merge_range, [spills] * count, range(count), [count] * count, [buckets] * count, paths))
        except BrokenProcessPool as exc:
            raise AuditError(f"an audit worker process died: {exc}") from None


def _merge(src: Source, mode: Mode, parts: list[Partial], digest: str) -> r.AuditReport:
    lead = parts[0]
    findings = [p.findings for p in parts]

    def gather(name: str, key) -> tuple:
        return tuple(sorted((x for f in findings for x in getattr(f, name)), key=key))

    forks: dict[tuple, r.Fork] = {}
    for fork in sorted((x for f in findings for x in f.forks), key=lambda f: (f.group, f.seq, f.event_a, f.event_b, f.source)):
        key = (fork.group, fork.seq, fork.event_a, fork.event_b)
        old = forks.get(key)
        if old is None:
            forks[key] = fork
        elif fork.source not in old.source.split("+"):
            forks[key] = r.Fork(old.group, old.seq, old.event_a, old.event_b, f"{old.source}+{fork.source}")
    invalid = sorted((x for f in findings for x in f.invalid_events()), key=lambda x: (x.index, x.group, x.seq))
    return r.AuditReport(
        source=src.path,
        source_kind=src.kind,
        mode=mode.value,
        node=lead.node,
        items=lead.items,
        events=sum(p.events for p in parts),
        valid_events=sum(p.valid for p in parts),
        digest=digest,
        groups=gather("groups", lambda g: g.group),
        forks=tuple(forks.values()),
        gaps=gather("gaps", lambda g: (g.group, g.first)),
        invalid=tuple(invalid),
        misordered=gather("misordered_rows", lambda m: (m.index, m.code)),
        bad_items=gather("bad_items", lambda b: b.index),
        redactions=gather("redactions", lambda x: (x.group, x.seq)),
        vouched=gather("vouched_rows", lambda v: (v.group, v.seq)),
        payload_problems=gather("payload_problems", lambda p: (p.group, p.seq)),
        rotations=gather("rotations", lambda x: (x.group, x.seq)),
        superseded=gather("superseded", lambda x: (x.group, x.seq, x.event_id)),
        damage=lead.damage,
    )


AuditReport = r.AuditReport
