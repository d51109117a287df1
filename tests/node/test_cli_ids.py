"""The CLI's ids, collections, peers and pipes (issue 17, point 7), and `init --timezone` (point 1)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from events import Identity
from node.cli import main
from node.datadir import DataDir
from node.service import NodeService
from node.settings import EdgeLimits
from node.store import open_store

from .conftest import publish_as
from .test_cli import data, run  # noqa: F401  (the data fixture)


def test_init_sets_the_time_zone_and_refuses_an_unknown_one(capsys, tmp_path):
    code, out, _ = run(capsys, "init", "--name", "Quay", "--timezone", "America/New_York", "--data", str(tmp_path / "a"))
    assert code == 0 and "time zone: America/New_York" in out
    assert DataDir.at(str(tmp_path / "a")).settings().time_zone == "America/New_York"
    code, _, err = run(capsys, "init", "--name", "Quay", "--timezone", "Mars/Olympus", "--data", str(tmp_path / "b"))
    assert code == 2 and "--timezone" in err and "Europe/London" in err
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


def test_init_defaults_to_london(capsys, data):  # noqa: F811
    assert DataDir.at(data).settings().time_zone == "Europe/London"


def _publish(capsys, data: str, *argv: str) -> str:  # noqa: F811
    code, out, err = run(capsys, "publish", *argv, "--data", data, "--json")
    assert code == 0, err
    return json.loads(out)["id"]


def _other_groups_callout(path: str, title: str) -> None:
    """Store another group's callout in the node at `path`, as a peer would deliver it (we pledge on others' callouts)."""

    async def store() -> None:
        dd = DataDir.at(path)
        service = NodeService(store=open_store(dd.path), identity=dd.load_identity(), settings=dd.settings(), data_dir=dd)
        try:
            await publish_as(service, Identity.generate(), "callout.published", {"title": title, "text": "x", "needs": "people"})
        finally:
            await service.close()

    asyncio.run(store())


def test_listed_ids_are_taken_back_by_show_redact_and_callout(capsys, data):  # noqa: F811
    _other_groups_callout(data, "Bailiffs at 7")
    code, out, _ = run(capsys, "list", "callouts", "--data", data)
    short = out.split()[0]
    assert len(short) == 12
    code, out, _ = run(capsys, "show", short, "--json", "--data", data)
    callout = json.loads(out)
    assert code == 0 and callout["payload"]["title"] == "Bailiffs at 7"
    code, out, _ = run(capsys, "show", short[:6].upper(), "--json", "--data", data)
    assert json.loads(out)["id"] == callout["id"]

    pledge = _publish(capsys, data, "pledge", "--callout", short[:8], "--need", "people", "--offer", "we come")
    code, out, _ = run(capsys, "list", "pledges", "--json", "--data", data)
    assert [(p["id"], p["callout"]) for p in json.loads(out)["pledges"]] == [(pledge, callout["id"])]

    code, out, err = run(capsys, "redact", pledge[:10], "--data", data)
    assert code == 0 and f"the payload of {pledge} is dropped" in out, err
    code, out, _ = run(capsys, "show", pledge[:10], "--json", "--data", data)
    assert json.loads(out)["payload_dropped"] is True


def test_short_unknown_and_ambiguous_prefixes_are_refused_and_store_nothing(capsys, data, monkeypatch):  # noqa: F811
    ids = [_publish(capsys, data, "campaign", "--title", f"Campaign {n}") for n in range(17)]
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    before = json.loads(out)["own_events"]
    code, _, err = run(capsys, "show", "abc12", "--data", data)
    assert code == 1 and "at least 6 hex digits" in err
    code, _, err = run(capsys, "redact", "xyz123", "--data", data)
    assert code == 1 and "EVENT_ID must be an event id" in err
    unused = next(p for p in (f"{n:06x}" for n in range(1 << 24)) if not any(i.startswith(p) for i in ids))
    code, _, err = run(capsys, "publish", "pledge", "--callout", unused, "--need", "people", "--data", data)
    assert code == 1 and f"no event in this node's store has an id starting {unused}" in err

    # Two ids sharing 6 digits are rare; with the floor lowered to 1 digit, 17 ids must share one (pigeonhole).
    monkeypatch.setattr("node.commands.ids.MIN_PREFIX", 1)
    digit = next(d for d in "0123456789abcdef" if sum(i.startswith(d) for i in ids) >= 2)
    code, _, err = run(capsys, "redact", digit, "--data", data)
    assert code == 1 and "is ambiguous" in err and "give more digits" in err
    assert all(i in err for i in ids if i.startswith(digit))
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    assert json.loads(out)["own_events"] == before


def test_list_covers_every_collection_of_the_registry(capsys, data):  # noqa: F811
    from events.kinds import COLLECTION_SPECS

    code, out, _ = run(capsys, "status", "--json", "--data", data)
    group = json.loads(out)["group_id"]
    assembly = _publish(capsys, data, "assembly", "--title", "June", "--starts-at", "2031-06-10T18:00+00:00")
    proposal = _publish(capsys, data, "proposal", "--title", "Strike", "--text", "t", "--assembly", assembly[:8])
    _publish(capsys, data, "position", "--proposal", proposal[:8], "--position", "agree")
    _publish(capsys, data, "decision", "--proposal", proposal[:8], "--text", "Agreed")
    _publish(capsys, data, "graph", "--group", group)
    for what in COLLECTION_SPECS:
        code, out, err = run(capsys, "list", what, "--json", "--data", data)
        assert code == 0 and what in json.loads(out), err
        code, out, err = run(capsys, "list", what, "--data", data)
        assert code == 0 and out.strip(), (what, err)
    code, out, _ = run(capsys, "list", "positions", "--data", data)
    assert f"[agree] on {proposal[:12]}" in out
    code, out, _ = run(capsys, "list", "follows", "--data", data)
    assert "Elm Street Tenants follows" in out
    code, out, _ = run(capsys, "list", "decisions", "--data", data)
    assert "Agreed" in out


def test_peer_add_list_remove(capsys, data):  # noqa: F811
    code, out, _ = run(capsys, "peer", "list", "--data", data)
    assert code == 0 and "no peers" in out
    for url in ("http://127.0.0.1:8471/", "http://127.0.0.1:8472"):
        assert run(capsys, "peer", "add", url, "--data", data)[0] == 0
    code, out, _ = run(capsys, "peer", "list", "--json", "--data", data)
    assert [p["url"] for p in json.loads(out)["peers"]] == ["http://127.0.0.1:8471", "http://127.0.0.1:8472"]
    code, out, _ = run(capsys, "peer", "remove", "http://127.0.0.1:8471/", "--data", data)
    assert code == 0 and "removed http://127.0.0.1:8471" in out
    assert DataDir.at(data).settings().peers == ("http://127.0.0.1:8472",)
    code, _, err = run(capsys, "peer", "remove", "http://127.0.0.1:8471", "--data", data)
    assert code == 2 and "not one of this node's peers" in err and "http://127.0.0.1:8472" in err
    assert DataDir.at(data).settings().peers == ("http://127.0.0.1:8472",)


def test_status_into_a_closed_pipe_prints_no_traceback(data):  # noqa: F811
    solnet = Path(sys.executable).with_name("solnet")
    for argv in (["status"], ["list", "groups"], ["audit", "--help"]):
        child = subprocess.Popen(
            [str(solnet), *argv, "--data", data] if argv[0] != "audit" else [str(solnet), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        child.stdout.close()  # the reader is gone before the command writes a line (as `| head` after its lines)
        err = child.stderr.read().decode()
        code = child.wait(timeout=60)
        assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
        assert code in (0, 141), (argv, code, err)


def test_audit_help_says_what_sources_and_exit_codes_mean(capsys):
    with pytest.raises(SystemExit):
        main(["audit", "--help"])
    out = capsys.readouterr().out
    for text in (
        "export bundle",
        "data dir",
        "URL",
        "--fast",
        "--json",
        "--digest-v1",
        "--workers",
        "0 clean",
        "1 violations",
        "2 the source",
    ):
        assert text in " ".join(out.split()), text


def test_every_solnet_variable_in_the_code_is_in_the_operations_table():
    root = Path(__file__).resolve().parents[2]
    used = set()
    for package in ("node", "events", "protocol", "audit", "bench", "tests"):
        for path in (root / package).rglob("*.py"):
            used |= set(re.findall(r"SOLNET_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8")))
    used |= {f"SOLNET_{f.name.upper()}" for f in fields(EdgeLimits)}  # read as SOLNET_<FIELD>
    docs = (root / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    table = docs[docs.index("## Environment variables") :]
    listed = set(re.findall(r"^\| `(SOLNET_[A-Z0-9_]+)`", table, flags=re.M))
    assert used - listed == set()
    assert len(used) > 15


def test_publish_help_lists_choices_and_times_are_taken_as_typed_in_the_nodes_zone(capsys, data):  # noqa: F811
    with pytest.raises(SystemExit):
        main(["publish", "callout", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "one of: low, normal, high, critical" in shown and "any of: people, money" in shown
    assert "'2026-12-02 07:00' in the node's time zone" in shown
    with pytest.raises(SystemExit):
        main(["publish", "position", "--help"])
    assert "one of: agree, stand_aside, block" in " ".join(capsys.readouterr().out.split())
    assert DataDir.at(data).settings().time_zone == "Europe/London"
    summer = _publish(capsys, data, "callout", "--title", "t", "--text", "x", "--starts-at", "2031-07-01 07:00")
    code, out, _ = run(capsys, "show", summer, "--json", "--data", data)
    assert json.loads(out)["payload"]["starts_at"] == 1940652000000  # 06:00 UTC: BST
    skipped = ("--starts-at", "2031-03-30 01:30")  # no such time in London: the clocks go forward at 01:00
    code, _, err = run(capsys, "publish", "callout", "--title", "t", "--text", "x", *skipped, "--data", data)
    assert code == 2 and "--starts-at: 01:30 on 2031-03-30 does not exist in Europe/London" in err
