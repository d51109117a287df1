"""Which language a page is in: the switch (a cookie), a member's own setting, Accept-Language, the node's default."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient

from node.i18n import LANGUAGE_COOKIE, LANGUAGES
from node.members import ACCOUNTS

from .conftest import csrf_of, login

HTML = re.compile(r'<html lang="([a-z]+)" dir="(ltr|rtl)">')


async def shown(client: TestClient, path: str = "/", **headers: str) -> tuple[str, str, str]:
    """Return (lang, dir, page) of a page."""
    resp = await client.get(path, headers=headers)
    text = await resp.text()
    assert resp.status == 200, text
    lang, direction = HTML.search(text).groups()
    return lang, direction, text


async def test_a_visitor_gets_the_node_default_then_the_browser_s_language(client, node):
    assert (await shown(client))[:2] == ("en", "ltr")
    lang, direction, text = await shown(client, **{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert (lang, direction) == ("es", "ltr") and "Novedades" in text and ">Feed<" not in text
    assert (await shown(client, **{"Accept-Language": "fr, ar;q=0.4"}))[:2] == ("ar", "rtl")
    assert (await shown(client, **{"Accept-Language": "fr, de"}))[:2] == ("en", "ltr")
    node.service.update_settings(language="pl")
    assert (await shown(client, **{"Accept-Language": "fr, de"}))[0] == "pl"  # nothing the node speaks: its default
    assert (await shown(client, **{"Accept-Language": "bn"}))[0] == "bn"


async def test_every_page_carries_a_switch_to_every_language_named_in_itself(client):
    _, _, text = await shown(client, "/groups")
    for lang in LANGUAGES:
        assert f'href="/language?lang={lang.code}&amp;next=%2Fgroups" lang="{lang.code}" dir="{lang.dir}"' in text
        assert f">{lang.name}</a>" in text


async def test_the_switch_keeps_the_choice_in_a_cookie_over_the_browser_s_language(client):
    resp = await client.get("/language", params={"lang": "pl", "next": "/groups"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/groups"
    assert resp.cookies[LANGUAGE_COOKIE].value == "pl"
    lang, _, text = await shown(client, "/groups", **{"Accept-Language": "es"})
    assert lang == "pl" and "Zaloguj się" in text


@pytest.mark.parametrize("query", [{"lang": "xx"}, {"lang": ""}, {}])
async def test_an_unknown_language_is_refused_and_changes_nothing(client, query):
    resp = await client.get("/language", params={**query, "next": "/groups"}, allow_redirects=False)
    assert resp.status == 400 and LANGUAGE_COOKIE not in resp.cookies
    assert "not a language this node speaks" in await resp.text()
    assert (await shown(client))[0] == "en"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "groups"])
async def test_the_switch_goes_back_only_to_a_page_of_this_node(client, target):
    resp = await client.get("/language", params={"lang": "es", "next": target}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_a_member_s_language_is_kept_with_them_and_follows_them_to_a_new_browser(client, node, aiohttp_client):
    accounts = client.server.app[ACCOUNTS]
    _, link = accounts.invite("Ama", "member")
    accounts.accept(link, "a good password")
    page = await client.get("/login")
    await client.post("/login", data={"csrf": csrf_of(await page.text()), "name": "Ama", "secret": "a good password"})
    csrf = csrf_of(await (await client.get("/account")).text())
    refused = await client.post("/account/language", data={"csrf": csrf, "language": "klingon"})
    assert refused.status == 400 and accounts.language(accounts.named("Ama").id) is None
    chosen = await client.post("/account/language", data={"csrf": csrf, "language": "bn"}, allow_redirects=False)
    assert chosen.status == 303 and chosen.cookies[LANGUAGE_COOKIE].value == "bn"
    assert accounts.language(accounts.named("Ama").id) == "bn"

    other = await aiohttp_client(client.server.app)  # another browser: no cookies yet
    assert (await shown(other, **{"Accept-Language": "es"}))[0] == "es"
    page = await other.get("/login")
    await other.post("/login", data={"csrf": csrf_of(await page.text()), "name": "Ama", "secret": "a good password"})
    assert (await shown(other, **{"Accept-Language": "es"}))[0] == "bn"

    accounts.remove("Ama")  # (the setting goes with the member)
    with accounts.db.tx("looking", write=False) as tx:
        assert tx.row(f"SELECT COUNT(*) FROM {accounts.languages.t}") == (0,)


async def test_an_admin_sets_the_node_s_default_language(client, node):
    csrf = await login(client, node.token)
    refused = await client.post("/settings", data={"csrf": csrf, "language": "xx"})
    assert refused.status == 422 and node.service.credentials().language == "en"
    resp = await client.post("/settings", data={"csrf": csrf, "language": "ar"})
    assert resp.status == 200 and node.service.credentials().language == "ar"
    assert node.data.settings().language == "ar"  # (kept in the data dir)
