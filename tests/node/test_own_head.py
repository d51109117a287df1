"""The "own head confirmed" state (node/own_head.py), what `solnet publish` learns from the serving node, and backups."""

from __future__ import annotations

import html
import multiprocessing
import sqlite3
from dataclasses import replace

import pytest

from node.app import create_app
from node.backup import backup_data_dir
from node.datadir import DataDir
from node.errors import ConfigError, OwnHeadUnconfirmedError, SeqHeldByPeerError
from node.http_errors import UNEXPECTED
from node.own_head import OwnHead, ServingState
from node.web import setup_web

from .web.conftest import login, make_node


def test_unconfirmed_refuses_until_a_peer_answered():
    head = OwnHead()
    with pytest.raises(OwnHeadUnconfirmedError, match="none yet"):
        head.check(11)
    head.failed("http://b")
    with pytest.raises(OwnHeadUnconfirmedError, match="http://b"):
        head.check(11)
    head.answered("http://c")
    head.check(11)
    assert head.status()["own_head"]["confirmed_by"] == "http://c"


def test_a_seq_a_peer_holds_is_refused_even_for_the_only_copy():
    head = OwnHead(only_copy=True)
    head.add_holders(lambda seq: "http://b" if seq <= 20 else None)
    with pytest.raises(SeqHeldByPeerError, match="http://b holds this group's event at seq 11"):
        head.check(11)
    head.check(21)


def _hold_then_wait(path: str, ready, done) -> None:  # pragma: no cover - runs in a child process
    head = OwnHead()
    state = ServingState(DataDir.at(path).path)
    assert state.hold(head)
    head.answered("http://b")
    ready.set()
    done.wait(20)


def test_the_cli_trusts_the_state_file_only_while_a_serving_process_holds_the_lock(tmp_path):
    state = ServingState(tmp_path)
    assert state.serving_confirmed_by() is None  # no node ever served here
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_then_wait, args=(str(tmp_path), ready, done))
    child.start()
    try:
        assert ready.wait(20)
        assert state.serving_confirmed_by() == "http://b (through the node serving this data dir)"
    finally:
        done.set()
        child.join(20)
    # The same state file, left behind (or restored from a backup) with no live holder, counts for nothing.
    assert (tmp_path / "own-head.json").exists()
    assert state.serving_confirmed_by() is None


async def test_the_publish_form_says_why_it_is_refused_and_stores_nothing(tmp_path, aiohttp_client):
    node = make_node(tmp_path / "a", "Leith Tenants")
    await node.service.publish("group.profile", {"name": "Leith Tenants"})
    node.service.own_head.only_copy = False  # as `solnet serve` starts on a data dir that may be a restored backup
    app = create_app(node.service, extras=[setup_web])
    client = await aiohttp_client(app)
    csrf = await login(client, node.token)
    index = html.unescape(await (await client.get("/publish")).text())
    assert "Publishing is paused until a peer confirms" in index  # said before anyone types a form
    form = {"csrf": csrf, "title": "Bodies at the door", "text": "7am", "needs": "people", "urgency": "normal"}
    resp = await client.post("/publish/callout.published", data=form)
    page = html.unescape(await resp.text())
    assert resp.status == 422
    assert "publishing is paused until a peer confirms this node's own log is up to date" in page
    assert "--i-am-the-only-copy" in page and "Bodies at the door" in page  # what was typed is kept
    assert await node.count() == 1
    assert app[UNEXPECTED] == []


def test_backup_refuses_a_used_destination_and_a_postgresql_node(tmp_path):
    data = DataDir.at(tmp_path / "a")
    data.init("Leith Tenants")
    sqlite3.connect(data.path / "solnet.sqlite3").close()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(ConfigError, match="not an empty directory"):
        backup_data_dir(data, tmp_path / "used")
    data.save(replace(data.settings(), database_url="postgresql://postgres@127.0.0.1/x"))
    with pytest.raises(ConfigError, match="pg_dump"):
        backup_data_dir(data, tmp_path / "new")
    assert not (tmp_path / "new").exists()
