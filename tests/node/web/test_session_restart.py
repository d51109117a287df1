"""Logged-in web sessions survive a restart of the node (a new app on the same data dir), and only hashes are stored."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from functools import partial
from pathlib import Path

import aiohttp
import pytest

from node.cli import main as solnet
from node.datadir import DataDir
from node.own_head import OwnHead
from node.service import NodeService
from node.store import open_store
from node.web import setup_web
from node.web.session import COOKIE, IDLE_SECONDS, TOUCH_SECONDS

from .browser import serving
from .conftest import csrf_of, make_node

CALLOUT = {"title": "Eviction watch", "text": "Bring people", "needs": "people", "urgency": "high"}


class Clock:
    """A wall clock the test moves by hand, shared by both runs of the node."""

    def __init__(self, now: float = 1_900_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def reopen(data: DataDir) -> NodeService:
    """Return a new service on the data dir, as a restarted `solnet serve` would open it."""
    return NodeService(
        store=open_store(data.path),
        identity=data.load_identity(),
        settings=data.settings(),
        data_dir=data,
        own_head=OwnHead(only_copy=True),
    )


def running(service: NodeService, clock: Callable[[], float]):
    """Serve a fresh app for `service` on a free loopback port with sessions on `clock`; yield its base URL."""
    return serving(service, web_setup=partial(setup_web, clock=clock))


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """One browser whose cookie jar outlives the node's restarts (loopback IPs need an unsafe jar)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture
def home(tmp_path: Path):
    return make_node(tmp_path / "a", "Leith Tenants")


async def log_in(browser: aiohttp.ClientSession, base: str, secret: str) -> str:
    """Log in through the form; return the logged-in session's CSRF token."""
    async with browser.get(f"{base}/login") as page:
        csrf = csrf_of(await page.text())
    async with browser.post(f"{base}/login", data={"csrf": csrf, "secret": secret, "next": "/"}) as resp:
        assert resp.status == 200, await resp.text()
    return await publish_csrf(browser, base)


async def publish_csrf(browser: aiohttp.ClientSession, base: str) -> str:
    async with browser.get(f"{base}/publish", allow_redirects=False) as resp:
        assert resp.status == 200, resp.headers.get("Location")
        return csrf_of(await resp.text())


async def publish_page_status(browser: aiohttp.ClientSession, base: str) -> int:
    async with browser.get(f"{base}/publish", allow_redirects=False) as resp:
        return resp.status


def cookie_of(browser: aiohttp.ClientSession) -> str:
    return next(c.value for c in browser.cookie_jar if c.key == COOKIE)


def rows(path: Path) -> list[tuple[bytes, str, float]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT id_hash, csrf, seen FROM web_sessions").fetchall()


async def test_logged_in_session_and_its_csrf_token_survive_a_restart(home, browser):
    clock = Clock()
    async with running(home.service, clock) as base:
        csrf = await log_in(browser, base, home.token)
        cookie = cookie_of(browser)
    async with running(reopen(home.data), clock) as base:
        assert await publish_csrf(browser, base) == csrf
        async with browser.post(f"{base}/publish/callout.published", data={**CALLOUT, "csrf": csrf}, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"].startswith("/callouts/")
        assert cookie_of(browser) == cookie  # the restart issued no new cookie
        async with browser.post(f"{base}/publish/callout.published", data={**CALLOUT, "csrf": "forged"}) as r:
            assert r.status == 403


async def test_logout_then_restart_stays_logged_out(home, browser):
    clock = Clock()
    async with running(home.service, clock) as base:
        csrf = await log_in(browser, base, home.token)
        cookie = cookie_of(browser)
        async with browser.post(f"{base}/logout", data={"csrf": csrf}, allow_redirects=False) as resp:
            assert resp.status == 303
    assert rows(home.data.web_sessions_file) == []
    async with running(reopen(home.data), clock) as base:
        browser.cookie_jar.update_cookies({COOKIE: cookie})  # a copy of the old cookie, replayed
        assert await publish_page_status(browser, base) == 303
        async with browser.post(f"{base}/publish/callout.published", data={**CALLOUT, "csrf": csrf}) as resp:
            assert resp.status == 401  # logged out: the route's role check answers before the form's CSRF check


async def test_a_session_idle_too_long_is_refused_after_restart_and_purged(home, browser):
    clock = Clock()
    async with running(home.service, clock) as base:
        await log_in(browser, base, home.token)
    assert len(rows(home.data.web_sessions_file)) == 1
    clock.now += IDLE_SECONDS + 1
    async with running(reopen(home.data), clock) as base:
        assert rows(home.data.web_sessions_file) == []  # purged at start
        assert await publish_page_status(browser, base) == 303


async def test_last_use_is_written_at_most_once_a_minute(home, browser):
    clock = Clock()
    start = clock.now
    async with running(home.service, clock) as base:
        await log_in(browser, base, home.token)
        clock.now += TOUCH_SECONDS / 2
        for _ in range(3):
            assert await publish_page_status(browser, base) == 200
        [(_, _, seen)] = rows(home.data.web_sessions_file)
        assert seen == start
        clock.now = start + TOUCH_SECONDS + 1
        assert await publish_page_status(browser, base) == 200
        [(_, _, seen)] = rows(home.data.web_sessions_file)
        assert seen == clock.now
        # used within the idle time of its last use, not of its login, it is still live after a restart
        clock.now += IDLE_SECONDS - 10
    async with running(reopen(home.data), clock) as base:
        assert await publish_page_status(browser, base) == 200


async def test_the_file_is_private_and_holds_only_hashes_of_session_ids(home, browser):
    clock = Clock()
    async with running(home.service, clock) as base:
        async with browser.get(f"{base}/login") as page:
            anonymous = cookie_of(browser)
            csrf = csrf_of(await page.text())
        assert rows(home.data.web_sessions_file) == []  # anonymous sessions stay in memory
        async with browser.post(f"{base}/login", data={"csrf": csrf, "secret": home.token}, allow_redirects=False) as r:
            assert r.status == 303
        logged_in = cookie_of(browser)
        assert logged_in != anonymous  # logging in rotates the session id
        sidecars = list(home.data.path.glob("web-sessions.sqlite*"))
        assert sidecars and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in sidecars)
    path = home.data.web_sessions_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = b"".join(p.read_bytes() for p in home.data.path.glob("web-sessions.sqlite*"))
    assert logged_in.encode() not in raw and anonymous.encode() not in raw
    [(id_hash, _, _)] = rows(path)
    assert id_hash == hashlib.sha256(logged_in.encode()).digest()


async def test_passwd_logs_everyone_out_and_takes_effect_while_the_node_runs(home, browser, monkeypatch, capsys):
    clock = Clock()
    async with running(home.service, clock) as base:
        await log_in(browser, base, home.token)
        monkeypatch.setenv("SOLNET_PASSWORD", "correct horse battery")
        assert solnet(["passwd", "--data", str(home.data.path)]) == 0
        assert "web password set; 1 web session logged out" in capsys.readouterr().out
        assert await publish_page_status(browser, base) == 303
        # the running node takes the new password at once, and no longer the old one
        await log_in(browser, base, "correct horse battery")
        monkeypatch.setenv("SOLNET_PASSWORD", "a newer password")
        assert solnet(["passwd", "--data", str(home.data.path)]) == 0
        async with browser.get(f"{base}/login") as page:
            csrf = csrf_of(await page.text())
        async with browser.post(f"{base}/login", data={"csrf": csrf, "secret": "correct horse battery", "next": "/"}) as resp:
            assert resp.status == 401
        await log_in(browser, base, "a newer password")
    async with running(reopen(home.data), clock) as base:
        assert await publish_page_status(browser, base) == 200  # logged in after the last passwd: still logged in


async def test_without_a_data_dir_sessions_stay_in_memory(home, browser):
    await home.service.close()
    service = NodeService(
        store=open_store(home.data.path),
        identity=home.data.load_identity(),
        settings=home.data.settings(),
        own_head=OwnHead(only_copy=True),
    )
    async with running(service, Clock()) as base:
        await log_in(browser, base, home.token)
        assert await publish_page_status(browser, base) == 200
    assert not home.data.web_sessions_file.exists()
