"""Login attempts are counted per account as well as per address, on a real server (issue 13, item 3)."""

from __future__ import annotations

import asyncio

import aiohttp

from node.web.render import LOGIN_THROTTLE
from node.web.throttle import LoginThrottle

from .conftest import csrf_of


async def _guess(base: str, source: str, secret: str) -> int:
    """Open the login page and post one secret from loopback address `source`; return the status of the post."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{base}/login") as page:
            csrf = csrf_of(await page.text())
        async with session.post(f"{base}/login", data={"csrf": csrf, "secret": secret}, allow_redirects=False) as resp:
            await resp.read()
            return resp.status


async def test_guesses_spread_over_many_addresses_are_throttled_per_account(client, node):
    throttle = client.app[LOGIN_THROTTLE]
    throttle.account_limit = 20  # (100 by default: the test keeps it small)
    base = str(client.make_url("")).rstrip("/")
    # 40 addresses guess at once, each well under its own limit of 10.
    sources = [f"127.0.3.{i}" for i in range(1, 41)]
    statuses = await asyncio.gather(*(_guess(base, source, f"guess {i}") for i, source in enumerate(sources)))
    assert statuses.count(401) == 20 and statuses.count(429) == 20
    # The account is locked for everyone until failures age out, even from a fresh address with the right token.
    assert await _guess(base, "127.0.3.99", node.token) == 429


def test_a_good_login_forgets_its_address_but_not_the_accounts_other_failures():
    now = [0.0]
    throttle = LoginThrottle(limit=3, account_limit=4, window=60, clock=lambda: now[0])
    assert [throttle.attempt(f"a{i}") for i in range(3)] == [0, 0, 0]
    assert throttle.attempt("b") == 0
    throttle.succeeded("b")  # its own attempt is forgotten; the three others' are not
    assert throttle.attempt("c") == 0 and throttle.attempt("d") == 61
    now[0] = 61.0
    assert throttle.attempt("d") == 0
    assert throttle.attempt("x", "member-1") == 0  # another account counts on its own
