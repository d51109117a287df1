"""A `solnet serve` process killed (SIGKILL) between queueing a mail and handing it over sends it once after restart.

The first SMTP server accepts connections and never greets, so the mailer is stuck handing the queued mail over
when the process is killed; the node is started again with a real SMTP server (aiosmtpd on loopback), sends the
mail, and sends nothing more after further passes and another restart.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from node.members import Accounts
from node.notify import Notifications
from node.store import open_store
from node.store.sqlite import DB_FILENAME

from ..node.notify.smtp_server import smtp_server
from .test_three_nodes import ROOT, free_port, get_json, solnet, wait_for

pytestmark = pytest.mark.e2e
SENDER = "alerts@elm.example.org"


def _rows(data, sql: str) -> list[tuple]:
    try:
        with sqlite3.connect(f"file:{data / DB_FILENAME}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(sql).fetchall()
    except sqlite3.OperationalError:  # (a table not made yet)
        return []


def _serve(data, port: int, smtp_port: int, env: dict) -> subprocess.Popen:
    args = [sys.executable, "-m", "node.cli", "serve", "--data", str(data), "--listen", f"127.0.0.1:{port}"]
    args.append("--i-am-the-only-copy")
    env = {**env, "SOLNET_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?from={SENDER}"}
    log = open(data.parent / "serve.log", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: get_json(f"http://127.0.0.1:{port}/api/v1/node"), 30, "serving")
    return proc


def _stop(proc: subprocess.Popen, sig: int) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def test_killed_between_queueing_and_sending_the_node_sends_the_mail_once_after_restart(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOLNET_PEER_EXCHANGE": "0"}
    data = tmp_path / "elm"
    solnet("init", "--name", "Elm Street", "--data", str(data), env=env)
    store = open_store(data)
    accounts = Accounts(store)
    orla, link = accounts.invite("Orla", "member", "orla@example.org")
    accounts.accept(link, "a good password")
    Notifications(store).choose(orla.id, urgent=True, digest=False, areas="", needs=[])
    store.close()

    port = free_port()
    silent = socket.socket()  # an SMTP server that never greets: the hand-over hangs until the node is killed
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    proc = _serve(data, port, silent.getsockname()[1], env)
    try:
        wait_for(lambda: _rows(data, "SELECT value FROM mail_state WHERE name = 'cursor'"), 30, "the mailer's first pass")
        solnet("publish", "callout", "--title", "Eviction at 7am", "--text", "Bodies at the door", "--urgency", "critical",
               "--data", str(data), env=env)  # fmt: skip
        wait_for(lambda: _rows(data, "SELECT id FROM mail_outbox"), 30, "the mail queued")
        time.sleep(0.5)  # the mailer is now waiting for the silent server's greeting
        assert _rows(data, "SELECT attempts, sent FROM mail_outbox") == [(0, None)]
    finally:
        _stop(proc, signal.SIGKILL)
        silent.close()

    with smtp_server() as (inbox, smtp_port):
        proc = _serve(data, port, smtp_port, env)
        try:
            await inbox.wait_for("orla@example.org", 1, timeout=20)
            wait_for(lambda: _rows(data, "SELECT sent FROM mail_outbox WHERE sent IS NOT NULL"), 10, "the mail marked sent")
        finally:
            _stop(proc, signal.SIGTERM)
        proc = _serve(data, port, smtp_port, env)  # and once more: nothing is sent again
        try:
            time.sleep(2)
        finally:
            _stop(proc, signal.SIGTERM)
        assert [r.message["Subject"] for r in inbox.to("orla@example.org")] == ["[Critical] Eviction at 7am (Elm Street)"]
