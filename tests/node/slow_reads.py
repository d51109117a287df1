"""A deliberately slow read through the node's real read path, for the read-deadline tests (never shipped in node/).

`GET /test/slow` runs one statement that takes minutes (SQLite: a recursive CTE counting to 10^12; PostgreSQL:
pg_sleep) as a read-model query: NodeService.query -> AsyncStore.read -> the QUERIES lane's reader thread ->
the backend's datastore transaction, exactly as a page's query runs. `started` and `ended` count the reads
that entered and left the database, so a test can see when a reader thread is free again.

Run as a script, it is `solnet` with that route added: `python -m tests.node.slow_reads serve --data DIR ...`.
"""

from __future__ import annotations

import sys
import threading

from aiohttp import web

from node.api import SERVICE
from node.store.translate import translated

SQLITE_SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) SELECT count(*) FROM c"
POSTGRES_SLOW = "SELECT pg_sleep(600)"


class Counter:
    def __init__(self):
        self.started = 0
        self.ended = 0
        self.lock = threading.Lock()


COUNTS = Counter()
ANNOUNCE = False  # as a script: print a line when a slow read enters the database


def slow_query(views) -> int:
    """Run one very slow statement on the read models' database, inside the read's transaction."""
    datastore = views.recorder.datastore
    statement = POSTGRES_SLOW if type(datastore).__name__.startswith("NodePostgres") else SQLITE_SLOW
    with COUNTS.lock:
        COUNTS.started += 1
    if ANNOUNCE:
        print("slow read started", flush=True)
    try:
        with translated("running the slow test query"), datastore.transaction(commit=False) as curs:
            curs.execute(statement)
            return 1
    finally:
        with COUNTS.lock:
            COUNTS.ended += 1


async def slow(request: web.Request) -> web.Response:
    await request.app[SERVICE].query(slow_query)
    return web.json_response({"done": True})


def add_slow_route(app: web.Application) -> None:
    """Add GET /test/slow to a node's app (public, like the pages whose reads it stands for)."""
    from node.access import Need, decide

    app.router.add_get("/test/slow", slow)
    decide(app, "GET /test/slow", Need.PUBLIC)


def main(argv: list[str]) -> int:
    """`solnet` with the slow route added to what `serve` runs."""
    from node import extras
    from node.cli import main as solnet

    global ANNOUNCE
    ANNOUNCE = True
    real = extras.node_extras
    extras.node_extras = lambda service, args: [*real(service, args), add_slow_route]
    return solnet(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
