"""Three `solnet serve` processes in a line A-B-C on loopback: a callout published at A reaches C, also across B's restart.

The nodes run in the default (trusted) replication mode with no follows: C takes A's group only because B,
a peer C's operator chose, carries it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def solnet(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return json.loads(resp.read())
    except OSError:
        return None


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout}s")


class Nodes:
    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "SOLNET_SYNC_INTERVAL": "0.5", "SOLNET_PEER_EXCHANGE": "0", "PYTHONPATH": str(ROOT)}
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {name: free_port() for name in "ABC"}
        self.peers = {"A": ["B"], "B": ["A", "C"], "C": ["B"]}
        for name in "ABC":
            solnet("init", "--name", f"Group {name}", "--data", str(root / name), env=self.env)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        args = [sys.executable, "-m", "node.cli", "serve", "--data", str(self.root / name)]
        args += ["--listen", f"127.0.0.1:{self.ports[name]}"]
        for peer in self.peers[name]:
            args += ["--peer", self.url(peer)]
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: get_json(self.url(name) + "/api/v1/node"), 30, f"{name} serving")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def callout_titles(self, name: str) -> set[str]:
        body = get_json(self.url(name) + "/api/v1/callouts") or {"callouts": []}
        return {c["title"] for c in body["callouts"]}


@pytest.fixture
def nodes(tmp_path):
    made = Nodes(tmp_path)
    try:
        yield made
    finally:
        for name in list(made.procs):
            made.kill(name)


def test_callout_crosses_a_line_of_processes_and_a_restart(nodes):
    """Each node has only its neighbours as peers (chosen with --peer) and follows nobody: trust flows along the line."""
    for name in "ABC":
        nodes.start(name)
    for name in "ABC":
        replication = get_json(nodes.url(name) + "/api/v1/node")["replication"]
        assert replication["mode"] == "trusted" and replication["followed_groups"] == []
    a_data = str(nodes.root / "A")
    # A publishes once a peer confirmed its own head (node/own_head.py); the CLI asks the node serving A's data dir.
    wait_for(lambda: (get_json(nodes.url("A") + "/api/v1/node") or {}).get("own_head", {}).get("confirmed"), 30, "A confirmed")
    solnet("publish", "callout", "--title", "First call", "--text", "Bodies at the door", "--data", a_data, env=nodes.env)
    wait_for(lambda: "First call" in nodes.callout_titles("C"), 30, "first callout at C")

    nodes.kill("B")
    solnet("publish", "callout", "--title", "Second call", "--text", "Again", "--data", a_data, env=nodes.env)
    wait_for(lambda: "Second call" in nodes.callout_titles("A"), 10, "second callout in A's own read models")
    # A has noticed it (and tried to push it to B, which is down); C has no other way to hear of it.
    wait_for(
        lambda: any(p["failures"] for p in (get_json(nodes.url("A") + "/api/v1/peers") or {"peers": []})["peers"]),
        15,
        "A sees B failing",
    )
    assert "Second call" not in nodes.callout_titles("C")

    nodes.start("B")
    wait_for(lambda: "Second call" in nodes.callout_titles("C"), 30, "second callout at C after B's restart")
    wait_for(
        lambda: len({(get_json(nodes.url(n) + "/api/v1/node") or {}).get("state_digest") for n in "ABC"}) == 1,
        30,
        "one state digest on all three",
    )

    def settled() -> bool:
        info = [get_json(nodes.url(name) + "/api/v1/node") for name in "ABC"]
        return all(i and i["groups"] == 3 and i["peers_healthy"] == len(nodes.peers[n]) for i, n in zip(info, "ABC", strict=True))

    wait_for(settled, 30, "every node holds three groups and sees its neighbours healthy")
