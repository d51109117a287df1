"""Logging in and out, the session cookie's flags, and CSRF: a POST without a valid token is refused and stores nothing."""

from __future__ import annotations

import asyncio

from node.web.actions import safe_next
from node.web.session import COOKIE, Sessions
from node.web.throttle import LoginThrottle

from .conftest import csrf_of, login

CALLOUT = {"title": "Eviction watch", "text": "Bring people", "needs": "people", "urgency": "high"}


async def test_login_page_sets_an_httponly_strict_cookie(client):
    resp = await client.get("/login")
    assert resp.status == 200
    morsel = resp.cookies[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    assert 'name="csrf"' in await resp.text()


async def test_reading_pages_sets_no_cookie_and_a_strict_policy(client):
    resp = await client.get("/")
    assert resp.status == 200 and COOKIE not in resp.cookies
    policy = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "form-action 'self'" in policy


async def test_login_with_token_issues_a_new_session_id(client, node):
    page = await client.get("/login")
    anon = page.cookies[COOKIE].value
    resp = await client.post(
        "/login", data={"csrf": csrf_of(await page.text()), "secret": node.token, "next": "/groups"}, allow_redirects=False
    )
    assert resp.status == 303 and resp.headers["Location"] == "/groups"
    fresh = resp.cookies[COOKIE]
    assert fresh.value != anon and fresh["httponly"] is True and fresh["samesite"] == "Strict"
    assert (await client.get("/publish", allow_redirects=False)).status == 200


async def test_login_with_password(client, node):
    node.data.set_password("correct horse battery")
    node.service.settings_keeper.reload_credentials()
    await login(client, "correct horse battery")
    assert (await client.get("/publish", allow_redirects=False)).status == 200


async def test_wrong_secret_is_refused_and_shown_next_to_the_field(client, node):
    page = await client.get("/login")
    resp = await client.post("/login", data={"csrf": csrf_of(await page.text()), "secret": "not-it"})
    html = await resp.text()
    assert resp.status == 401
    assert 'id="f-secret-error"' in html and "not this node" in html
    assert (await client.get("/publish", allow_redirects=False)).status == 303


async def test_repeated_failed_logins_are_throttled_even_for_the_right_token(client, node):
    for _ in range(10):
        page = await client.get("/login")
        resp = await client.post("/login", data={"csrf": csrf_of(await page.text()), "secret": "guess"})
        assert resp.status == 401
    page = await client.get("/login")
    resp = await client.post("/login", data={"csrf": csrf_of(await page.text()), "secret": node.token})
    assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
    assert "Too many failed logins" in await resp.text()
    assert (await client.get("/publish", allow_redirects=False)).status == 303


def test_throttle_forgets_old_failures_and_good_logins():
    now = [0.0]
    throttle = LoginThrottle(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        throttle.failed("a")
    assert throttle.retry_after("a") == 61 and throttle.retry_after("b") == 0
    now[0] = 61.0
    assert throttle.retry_after("a") == 0
    throttle.failed("a")
    throttle.succeeded("a")
    assert throttle.retry_after("a") == 0


async def test_login_without_csrf_token_is_refused(client, node):
    await client.get("/login")
    resp = await client.post("/login", data={"secret": node.token})
    assert resp.status == 403
    assert (await client.get("/publish", allow_redirects=False)).status == 303


async def test_login_without_any_session_is_refused(client, node):
    resp = await client.post("/login", data={"csrf": "x" * 43, "secret": node.token})
    assert resp.status == 403 and "<h1>Refused</h1>" in await resp.text()


async def test_publish_without_csrf_is_refused_and_stores_nothing(client, node):
    await login(client, node.token)
    before = await node.count()
    resp = await client.post("/publish/callout.published", data=CALLOUT)
    assert resp.status == 403
    resp = await client.post("/publish/callout.published", data={**CALLOUT, "csrf": "forged"})
    assert resp.status == 403
    assert await node.count() == before


async def test_csrf_token_of_another_session_is_refused(client, node, aiohttp_client):
    other = await aiohttp_client(client.server)
    other_csrf = await login(other, node.token)
    await login(client, node.token)
    before = await node.count()
    resp = await client.post("/publish/callout.published", data={**CALLOUT, "csrf": other_csrf})
    assert resp.status == 403 and await node.count() == before


async def test_publish_needs_login_even_with_a_valid_anonymous_token(client, node):
    page = await client.get("/login")
    before = await node.count()
    resp = await client.post("/publish/callout.published", data={**CALLOUT, "csrf": csrf_of(await page.text())})
    assert resp.status == 401 and await node.count() == before


async def test_publish_pages_redirect_to_login_when_logged_out(client):
    resp = await client.get("/publish/callout.published?campaign=ab", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/login?next=/publish/callout.published")


async def test_logout_ends_the_session(client, node):
    csrf = await login(client, node.token)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    resp = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    assert (await client.get("/publish", allow_redirects=False)).status == 303
    # the old cookie and token are dead, even if a copy of them is replayed
    client.session.cookie_jar.update_cookies({COOKIE: cookie})
    before = await node.count()
    resp = await client.post("/publish/callout.published", data={**CALLOUT, "csrf": csrf})
    assert resp.status == 401 and await node.count() == before  # logged out: the route's role check answers first


async def test_logout_without_csrf_is_refused(client, node):
    await login(client, node.token)
    resp = await client.post("/logout", data={})
    assert resp.status == 403
    assert (await client.get("/publish", allow_redirects=False)).status == 200


def test_sessions_expire_when_idle_and_are_capped():
    now = [1000.0]
    sessions = Sessions(clock=lambda: now[0], idle=60, limit=3)

    class Req:
        def __init__(self, sid):
            self.cookies = {COOKIE: sid}

    first = sessions.new(logged_in=True)
    again = sessions.get(Req(first.sid))
    assert again is not None and (again.sid, again.csrf, again.logged_in) == (first.sid, first.csrf, True)
    now[0] += 61
    assert sessions.get(Req(first.sid)) is None
    made = [sessions.new() for _ in range(5)]
    assert sessions.anonymous == 3 and sessions.get(Req(made[0].sid)) is None and sessions.get(Req(made[-1].sid)) is made[-1]


def test_next_is_always_a_local_path():
    assert safe_next("/callouts/ab#x") == "/callouts/ab#x"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "", None, "callouts"):
        assert safe_next(bad) == "/"
    # browsers drop tabs and newlines from URLs: these would lead to //localhost:1/x (issue 13, item 6)
    for bad in ("/\t/localhost:1/x", "/\n/evil.example", "/\r\n/x", "/a b", "/\x00x", "/\x7fx"):
        assert safe_next(bad) == "/"


async def test_a_login_whose_next_holds_a_tab_or_a_newline_goes_home(client, node):
    for bad in ("/\t/localhost:1/x", "/x\r\nSet-Cookie: a=b"):
        page = await client.get("/login")
        data = {"csrf": csrf_of(await page.text()), "secret": node.token, "next": bad}
        resp = await client.post("/login", data=data, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_concurrent_wrong_guesses_from_one_address_are_throttled(client, node):
    # 200 guesses at once from one address: only the first 10 are checked, the rest refused (issue 13, item 3).
    page = await client.get("/login")
    csrf = csrf_of(await page.text())

    async def guess(i: int) -> int:
        resp = await client.post("/login", data={"csrf": csrf, "secret": f"guess {i}"})
        await resp.read()
        return resp.status

    statuses = await asyncio.gather(*(guess(i) for i in range(200)))
    assert statuses.count(401) == 10 and statuses.count(429) == 190
    resp = await client.post("/login", data={"csrf": csrf, "secret": node.token})
    assert resp.status == 429


def test_an_attempt_counts_before_it_is_checked_and_a_good_login_forgets():
    now = [0.0]
    throttle = LoginThrottle(limit=2, window=60, clock=lambda: now[0])
    assert throttle.attempt("a") == 0 and throttle.attempt("a") == 0
    assert throttle.attempt("a") == 61 and throttle.attempt("b") == 0
    throttle.succeeded("a")
    assert throttle.attempt("a") == 0


async def test_a_node_public_over_https_marks_its_cookie_secure_behind_a_plain_http_proxy(tmp_path, aiohttp_client, monkeypatch):
    import argparse

    from node.app import create_app
    from node.extras import node_extras

    from .conftest import make_node

    for i, (public, secure) in enumerate((("https://tenants.example.org", True), ("http://192.168.1.5:8470", False))):
        monkeypatch.setenv("SOLNET_PUBLIC_URL", public)
        node = make_node(tmp_path / str(i), "Leith Tenants")
        extras = node_extras(node.service, argparse.Namespace(listen="127.0.0.1:8470"))
        cl = await aiohttp_client(create_app(node.service, extras=extras))
        resp = await cl.get("/login")  # the proxy talks plain HTTP to the node
        assert bool(resp.cookies[COOKIE]["secure"]) is secure, public
        await cl.close()
