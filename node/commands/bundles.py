"""`solnet export` and `solnet import`: the portable log bundle."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.sorter import EventSorter
from events import Event, EventError, Mode
from events.bundle import BadItem, BundleHead, BundleReader, write_bundle
from events.fork import ForkProof
from events.ingest import AFTER_BREAK, IngestResult, Rejection
from events.supersede import KEY_SUPERSEDED

from ..i18n import N_
from ..service import NodeService, now_ms
from ..store import PreparedIngest
from .bundle_decoder import BundleDecoder, DecoderError
from .common import CliError, print_json, with_service
from .progress import Progress
from .words import _

# Events per write transaction. Head-only verification checks each author's newest event of a batch, so a bundle
# whose authors all write through it costs one signature per author per batch: 40,000 events of 500 groups check
# ~500 signatures where 5,000 checked ~4,000 (and each batch has its commit and its decision's reads). 40,000 held
# 1.05-1.2x the events per second of 20,000 (60,000 no more, the first batch waits longer; docs/BENCHMARKS.md).
# (PostgreSQL used to hang at 20,000 inside the library's pipelined insert; the store no longer inserts in pipeline
# mode, node/store/postgres.py.)
IMPORT_BATCH = 40_000
# rejections of events after a stored head that a later part of the bundle may still link or vouch for
DEFERRED = frozenset(
    {"seq_gap", "broken_link", "timestamp_regression", "author_mismatch", "chain_error", "after_break", "bad_signature"}
)
PROJECT_STEP = 20_000
VERIFICATION = {
    "head": N_(
        "signatures: head-only verification (docs/PROTOCOL.md, section 8): each author's newest event in every batch "
        "had its own signature checked, and it vouches for the events before it; --full checks every signature"
    ),
    "full": N_("signatures: every event's own signature checked (--full)"),
}


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output)

    async def body(service: NodeService) -> int:
        def write(events: Iterator[Event], fork_proofs: list[ForkProof]) -> int:
            count = 0
            tmp = out.with_name(out.name + ".partial")
            with open(tmp, "wb") as fh:
                for chunk in write_bundle(BundleHead(service.group_id, now_ms()), events, fork_proofs):
                    fh.write(chunk)
                    count += 1
            os.replace(tmp, out)
            return count - 2

        return await service.over_log(write)

    items = with_service(args, body)
    print(_("wrote %(items)s item(s) to %(path)s", items=items, path=out))
    return 0


def _check_bundle(path: Path, progress: Progress) -> list[str]:
    """Frame and hash the whole bundle once, in constant memory, decoding no item; return what is wrong with its bytes.

    Nothing wrong means the bytes are exactly those the writer hashed (trailer) and every item is framed: a
    damaged, truncated or padded bundle is refused here, before anything is stored.
    """
    size = path.stat().st_size
    progress.start("checking", size)
    reader = BundleReader(_file_chunks(path, progress, "bytes hashed"), frame_only=True)
    try:
        for _event in reader:
            pass
    except EventError as exc:
        return [str(exc)]
    finally:
        progress.close(reader.offset, "bytes hashed")
    return []


def _file_chunks(path: Path, progress: Progress | None = None, note: str = "") -> Iterator[bytes]:
    read = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 16):
            read += len(block)
            if progress is not None:
                progress.update(read, note)
            yield block


def cmd_import(args: argparse.Namespace) -> int:
    """Import a bundle: refuse it whole if any byte of it is damaged, else store every valid event it holds."""
    path = Path(args.file)
    if not path.is_file():
        raise CliError(_("no such file: %(path)s", path=path))
    mode = Mode.FULL if args.full else Mode.HEAD
    progress = Progress(bar=False if args.json else None)
    totals: dict[str, Any] = {"stored": 0, "duplicates": 0, "fork_proofs": 0, "rejected": 0, "superseded": 0, "problems": []}
    totals["verification"] = mode.value
    totals["seconds"] = seconds = {}
    # CPU seconds of the process (every thread) per phase beside the wall time: on a shared machine the fairer figure
    totals["cpu_seconds"] = {}
    start, cpu = time.monotonic(), time.process_time()
    decoder = BundleDecoder(str(path))  # starts (and decodes ahead) while the bundle is checked; stores nothing
    try:
        problems = _check_bundle(path, progress)
        seconds["check"] = round(time.monotonic() - start, 3)
        totals["cpu_seconds"]["check"] = round(time.process_time() - cpu, 3)
        if problems:
            totals["problems"] = problems[:50]
            totals["refused"] = True
        else:
            with_service(args, lambda service: _import(service, decoder, path, mode, totals, progress))
    except DecoderError as exc:
        raise CliError(str(exc)) from exc
    finally:
        totals["cpu_seconds"]["decoder"] = decoder.close()
    _report(args, path, totals)
    return 1 if totals["rejected"] or totals.get("refused") else 0


async def _import(
    service: NodeService, decoder: BundleDecoder, path: Path, mode: Mode, totals: dict[str, Any], progress: Progress
) -> None:
    """Store the (checked) bundle's events, then project the read models once, in bulk when far behind."""
    started, cpu = time.monotonic(), time.process_time()
    # no refresh every MAX_REFRESH_LAG_S while storing (one projection, after); no cyclic garbage collection either
    with service.read_models.holding(), _without_cycle_collection():
        await _store(service, decoder, path, mode, totals, progress)
    seconds = totals["seconds"]
    seconds["store"] = round(time.monotonic() - started, 3)
    cpu_seconds = totals["cpu_seconds"]
    cpu_seconds["store"] = round(time.process_time() - cpu, 3)
    with _without_cycle_collection():  # (the projection's batches: ~20,000 events' documents, no cycles either)
        await _project(service, progress)
    seconds["read_models"] = round(time.monotonic() - started - seconds["store"], 3)
    cpu_seconds["read_models"] = round(time.process_time() - cpu - cpu_seconds["store"], 3)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (reference counting still frees everything acyclic).

    While storing, the process holds two batches of events and the decoder's queue (~100,000 Events, headers and
    rows), none of them in reference cycles; every pass of the collector walked them all again, and those passes were
    ~20 % of the storing phase's CPU (measured on the 300k bench bundle). What cycles the block makes are collected
    when it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect()


async def _store(
    service: NodeService, decoder: BundleDecoder, path: Path, mode: Mode, totals: dict[str, Any], progress: Progress
) -> None:
    """Ingest the bundle's events (decoded once, by `decoder`'s process) in batches, each taken in while the previous
    one is written."""
    started = time.monotonic()

    def note() -> str:
        rate = totals["stored"] / max(time.monotonic() - started, 1e-9)
        return f"{totals['stored']:,} events stored ({rate:,.0f}/s)"

    # docs/PROTOCOL.md §10: each author's events are taken in seq order whatever the bundle's order. Batches are
    # decided in seq order per author already; an event that could not link above what its batch stored (its
    # predecessor is in a later batch, or a later batch holds the signature that vouches for it) is kept aside, and
    # so is every later event of its author: they are decided at the end, in (author, seq, item) order, after the
    # author's stored events, as one reading of the whole bundle would decide them. A version that did not link at
    # a seq where its batch stored a later version keeps its code (§10.1): deciding it again would make it a conflict.
    deferred = EventSorter(Path(tempfile.mkdtemp(prefix="solnet-import-")) / "deferred.sqlite")
    aside: set[bytes] = set()  # authors whose remaining events go to `deferred`
    codes: dict[str, int] = totals.setdefault("codes", {})
    last_pass = False

    def count(result: IngestResult, batch: list[tuple[int, Event]]) -> None:
        totals["stored"] += len(result.stored)
        totals["duplicates"] += result.duplicates
        totals["fork_proofs"] += len(result.forks)
        # events a rotation superseded (a rotated node's export carries them as evidence) are not problems
        rejected = [r for r in result.rejected if r.code != KEY_SUPERSEDED]
        totals["superseded"] += len(result.rejected) - len(rejected)
        if not last_pass:
            again = _deferrals(result)
            ids = {r.event_id for r in again}
            aside.update(r.author for r in again)
            for index, event in batch:
                if event.id in ids:
                    deferred.add(index, event)
            rejected = [r for r in rejected if r.event_id not in ids]
        for r in (*rejected, *result.forked):
            codes[r.code] = codes.get(r.code, 0) + 1
        totals["rejected"] += len(rejected)
        totals["problems"].extend(f"{r.event_id.hex()[:16]} seq {r.seq}: {r.message}" for r in rejected[:20])

    progress.start("storing", path.stat().st_size)
    loop = asyncio.get_running_loop()
    pending: _Writing | None = None
    batch: list[tuple[int, Event]] = []

    async def send(batch: list[tuple[int, Event]]) -> None:
        """Decide `batch` while the batch before it is written (against the logs as they will be then), then write it.

        The events of authors put aside are left out, those the batch before puts aside included (its decision says
        which); if that batch's decision went stale (another process stored some of its positions first, and it was
        decided again), this one is decided again too, after it."""
        nonlocal pending
        prior = pending
        skip = aside | {r.author for r in _deferrals(prior.decided.result)} if prior is not None else aside
        kept = [event for _, event in batch if event.header.author not in skip]
        # (the decoding process checked every payload against its header: event_from_parts)
        decided = await service.decide_ingest(kept, mode, prior.decided if prior is not None else None, payloads_checked=True)
        if prior is not None:
            result = await prior.writing
            count(result, prior.batch)  # (every earlier batch is counted by now)
            if result is not prior.decided.result:  # (it went stale and was decided again)
                kept = [event for _, event in batch if event.header.author not in aside]
                decided = await service.decide_ingest(kept, mode, payloads_checked=True)
        if aside:
            for index, event in batch:
                if event.header.author in aside:
                    deferred.add(index, event)
        writing = asyncio.ensure_future(service.ingest_decided(kept, decided, mode, refresh=False))
        pending = _Writing(batch, decided, writing)
        await asyncio.sleep(0)  # hand the batch to the writer thread, then decode and decide the next one meanwhile

    try:
        # (taken from the pipe on another thread: the event loop stays free while the child decodes)
        while (decoded := await loop.run_in_executor(None, decoder.next)) is not None:
            progress.update(decoded.offset, note())
            item = decoded.item
            if isinstance(item, BadItem):  # framed, hashed by the writer, but not an event: refused like a bad event
                totals["rejected"] += 1
                totals["problems"].append(f"item {item.index}: {item.error}")
            elif isinstance(item, ForkProof):
                totals["fork_proofs"] += await service.add_fork_proof(item, refresh=False)
            events = decoded.events
            while len(batch) + len(events) >= IMPORT_BATCH:  # batches of exactly IMPORT_BATCH, as the items come
                cut = IMPORT_BATCH - len(batch)
                await send(batch + events[:cut])
                batch, events = [], events[cut:]
            batch += events
        await send(batch)
        assert pending is not None
        count(await pending.writing, pending.batch)
        pending = None
        last_pass = True
        # The kept events in (author, seq, item) order, in batches cut only between seqs (all versions of a seq in one
        # batch); once no version at an author's seq linked, the author's later events follow a break (§10.1).
        broken: dict[bytes, int] = {}
        batch = []
        for index, event in deferred.events():
            author, seq = event.header.author, event.header.seq
            if len(batch) >= IMPORT_BATCH and (batch[-1][1].header.author, batch[-1][1].header.seq) != (author, seq):
                result = await service.ingest([e for _, e in batch], mode, refresh=False)
                count(result, batch)
                broken.update(_breaks(result, batch[-1][1]))
                batch = []
            if seq > broken.get(author, seq):
                codes[AFTER_BREAK] = codes.get(AFTER_BREAK, 0) + 1
                totals["rejected"] += 1
                continue
            batch.append((index, event))
        count(await service.ingest([e for _, e in batch], mode, refresh=False), batch)
    finally:
        if pending is not None:
            await pending.writing
        deferred.close()
        deferred.path.parent.rmdir()
        progress.close(decoder.offset, note())


@dataclass(frozen=True)
class _Writing:
    """A batch being written: its events with their item indexes, its decision, and the write (its final result)."""

    batch: list[tuple[int, Event]]
    decided: PreparedIngest
    writing: asyncio.Future[IngestResult]


def _deferrals(result: IngestResult) -> list[Rejection]:
    """Return the rejections of `result` that a later part of the bundle may still link or vouch for: above what its
    batch stored of their author, with a code in DEFERRED (they are decided again at the end)."""
    if not any(r.code in DEFERRED for r in result.rejected):
        return []
    top = {author: head.seq for author, head in result.heads().items()}
    return [r for r in result.rejected if r.code in DEFERRED and r.seq > top.get(r.author, 0)]


def _breaks(result: IngestResult, last: Event) -> dict[bytes, int]:
    """Return {author: seq} if no version of `last`'s seq linked (it was the last seq of a batch in seq order)."""
    author, seq = last.header.author, last.header.seq
    if any(e.author == author and e.seq == seq for e in result.stored):
        return {}
    links = {r.code for r in result.rejected if r.author == author and r.seq == seq} & (DEFERRED - {"bad_signature"})
    return {author: seq} if links else {}


async def _project(service: NodeService, progress: Progress) -> None:
    """Bring the read models up to the imported events, in steps that the progress reports."""
    behind = await service.astore.max_notification_id() - await service.astore.read_sync(service.read_models.views.position)
    progress.start("read models", behind)
    done = 0
    async with service.read_models.bulk() as bulk:
        while done < behind and (step := await service.read_models.catch_up(PROJECT_STEP)):
            done += step
            progress.update(done, f"{done:,} of {behind:,} events projected")
        if bulk:
            progress.update(done, f"{done:,} of {behind:,} events projected; building the list indexes")
    done += await service.refresh()
    progress.close(done, f"{done:,} events projected")


def _report(args: argparse.Namespace, path: Path, totals: dict[str, Any]) -> None:
    if args.json:
        print_json(totals)
    elif totals.get("refused"):
        print(_("refused %(path)s: the bundle is damaged, nothing was imported", path=path))
    else:
        counts = {k: totals[k] for k in ("stored", "duplicates", "fork_proofs", "rejected", "superseded")}
        if totals["superseded"]:
            said = N_(
                "imported %(path)s: %(stored)s stored, %(duplicates)s already held, %(fork_proofs)s fork proof(s), "
                "%(rejected)s rejected, %(superseded)s superseded by a key rotation"
            )
        else:
            said = N_(
                "imported %(path)s: %(stored)s stored, %(duplicates)s already held, %(fork_proofs)s fork proof(s), "
                "%(rejected)s rejected"
            )
        print(_(said, path=path, **counts))
        print(_(VERIFICATION[totals["verification"]]))
    for problem in totals["problems"]:
        print(f"  - {problem}", file=sys.stderr)
