"""Driving Debian's Chromium with Playwright against real node servers on loopback ports (no browser download)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from node.app import create_app
from node.http_errors import UNEXPECTED
from node.service import NodeService
from node.web import setup_web

CHROMIUM = os.environ.get("SOLNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Playwright gives every launch a fresh temporary profile (--user-data-dir), removed when the browser closes."""
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-results" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def need_chromium() -> None:
    """Skip when Chromium is missing on a developer's machine; in CI (`make test` installs it) that is a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs it with apt-get (see the Makefile's .browser-stamp)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or run `make test`)")


@asynccontextmanager
async def serving(service: NodeService, extras=(), web_setup=setup_web) -> AsyncIterator[str]:
    """Serve the node's whole app (API, web page, and `extras`) on a free loopback port; yield its base URL."""
    app = create_app(service, extras=[web_setup, *extras])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
    assert app[UNEXPECTED] == []


@asynccontextmanager
async def chromium() -> AsyncIterator[object]:
    """Launch headless Chromium; yield the Playwright Browser."""
    from playwright.async_api import async_playwright

    need_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
