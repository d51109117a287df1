"""Every route of the whole app (API, peer protocol, web page), walked with each role and logged out (issue 16).

The walk is built from the app's router, so a route added without an entry in node/access.py's ACCESS fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from node.access import ACCESS, Need
from node.api import SERVICE
from node.app import create_app
from node.federation import FederationConfig, federation_setup
from node.http_errors import UNEXPECTED
from node.members import ACCOUNTS, ROLE_SCOPES, Role, Scope
from node.web import setup_web

from .conftest import make_service

PASSWORD = "a password for the walk"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
REFUSALS = ("this page is for", "this needs", "log in first")


@dataclass
class Caller:
    """One role's way in: a browser session (cookies and CSRF token) for pages, a bearer token for the API."""

    label: str
    scopes: frozenset[Scope]
    http: aiohttp.ClientSession
    csrf: str = ""
    token: str | None = None


async def _browser(base: str, name: str | None, secret: str | None) -> tuple[aiohttp.ClientSession, str]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.get(f"{base}/login") as resp:
        csrf = CSRF.search(await resp.text()).group(1)
    if secret is None:
        return http, csrf
    form = {"csrf": csrf, "name": name or "", "secret": secret, "next": "/account"}
    async with http.post(f"{base}/login", data=form) as resp:
        assert resp.status == 200 and str(resp.url).endswith("/account"), await resp.text()
        return http, CSRF.search(await resp.text()).group(1)


@pytest.fixture
async def walk(tmp_path: Path, aiohttp_client):
    service, node_token = make_service(tmp_path / "node", "Walkers")
    app = create_app(service, extras=[federation_setup(FederationConfig(own_url="http://127.0.0.1:9", interval=3600)), setup_web])
    client = await aiohttp_client(app)
    base = str(client.make_url("")).rstrip("/")
    accounts = app[ACCOUNTS]
    callers = [Caller("logged out", frozenset(), *(await _browser(base, None, None)))]
    for role in Role:
        member, link = accounts.invite(f"A {role.value}", role)
        accounts.accept(link, PASSWORD)
        _, token = accounts.add_token(member.id, ROLE_SCOPES[role], "walk")
        callers.append(Caller(role.value, ROLE_SCOPES[role], *(await _browser(base, member.name, PASSWORD)), token))
    callers.append(Caller("built-in admin", ROLE_SCOPES[Role.ADMIN], *(await _browser(base, None, node_token)), node_token))
    yield app, base, callers
    for caller in callers:
        await caller.http.close()
    assert app[UNEXPECTED] == [], app[UNEXPECTED]


def _path(canonical: str) -> str:
    return "/static/style.css" if canonical == "/static" else re.sub(r"\{[^}]+\}", "x", canonical)


async def _call(base: str, caller: Caller, method: str, path: str, need: Need) -> tuple[int, str, str]:
    api = path.startswith(("/api/", "/peer/"))
    headers = {"Authorization": f"Bearer {caller.token}"} if api and caller.token else {}
    kwargs: dict = {"json": {}} if api else {"data": {"csrf": caller.csrf}}
    if method == "GET" or (not api and need is Need.PUBLIC):  # (a public form gets no CSRF: /logout must not log out)
        kwargs = {}
    async with caller.http.request(method, base + path, headers=headers, allow_redirects=False, **kwargs) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text(errors="replace")  # (peer replies are msgpack)


async def test_every_route_answers_each_role_as_its_table_says(walk):
    app, base, callers = walk
    routes = sorted({(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD" and r.resource})
    undecided = [f"{m} {c}" for m, c in routes if f"{m} {c}" not in ACCESS]
    assert not undecided, f"routes without a role decision in node/access.py ACCESS: {undecided}"
    assert {f"{m} {c}" for m, c in routes} == set(ACCESS), "ACCESS names routes the app does not have"
    for method, canonical in routes:
        need = ACCESS[f"{method} {canonical}"]
        for caller in callers:
            status, location, body = await _call(base, caller, method, _path(canonical), need)
            where = f"{method} {canonical} as {caller.label}: {status} {body[:200]}"
            refused = location.startswith("/login?next=") or (status in (401, 403) and any(r in body.lower() for r in REFUSALS))
            assert status < 500, where
            if isinstance(need.value, Scope) and need.value not in caller.scopes:
                assert refused, where
                if caller.scopes:  # someone logged in but without the role: 403 naming what is missing
                    assert status == 403 and (need.value.value in body or "this page is for" in body.lower()), where
                else:
                    assert status == 401 or (method == "GET" and status == 303), where
            else:
                assert not refused, where
                if need is Need.LINK:
                    assert status == 410 and "link is not known" in body, where


PRIVATE = re.compile(r"(GET|POST) /(members|activity|account|settings|publish|api/v1/(me|activity|quarantine))\b|POST /api/")
"""Routes that must never be public, whatever the table says: the group's own records, accounts, writes."""


def test_nothing_private_is_public():
    public = [key for key, need in ACCESS.items() if PRIVATE.match(key) and need in (Need.PUBLIC, Need.LINK)]
    assert public == []
    assert ACCESS["GET /settings"] is ACCESS["POST /members"] is ACCESS["POST /api/v1/peers"] is Need.ADMIN
    assert ACCESS["POST /api/v1/events"] is ACCESS["POST /publish/{kind}"] is Need.PUBLISH


async def test_a_token_without_the_scope_is_told_which_one_is_missing(walk):
    _, base, callers = walk
    member = next(c for c in callers if c.label == "member")
    async with member.http.post(
        f"{base}/api/v1/events",
        json={"kind": "callout.published", "payload": {}},
        headers={"Authorization": f"Bearer {member.token}"},
    ) as resp:
        error = (await resp.json())["error"]
    assert resp.status == 403 and error["field"] == "scope" and "publish scope" in error["message"]
    async with member.http.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {member.token}"}) as resp:
        me = await resp.json()
    assert me["name"] == "A member" and me["role"] == "member" and me["scopes"] == ["read"] and me["member_id"]


async def test_turning_the_shared_login_off_ends_the_built_in_admin_at_once(walk):
    app, base, callers = walk
    builtin = next(c for c in callers if c.label == "built-in admin")
    admin = next(c for c in callers if c.label == "admin")
    async with builtin.http.post(f"{base}/settings", data={"csrf": builtin.csrf, "shared_login": "off"}) as resp:
        assert resp.status == 400 and "your own admin account" in await resp.text()  # not by the shared login itself
    async with admin.http.post(f"{base}/settings", data={"csrf": admin.csrf, "shared_login": "off"}) as resp:
        assert resp.status == 200
    assert app[SERVICE].credentials().shared_login is False and SERVICE
    async with builtin.http.get(f"{base}/members", allow_redirects=False) as resp:
        assert resp.status == 303  # its session ended
    async with builtin.http.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {builtin.token}"}) as resp:
        assert resp.status == 401
