"""A fresh `solnet run` needs no terminal afterwards: it prints a one-time set-up link, and the browser does the rest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from .test_three_nodes import ROOT, free_port

pytestmark = pytest.mark.e2e
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/setup/[A-Za-z0-9_-]+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _read_link(proc: subprocess.Popen, timeout: float = 30) -> str:
    deadline, seen = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if found := LINK.search(line):
            return found.group(1)
    raise AssertionError(f"no set-up link printed: {seen}")


async def test_fresh_run_prints_a_set_up_link_that_makes_the_first_admin(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOLNET_NAME", None)
    command = [sys.executable, "-m", "node.cli", "run", "--data", str(tmp_path / "d"), "--listen", f"0.0.0.0:{port}"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        link = _read_link(proc)  # loopback, though it listens on every address
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(link) as resp:
                page = await resp.text()
                assert resp.status == 200 and "Set up this node" in page and 'value="Europe/London" selected' in page
            form = {
                "csrf": CSRF.search(page).group(1),
                "group_name": "Leith Tenants",
                "group_area": "Leith",
                "time_zone": "Europe/Lisbon",
                "admin_name": "Ada",
                "password": "first admin password",
                "password_again": "first admin password",
            }
            async with http.post(link, data=form) as resp:
                members = await resp.text()
                assert resp.status == 200 and str(resp.url).endswith("/members")
                assert "Ada (admin)" in members and "Members of Leith Tenants" in members
            async with http.get(f"http://127.0.0.1:{port}/api/v1/groups") as resp:
                [group] = (await resp.json())["groups"]
                assert group["name"] == "Leith Tenants" and group["area"] == "Leith"
            async with http.post(link, data=form) as resp:
                assert resp.status == 410 and "used already" in await resp.text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert '"time_zone": "Europe/Lisbon"' in (tmp_path / "d" / "node.json").read_text()
