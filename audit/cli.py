"""`solnet audit SOURCE`: verify and replay a log, print the report; exit 0 clean, 1 violations, 2 unreadable.

`python -m audit` runs it on bundle files; `solnet audit` (node/commands/audit.py) runs it with a `resolve`
that also opens a node's data dir and a running node's URL.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from .engine import Progress, audit, default_workers
from .errors import AuditError
from .render import render
from .sources import NodeUrl, Source, resolve

Resolve = Callable[[str], "Source | NodeUrl"]

EXIT_CLEAN = 0
EXIT_VIOLATIONS = 1
EXIT_UNREADABLE = 2


def _as_written(message: str, **values: object) -> str:
    return message % values if values else message


def add_arguments(parser: argparse.ArgumentParser, _: Callable[..., str] = _as_written) -> None:
    """Add the audit command's arguments to `parser`, their help worded by `_` (a message and its named values; as
    written by default: `solnet audit` gives its catalogue's, node/commands/words.py)."""
    parser.add_argument("source", metavar="SOURCE", help=_("an export bundle file, a node's data dir or a node's URL"))
    parser.add_argument("--fast", action="store_true", help=_("verify only the newest signature of each run (head-only)"))
    parser.add_argument("--json", action="store_true", help=_("print the report as one JSON object"))
    parser.add_argument(
        "--digest-v1",
        action="store_true",
        help=_("also compute the state digest version 1 (for bundles and reports from before version 2; a bit slower)"),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=_("worker processes (default: the CPUs available, here %(n)s; 1 for bundles under 4 MB)", n=default_workers()),
    )


def run(args: argparse.Namespace, resolve: Resolve = resolve) -> int:
    """Run the audit described by parsed `args` on the source `resolve` names, print the report, return the exit code."""
    quiet = args.json or not sys.stderr.isatty()
    try:
        source = resolve(args.source)
        if quiet:
            report = audit(source, fast=args.fast, workers=args.workers, digest_v1=args.digest_v1)
        else:
            report = _with_progress(
                lambda progress: audit(source, fast=args.fast, workers=args.workers, progress=progress, digest_v1=args.digest_v1)
            )
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


def _with_progress(run_audit: Callable[[Progress], object]):
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    columns = ("[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("auditing", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        return run_audit(progress)


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and audit the bundle file it names (the `python -m audit` entry); return the exit code."""
    parser = argparse.ArgumentParser(prog="solnet audit", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
