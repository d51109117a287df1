"""Starting the mailer with the app: one per app, in its cleanup_ctx, told of stored events by NodeService."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from ..api import SERVICE
from .mailer import Mailer
from .notifications import notifications_of
from .smtp import SmtpConfig, current_smtp, describe

log = logging.getLogger("solnet.mail")
MAILER = web.AppKey("mailer", Mailer)


def mail_setup(smtp: SmtpConfig | None, base_url: str, **mailer_options: object) -> Callable[[web.Application], None]:
    """Return the app setup that runs the mailer, sending through `smtp`; None: through `$SOLNET_SMTP_URL` or the
    server an admin saved in Settings, looked up at each pass (neither: nothing is queued or sent)."""

    def setup(app: web.Application) -> None:
        notes, service = notifications_of(app), app[SERVICE]
        source = smtp if smtp is not None else (lambda: current_smtp(service.settings.extra))
        app[MAILER] = Mailer(service, notes, source, base_url, **mailer_options)  # type: ignore[arg-type]
        app.cleanup_ctx.append(_mailer_ctx)
        app.on_shutdown.append(_stop_mailer)  # (before the store closes: the store's own ctx ends before this one's)

    return setup


async def _mailer_ctx(app: web.Application) -> AsyncIterator[None]:
    mailer, service = app[MAILER], app[SERVICE]
    service.listeners.append(mailer.on_stored)
    mailer.task = asyncio.create_task(mailer.run(), name="mailer")
    log.info("mail: %s", describe(mailer.smtp()))
    yield
    await _stop_mailer(app)


async def _stop_mailer(app: web.Application) -> None:
    """Stop the mailer (once): no new pass starts, the one under way is cancelled, and a database call its thread
    is still running is waited for (the store closes after this; closing it under that thread crashed the process)."""
    mailer, service = app[MAILER], app[SERVICE]
    if mailer.on_stored in service.listeners:
        service.listeners.remove(mailer.on_stored)
    task, mailer.task = mailer.task, None
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await mailer.notes.drain()
