"""Peers and sync in plain words: the pure wording, and the node page and feed of real federating nodes."""

from __future__ import annotations

import aiohttp
import pytest

from node.web.sync_words import ago, peer_line, plain_error, reach_note

from .browser import DESKTOP, PHONE, SCREENSHOTS, chromium


def test_times_and_errors_in_words():
    assert [ago(s) for s in (None, 5, 60, 150, 3600, 7300, 86_400 * 3)] == [
        "never",
        "just now",
        "1 minute ago",
        "2 minutes ago",
        "1 hour ago",
        "2 hours ago",
        "3 days ago",
    ]
    assert plain_error(None) is None
    refused = "no reply from http://x: ClientConnectorError: Cannot connect to host x:80 ssl:default [Connection refused]"
    assert plain_error(refused).startswith("could not connect")
    assert plain_error("no reply from http://x: ServerTimeoutError: Timeout on reading data").startswith("it did not answer")
    assert "address could not be found" in plain_error("ClientConnectorDNSError: [Errno -2] Name or service not known")
    assert plain_error("http://x answered HTTP 404 with text/html, not a peer message").startswith("the address answered")
    assert plain_error("something new") == "the last exchange with it failed"


def _peer(**over):
    base = {"url": "http://a.example", "group_id": None, "state": "healthy", "chosen": True, "failures": 0}
    return {**base, "seconds_since_success": None, "retry_in_seconds": 0, "last_sync_error": None, **over}


def test_peer_lines_and_the_feed_note():
    line = peer_line(_peer(group_id="sn_x", seconds_since_success=130), {"sn_x": "Elm Street Tenants"})
    assert (line.name, line.state, line.heard, line.problem, line.ok) == (
        "Elm Street Tenants",
        "Working",
        "2 minutes ago",
        None,
        True,
    )
    down = peer_line(_peer(state="backoff", failures=2, retry_in_seconds=40, last_sync_error="Connection refused"), {})
    assert (down.name, down.ok, down.retry) == ("http://a.example", False, "in 40 seconds")
    assert down.problem.startswith("could not connect")
    assert reach_note(None) is None  # not federating: nothing to say
    assert "no other nodes" in reach_note([])
    assert reach_note([_peer()]) is None
    assert reach_note([_peer(state="backoff", failures=1, seconds_since_success=60)]) is None  # heard from lately
    note = reach_note([_peer(state="open", failures=9, seconds_since_success=7200), _peer(state="backoff", failures=1)])
    assert note.startswith("This node cannot reach any other node right now (last heard from one 2 hours ago)")


@pytest.mark.browser
async def test_node_page_names_peers_and_the_feed_warns_when_none_answers(cluster):
    a = cluster.add()
    b = cluster.add()
    a.web = True
    a.peers = [b.url]
    await cluster.start()
    await cluster.wait_until(lambda: cluster.has_group(a, b), what="A synced with B")
    async with aiohttp.ClientSession() as session:
        page = await (await session.get(f"{a.url}/node")).text()
        assert f'<a href="/groups/{b.service.group_id}">Group 1</a>' in page and "Working" in page
        assert "Last heard from just now" in page and "Technical detail" in page
        assert "cannot reach any other node" not in await (await session.get(f"{a.url}/")).text()
        await b.stop()
        book = a.federation.book
        await cluster.wait_until(lambda: book.health(b.url).failures >= 1, what="A notices B is gone")
        page = await (await session.get(f"{a.url}/node")).text()
        assert "Problem: could not connect" in page and "ClientConnectorError" not in page.split("Technical detail")[0]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with chromium() as browser:
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            tab = await browser.new_page(viewport=viewport)
            await tab.goto(f"{a.url}/node")
            peer = tab.locator("li.peer", has_text="Group 1")
            assert "Not reachable" in await peer.inner_text()
            assert not await tab.get_by_text("ClientConnectorError").first.is_visible()  # folded away
            assert await tab.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            await tab.screenshot(path=str(SCREENSHOTS / f"node-peers-{width}.png"), full_page=True)
