"""What every `solnet` command shares: the error it prints, opening the node's service, printing JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from typing import Any

from ..datadir import DataDir
from ..service import NodeService
from ..store import open_store


class CliError(Exception):
    """A command failed in a way the user can fix; printed without a traceback."""


def print_json(value: Any) -> None:
    """Print `value` as indented JSON."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def open_service(args: argparse.Namespace) -> NodeService:
    """Return the NodeService of the data dir in `args` (identity, settings, store)."""
    data = DataDir.at(args.data)
    settings = data.settings()
    identity = data.load_identity()
    url = getattr(args, "database", None) or settings.database_url
    store = open_store(data.path, url)
    timeout = getattr(args, "read_timeout", None)
    if timeout is None:  # commands without the flag (import, export, list) read without a deadline: nobody else waits
        return NodeService(store=store, identity=identity, settings=settings, data_dir=data, read_timeout=None)
    return NodeService(store=store, identity=identity, settings=settings, data_dir=data, read_timeout=timeout or None)


def with_service(args: argparse.Namespace, body: Callable[[NodeService], Any]) -> Any:
    """Open the node's service, run the coroutine `body(service)` to completion, close the service."""

    async def main() -> Any:
        service = open_service(args)
        try:
            return await body(service)
        finally:
            await service.close()

    return asyncio.run(main())
