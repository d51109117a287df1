"""Notifications in a real browser at phone width (Debian's Chromium via Playwright): a member chooses urgent mail for
their area, gets it from a real SMTP server on loopback, and stops it from the mail's link; the calendar link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from node.app import create_app
from node.http_errors import UNEXPECTED
from node.members import Accounts
from node.notify import Notifications
from node.notify.setup import mail_setup
from node.notify.smtp import SmtpConfig
from node.web import setup_web

from ..federation.cluster import bind_loopback
from ..web.browser import PHONE, SCREENSHOTS, chromium
from .smtp_server import smtp_server

pytestmark = pytest.mark.browser
PASSWORD = "organise the block"


@asynccontextmanager
async def serving_with_mail(service, smtp: SmtpConfig) -> AsyncIterator[str]:
    """Serve the node's app with its web page and mailer on a loopback port known beforehand (the mail's links)."""
    sock = bind_loopback()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(service, extras=[setup_web, mail_setup(smtp, base)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield base
    finally:
        await runner.cleanup()
    assert app[UNEXPECTED] == []


async def _no_overflow(page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (page.url, overflow)
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"""
    )
    assert unlabelled == [], (page.url, unlabelled)


async def test_a_member_chooses_urgent_mail_gets_it_and_stops_it_at_phone_width(node):
    accounts = Accounts(node.service.store)
    orla, link = accounts.invite("Orla", "member")
    accounts.accept(link, PASSWORD)
    with smtp_server() as (inbox, port):
        smtp = SmtpConfig("127.0.0.1", port, "alerts@leith.example.org")
        async with chromium() as browser, serving_with_mail(node.service, smtp) as base:
            page = await browser.new_page(viewport=PHONE)
            await page.goto(f"{base}/login")
            await page.get_by_label("Your name").fill("Orla")
            await page.get_by_label("Password or API token").fill(PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await page.goto(f"{base}/account")
            await page.get_by_role("link", name="Notifications: mail, calendar and feeds").click()
            await page.get_by_label("Your email address").fill("not an address")
            await page.get_by_role("button", name="Save").click()
            assert "Email must be an address" in await page.locator(".error").first.inner_text()
            await page.get_by_label("Your email address").fill("orla@example.org")
            await page.get_by_label("urgent callouts (high and critical) at once").check()
            await page.get_by_label("Only urgent callouts in these areas").fill("Leith")
            await page.get_by_label("People").check()
            await page.get_by_role("button", name="Save").click()
            await page.wait_for_url(f"{base}/account/notifications?saved=1")
            assert await page.get_by_label("urgent callouts (high and critical) at once").is_checked()
            assert await page.get_by_label("People").is_checked()
            await _no_overflow(page)
            await page.get_by_role("button", name="Make my private calendar link").click()
            calendar = await page.locator("#calendar-url").input_value()
            assert calendar.startswith(f"{base}/calendar/snc_")
            resp = await page.request.get(calendar)
            assert resp.status == 200 and (await resp.body()).startswith(b"BEGIN:VCALENDAR")
            await _no_overflow(page)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "notifications-phone.png"), full_page=True)

            fields = {"title": "Eviction", "text": "Bodies", "needs": ["people"], "urgency": "critical", "where": "Leith"}
            await node.service.publish("callout.published", fields)
            (got,) = await inbox.wait_for("orla@example.org", 1)
            html = got.message.get_body(("html",)).get_content()
            stop = html.split('href="')[-1].split('"')[0]
            assert stop.startswith(f"{base}/unsubscribe/")
            await page.goto(stop)  # opening the link changes nothing (mail scanners follow links)
            assert Notifications(node.service.store).choices(orla.id).urgent is True
            await _no_overflow(page)
            await page.get_by_role("button", name="Stop all mail").click()
            assert await page.get_by_role("heading", name="Mail stopped").is_visible()
            assert Notifications(node.service.store).choices(orla.id).urgent is False
