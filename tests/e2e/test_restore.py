"""Issue 14 with `solnet serve` processes and the CLI: a backup taken while A serves, restored after A published on.

A publishes seq 1-20 from the CLI while serving (B holds them), `solnet backup` runs at seq 10; the disk dies and
the backup becomes A's data dir. While B is down, `solnet publish` on A is refused and stores nothing; once B is
back, A catches up on its own log and the CLI publishes at seq 21; nobody holds a fork proof.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .test_three_nodes import ROOT, Nodes, get_json, solnet, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def pair(tmp_path):
    made = Nodes(tmp_path)
    try:
        yield made
    finally:
        for name in list(made.procs):
            made.kill(name)


def publish(nodes: Nodes, data: str, title: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "node.cli", "publish", "callout", "--title", title, "--text", "t", "--data", data]
    return subprocess.run(args, cwd=ROOT, env=nodes.env, capture_output=True, text=True, timeout=60)


def node_info(nodes: Nodes, name: str) -> dict:
    return get_json(nodes.url(name) + "/api/v1/node") or {}


def held_by(nodes: Nodes, name: str, group: str) -> int:
    body = get_json(nodes.url(name) + "/api/v1/groups") or {"groups": []}
    return next((g["events"] for g in body["groups"] if g["group_id"] == group), 0)


def test_restore_from_a_backup_never_forks_with_the_cli(pair):
    nodes = pair
    nodes.peers = {"A": ["B"], "B": ["A"], "C": []}
    a_data = str(nodes.root / "A")
    solnet("peer", "add", nodes.url("B"), "--data", a_data, env=nodes.env)  # so that the CLI too can ask B
    nodes.start("A")
    nodes.start("B")
    group = node_info(nodes, "A")["group_id"]
    wait_for(lambda: node_info(nodes, "A")["own_head"]["confirmed"], 30, "B confirms A's head")
    for i in range(3, 11):  # init signed seq 1 (the commitment to the next key) and 2 (the profile)
        assert publish(nodes, a_data, f"call {i}").returncode == 0
    backup = nodes.root / "A-backup"
    out = solnet("backup", str(backup), "--data", a_data, env=nodes.env)
    assert "solnet.sqlite3" in out and "identity.pem" in out
    for i in range(11, 21):
        assert publish(nodes, a_data, f"call {i}").returncode == 0
    wait_for(lambda: held_by(nodes, "B", group) == 20, 30, "B holds A's 20 events")

    nodes.kill("A")
    nodes.kill("B")
    shutil.rmtree(a_data)
    shutil.copytree(backup, a_data)  # the disk died; last week's backup is restored
    nodes.start("A")
    assert node_info(nodes, "A")["own_events"] == 10
    refused = publish(nodes, a_data, "while B is down")
    assert refused.returncode == 1, refused.stdout
    assert "publishing is paused until a peer confirms" in refused.stderr and nodes.url("B") in refused.stderr
    assert node_info(nodes, "A")["own_events"] == 10

    nodes.start("B")
    wait_for(lambda: node_info(nodes, "A")["own_head"]["confirmed"], 60, "A confirmed once B is back")
    assert node_info(nodes, "A")["own_events"] == 20
    status = json.loads(solnet("status", "--json", "--data", a_data, env=nodes.env))
    assert status["own_head"]["confirmed"] is True and status["own_head"]["confirmed_by"] == nodes.url("B")
    done = publish(nodes, a_data, "after the restore")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("published callout.published #21")
    wait_for(lambda: held_by(nodes, "B", group) == 21, 30, "B holds A's 21st event")
    assert node_info(nodes, "A")["fork_proofs"] == 0 and node_info(nodes, "B")["fork_proofs"] == 0
