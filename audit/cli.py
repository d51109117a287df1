"""`solnet audit SOURCE`: verify and replay a log, print the report; exit 0 clean, 1 violations, 2 unreadable."""

from __future__ import annotations

import argparse
import json
import sys

from .engine import audit, default_workers
from .errors import AuditError
from .render import render

EXIT_CLEAN = 0
EXIT_VIOLATIONS = 1
EXIT_UNREADABLE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the audit command's arguments to `parser`."""
    parser.add_argument("source", metavar="SOURCE", help="an export bundle file (data dirs and node URLs: not yet)")
    parser.add_argument("--fast", action="store_true", help="verify only the newest signature of each run (head-only)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"worker processes (default: the CPUs available, here {default_workers()}; 1 for bundles under 4 MB)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the audit described by parsed `args`, print the report, and return the exit code."""
    quiet = args.json or not sys.stderr.isatty()
    try:
        report = audit(args.source, fast=args.fast, workers=args.workers) if quiet else _with_progress(args)
    except AuditError as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "code": exc.code}))
        print(f"solnet audit: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(render(report))
    return EXIT_CLEAN if report.clean else EXIT_VIOLATIONS


def _with_progress(args: argparse.Namespace):
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("auditing", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return audit(args.source, fast=args.fast, workers=args.workers, progress=progress)


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the audit (the `python -m audit` entry)."""
    parser = argparse.ArgumentParser(prog="solnet audit", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
