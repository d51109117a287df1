"""A stolen key, with `solnet` processes on loopback (docs/PROTOCOL.md §11.1, docs/OPERATIONS.md "Key rotation").

G is the group's node, P a peer. The thief copies G's key file to a node T of its own and publishes as the group.
G's machine is lost; the group recovers on a fresh data dir R with its recovery kit (`solnet key recover --after`),
rotating right after its last own event: P ends on the rotated branch, shows the group as rotated after a fork,
the thief's node itself follows and can no longer publish, and the auditor reports the rotation and the thief's
superseded events.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_three_nodes import ROOT, Nodes, free_port, get_json, solnet, wait_for

pytestmark = pytest.mark.e2e


def titles(nodes: Nodes, name: str, group: str) -> list[str]:
    body = get_json(f"{nodes.url(name)}/api/v1/groups/{group}") or {}
    return sorted(c["title"] for c in body.get("campaigns", []))


class StolenKeyNodes(Nodes):
    """G (the group's node), P (a peer of everyone), T (the thief's node), R (the group's node after recovery)."""

    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "SOLNET_SYNC_INTERVAL": "0.5", "SOLNET_PEER_EXCHANGE": "0", "PYTHONPATH": str(ROOT)}
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {name: free_port() for name in "GPTR"}
        self.peers = {"G": ["P"], "P": ["G", "T", "R"], "T": ["P"], "R": ["P"]}
        for name in "GPT":  # R is made by `solnet key recover`
            solnet("init", "--name", f"Group {name}", "--data", str(root / name), env=self.env)


def diagnosis(nodes: StolenKeyNodes, name: str, group: str, root: Path) -> str:
    """What a node that did not follow the rotation shows: its view of the group, its peers' health, its log."""
    lines = [f"{name} sees titles {titles(nodes, name, group)}"]
    for path in ("/api/v1/node", "/api/v1/peers", f"/api/v1/groups/{group}"):
        lines.append(f"{name} {path}: {json.dumps(get_json(nodes.url(name) + path))[:3000]}")
    log = root / f"{name}.log"
    if log.exists():
        lines.append(f"{name}.log (last 40 lines):\n" + "\n".join(log.read_text(errors="replace").splitlines()[-40:]))
    return "\n".join(lines)


@pytest.fixture
def nodes(tmp_path):
    made = StolenKeyNodes(tmp_path)
    try:
        yield made
    finally:
        for name in list(made.procs):
            made.kill(name)


def test_the_group_recovers_from_a_stolen_key_with_its_kit(nodes, tmp_path):
    env, data = nodes.env, {n: str(tmp_path / n) for n in "GPTR"}
    nodes.start("P")
    nodes.start("G")
    group = get_json(nodes.url("G") + "/api/v1/node")["group_id"]
    wait_for(lambda: (get_json(nodes.url("G") + "/api/v1/node") or {}).get("own_head", {}).get("confirmed"), 30, "G confirmed")
    solnet("publish", "campaign", "--title", "Save Elm Street", "--data", data["G"], env=env)
    wait_for(lambda: titles(nodes, "P", group) == ["Save Elm Street"], 30, "the group's campaign at P")
    kit = tmp_path / "offline-kit.txt"
    shutil.copy(tmp_path / "G" / "recovery-kit.txt", kit)

    # the thief copies G's key; then G's machine is lost
    shutil.copy(tmp_path / "G" / "identity.pem", tmp_path / "T" / "identity.pem")
    nodes.kill("G")
    nodes.start("T")
    wait_for(lambda: (get_json(nodes.url("T") + "/api/v1/node") or {}).get("own_head", {}).get("confirmed"), 30, "T confirmed")
    for title in ("Thief one", "Thief two"):
        solnet("publish", "campaign", "--title", title, "--data", data["T"], env=env)
    wait_for(lambda: titles(nodes, "P", group) == ["Save Elm Street", "Thief one", "Thief two"], 30, "the thief's at P")
    last_own = 3  # key.commit, group.profile, the campaign: what the group vouches for

    # the group recovers on a fresh data dir with its kit, from P, rotating right after its own seq 3
    out = solnet("key", "recover", str(kit), "--data", data["R"], "--peer", nodes.url("P"), "--after", str(last_own), env=env)
    assert "rotated the group's log at seq 4" in out
    nodes.start("R")
    wait_for(lambda: (get_json(nodes.url("R") + "/api/v1/node") or {}).get("own_head", {}).get("confirmed"), 30, "R confirmed")
    solnet("publish", "campaign", "--title", "We are back", "--data", data["R"], env=env)
    # the thief's own node runs the same rules: it follows the rotation too (after a pull backoff: up to 180 s when loaded)
    for name in "PRT":
        try:
            wait_for(lambda n=name: titles(nodes, n, group) == ["Save Elm Street", "We are back"], 180, f"{name} rotated")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{diagnosis(nodes, name, group, tmp_path)}") from None
    info = get_json(nodes.url("P") + "/api/v1/node")
    page = get_json(f"{nodes.url('P')}/api/v1/groups/{group}")
    assert page["rotated_after_fork"] and not page["forked"] and group not in info["forked_groups"]

    # the old key can no longer publish: refused at the thief's node, before anything is signed
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", "publish", "campaign", "--title", "Thief three", "--data", data["T"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "not the one in force" in done.stderr

    # the auditor, on P's data dir: the rotation, and the thief's two events it superseded; no violation
    nodes.kill("P")
    report = json.loads(solnet("audit", data["P"], "--json", env=env))
    assert report["clean"], report
    assert [(r["group"], r["seq"]) for r in report["rotations"]] == [(group, 4)]
    assert [(s["group"], s["seq"], s["count"], s["rotation_seq"]) for s in report["superseded"]] == [(group, 4, 2, 4)]
