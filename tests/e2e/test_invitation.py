"""`solnet invite` at a reachable node, `solnet init --join CODE` for a node behind NAT: peered, following, pushed to.

Anti-entropy runs every ten minutes here, so what crosses within seconds crossed by a push over the subscription.
The home node listens on loopback only so the test can read its API; nobody is told that URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .test_three_nodes import ROOT, free_port, get_json, solnet, wait_for

pytestmark = pytest.mark.e2e


def test_a_node_behind_nat_joins_with_one_code_and_gets_pushes(tmp_path):
    env = {
        **os.environ,
        "SOLNET_SYNC_INTERVAL": "600",
        "SOLNET_PEER_EXCHANGE": "0",
        "PYTHONPATH": str(ROOT),
    }
    ports = {"hub": free_port(), "home": free_port()}
    hub_url = f"http://127.0.0.1:{ports['hub']}"
    home_url = f"http://127.0.0.1:{ports['home']}"
    hub, home, late = (str(tmp_path / n) for n in ("hub", "home", "late"))
    procs: list[subprocess.Popen] = []

    def serve(data: str, port: int, *extra: str) -> None:
        log = open(tmp_path / f"{port}.log", "ab")  # noqa: SIM115 - closed with the process
        args = [sys.executable, "-m", "node.cli", "serve", "--data", data, "--listen", f"127.0.0.1:{port}", *extra]
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_for(lambda: get_json(f"http://127.0.0.1:{port}/api/v1/node"), 30, f"{data} serving")

    try:
        solnet("init", "--name", "Hub", "--data", hub, "--public-url", hub_url, env=env)
        serve(hub, ports["hub"], "--i-am-the-only-copy")
        invitation = json.loads(solnet("invite", "--data", hub, "--json", env=env))
        assert invitation["state"] == "open" and invitation["link"].startswith(hub_url + "/join/")

        out = solnet("init", "--name", "Home", "--data", home, "--join", invitation["code"], env=env)
        assert "joined" in out and "subscribed" in out
        hub_peers = get_json(hub_url + "/api/v1/peers")["peers"]
        # The hub took the home node as a chosen peer by its group (it has no URL), before it ever ran.
        assert [p["url"] for p in hub_peers if p["url"].startswith("sub:")], hub_peers
        assert not [p for p in hub_peers if p["url"].startswith("http")]

        serve(home, ports["home"])
        wait_for(lambda: get_json(hub_url + "/api/v1/node")["subscriptions"]["subscribers"], 30, "home subscribed")
        home_info = get_json(home_url + "/api/v1/node")
        hub_info = get_json(hub_url + "/api/v1/node")
        assert hub_info["group_id"] in home_info["replication"]["followed_groups"]
        assert home_info["subscriptions"]["subscribed_to"] == [hub_url]
        wait_for(lambda: (get_json(home_url + "/api/v1/node") or {}).get("own_head", {}).get("confirmed"), 30, "confirmed")

        solnet("publish", "callout", "--title", "From the hub", "--text", "Bodies", "--data", hub, env=env)
        wait_for(lambda: "From the hub" in titles(home_url), 5, "hub's callout at home")
        solnet("publish", "callout", "--title", "From home", "--text", "Soup", "--data", home, env=env)
        wait_for(lambda: "From home" in titles(hub_url), 5, "home's callout at the hub")

        # The invitation was good once: a second node is refused, and says why.
        done = subprocess.run(
            [sys.executable, "-m", "node.cli", "init", "--name", "Late", "--data", late, "--join", invitation["code"]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0 and "used already" in done.stderr, done.stderr
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def titles(url: str) -> set[str]:
    body = get_json(url + "/api/v1/callouts") or {"callouts": []}
    return {c["title"] for c in body["callouts"]}
