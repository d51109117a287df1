"""`solnet export` and `solnet import`: the portable log bundle."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from events import Event, EventError, Mode
from events.bundle import BadItem, BundleHead, BundleReader, write_bundle
from events.fork import ForkProof

from ..service import NodeService, now_ms
from .common import CliError, print_json, with_service

IMPORT_BATCH = 2000


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
    print(f"wrote {items} item(s) to {out}")
    return 0


def _check_bundle(path: Path) -> list[str]:
    """Read the whole bundle once, in constant memory; return what is wrong with it (nothing: it may be imported)."""
    problems: list[str] = []
    try:
        for item in BundleReader(_file_chunks(path)):
            if isinstance(item, BadItem):
                problems.append(f"item {item.index}: {item.error}")
    except EventError as exc:
        problems.append(str(exc))
    return problems


def _file_chunks(path: Path):
    with open(path, "rb") as fh:
        while block := fh.read(1 << 16):
            yield block


def cmd_import(args: argparse.Namespace) -> int:
    """Import a bundle: refuse it whole if any byte of it is damaged, else store every valid event it holds."""
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    totals: dict[str, Any] = {"stored": 0, "duplicates": 0, "fork_proofs": 0, "rejected": 0, "problems": []}
    problems = _check_bundle(path)
    if problems:
        totals["problems"] = problems[:50]
        totals["refused"] = True
    else:

        async def body(service: NodeService) -> None:
            batch: list = []

            async def flush() -> None:
                result = await service.ingest(batch, Mode.FULL)
                totals["stored"] += len(result.stored)
                totals["duplicates"] += result.duplicates
                totals["fork_proofs"] += len(result.forks)
                totals["rejected"] += len(result.rejected)
                totals["problems"].extend(f"{r.event_id.hex()[:16]} seq {r.seq}: {r.message}" for r in result.rejected[:20])
                batch.clear()

            for item in BundleReader(_file_chunks(path)):
                if isinstance(item, ForkProof):
                    totals["fork_proofs"] += await service.add_fork_proof(item, refresh=False)
                else:
                    batch.append(item)
                    if len(batch) >= IMPORT_BATCH:
                        await flush()
            if batch:
                await flush()
            await service.refresh()

        with_service(args, body)
    if args.json:
        print_json(totals)
    elif totals.get("refused"):
        print(f"refused {path}: the bundle is damaged, nothing was imported")
    else:
        print(
            f"imported {path}: {totals['stored']} stored, {totals['duplicates']} already held, "
            f"{totals['fork_proofs']} fork proof(s), {totals['rejected']} rejected"
        )
    for problem in totals["problems"]:
        print(f"  - {problem}", file=sys.stderr)
    return 1 if totals["rejected"] or totals.get("refused") else 0
