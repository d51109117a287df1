"""The admin page that rotates the group's key with its recovery kit: CSRF-checked, refusals change nothing."""

from __future__ import annotations

import html

import pytest

from events import Identity, KeyState, Mode, verify_chain
from node.app import create_app
from node.http_errors import UNEXPECTED
from node.recovery import kit_text, new_kit, read_kit
from node.web import setup_web

from .conftest import csrf_of, login, make_node


@pytest.fixture
async def kit_node(tmp_path):
    n = make_node(tmp_path / "a", "Leith Tenants")
    kit = new_kit(n.service.identity.public_key)
    await n.service.commit_next_key(kit.commitment)  # as `solnet init` does
    await n.service.publish("group.profile", {"name": "Leith Tenants"})
    yield n, kit


async def test_the_key_page_rotates_with_the_kit_and_shows_the_new_kit_once(kit_node, aiohttp_client):
    node, kit = kit_node
    app = create_app(node.service, extras=[setup_web])
    client = await aiohttp_client(app)
    assert (await client.get("/key", allow_redirects=False)).status == 303  # log in first
    csrf = await login(client, node.token)
    form = await (await client.get("/key")).text()
    assert 'name="kit"' in form and csrf_of(form) == csrf
    before = await node.count()
    # no CSRF token: refused before anything is read
    assert (await client.post("/key", data={"kit": kit_text(kit)})).status == 403
    # another group's kit: shown why, nothing signed
    other = new_kit(Identity.generate().public_key)
    refused = await client.post("/key", data={"csrf": csrf, "kit": kit_text(other)})
    assert refused.status == 422 and "this recovery kit is for" in html.unescape(await refused.text())
    assert await node.count() == before and node.service.identity.signing_key == kit.group
    # the right kit, pasted as its printed words with the group line
    done = await client.post("/key", data={"csrf": csrf, "kit": kit_text(kit)})
    text = html.unescape(await done.text())
    assert done.status == 200 and f"rotated at seq {before + 1}" in text
    fresh = read_kit(text[text.index("SOLIDARITY NETWORK RECOVERY KIT") :].split("</pre>")[0])
    assert read_kit((node.data.path / "recovery-kit-2.txt").read_text()).commitment == fresh.commitment
    assert node.service.identity.signing_key == kit.next_key.public_key
    await node.service.publish("campaign.created", {"title": "After the rotation"})
    log = await node.service.astore.read_log(kit.group, 1, 10)
    assert [e.kind for e in log][-2:] == ["key.rotate", "campaign.created"]
    result = verify_chain(log, kit.group, Mode.FULL, keys=KeyState.inception(kit.group))
    assert not result.rejected and not result.bad_signatures and result.keys.commitment == fresh.commitment
    assert app[UNEXPECTED] == []
