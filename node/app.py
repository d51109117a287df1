"""The one aiohttp application factory: JSON API, peer endpoints and web page, background work in cleanup_ctx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from aiohttp import web

from .access import access_middleware, setup_access
from .api import MAX_JSON_BODY, SERVICE, setup_api
from .edge import GATE, EdgeSite, install, keepalive_timeout
from .http_errors import UNEXPECTED, error_middleware
from .openapi import setup_openapi
from .private_api import setup_private_api
from .service import NodeService
from .settings import EdgeLimits

log = logging.getLogger("solnet.app")
MAX_BODY = 8 * 1024 * 1024
"""aiohttp's own cap on any request body; endpoints apply tighter limits of their own."""

WATCH_INTERVAL = 1.0
SHUTDOWN_TIMEOUT_S = 3.0
"""How long shutdown waits for requests in flight (reads are interrupted at once) before cancelling them; a write
that began still finishes (NodeService shields its writes from their callers' cancellation)."""
Setup = Callable[[web.Application], None]


async def _read_models_ctx(app: web.Application) -> AsyncIterator[None]:
    """Catch the read models up at start (events may have arrived through the CLI), and close the store at the end."""
    service = app[SERVICE]
    projected = await service.refresh()
    if projected:
        log.info("read models caught up over %d event(s)", projected)
    await service.start_watching()
    watcher = asyncio.create_task(_watch_external(service), name="watch-external-writes")
    yield
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    await service.close()


async def _interrupt_reads(app: web.Application) -> None:
    """On shutdown, before waiting for requests in flight: stop every read, so none holds shutdown up."""
    stopped = app[SERVICE].astore.interrupt_reads()
    if stopped:
        log.info("shutting down: stopped %d read(s) in flight", stopped)


async def _watch_external(service: NodeService, interval: float = WATCH_INTERVAL) -> None:
    """Notice events that another process (the CLI) stored, so read models and gossip pick them up."""
    while True:
        await asyncio.sleep(interval)
        try:
            await service.poll_external()
        except Exception:  # keep watching; the next round retries
            log.exception("picking up externally stored events failed")


def create_app(
    service: NodeService, *, extras: Sequence[Setup] = (), own_store: bool = True, limits: EdgeLimits | None = None
) -> web.Application:
    """Return the node's application; `extras` add the peer endpoints, gossip and the web page.

    `limits` (default: `EdgeLimits.from_env()`) cap what each client may hold (node/edge.py).
    """
    # every route's role is decided in node/access.py, inside the error middleware that renders its refusals
    app = web.Application(middlewares=[error_middleware, access_middleware], client_max_size=max(MAX_BODY, MAX_JSON_BODY))
    install(app, limits or EdgeLimits.from_env())
    app[SERVICE] = service
    app[UNEXPECTED] = []
    setup_access(app)
    setup_api(app)
    setup_private_api(app)
    setup_openapi(app)
    for setup in extras:
        setup(app)
    if own_store:
        app.cleanup_ctx.append(_read_models_ctx)
        app.on_shutdown.append(_interrupt_reads)
    return app


def make_runner(app: web.Application, *, handle_signals: bool = False, **kwargs: Any) -> web.AppRunner:
    """Return the runner every server of the node uses: a handler whose client disconnects is cancelled (and with it
    its read, in the database; writes finish, see NodeService), and shutdown waits at most SHUTDOWN_TIMEOUT_S.
    `kwargs` go to aiohttp's server (e.g. keepalive_timeout)."""
    return web.AppRunner(
        app, handle_signals=handle_signals, handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT_S, **kwargs
    )


async def run_app(app: web.Application, host: str, port: int, *, ready: Callable[[str], None] | None = None) -> None:
    """Serve `app` until cancelled (SIGINT/SIGTERM via asyncio.run), then shut down cleanly."""
    limits = app[GATE].limits
    runner = make_runner(app, handle_signals=True, keepalive_timeout=keepalive_timeout(limits))
    await runner.setup()
    site = EdgeSite(runner, host, port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # the bound port when 0 was asked for
    bound = sockets[0].getsockname()[1] if sockets else port
    url = f"http://{host}:{bound}/"
    if ready:
        ready(url)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
