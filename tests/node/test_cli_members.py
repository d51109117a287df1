"""`solnet member …` and `solnet token …` as an admin at a terminal would use them, with --json (issue 16)."""

from __future__ import annotations

import json

import pytest

from node.cli import main
from node.datadir import DataDir
from node.members import Accounts
from node.own_head import ONLY_COPY_ENV
from node.store import open_store


def run(capsys, *argv: str) -> tuple[int, dict | str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        return code, json.loads(out), err
    except ValueError:
        return code, out, err


@pytest.fixture
def data(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ONLY_COPY_ENV, "1")
    path = str(tmp_path / "a")
    assert run(capsys, "init", "--name", "Elm Street Tenants", "--data", path)[0] == 0
    return path


def _accept(data: str, url: str, password: str = "a good password") -> None:
    store = open_store(DataDir.at(data).path)
    try:
        Accounts(store).accept(url.rsplit("/", 1)[1], password)
    finally:
        store.close()


def test_add_list_role_reset_remove_with_json(capsys, data):
    code, added, _ = run(
        capsys, "member", "add", "Orla", "--role", "organiser", "--email", "o@example.org", "--json", "--data", data
    )
    assert code == 0 and added["role"] == "organiser" and added["active"] is False
    assert added["invite_url"].startswith("http://127.0.0.1:8470/invite/")
    _accept(data, added["invite_url"])
    code, out, _ = run(capsys, "member", "add", "Ann", "--role", "admin", "--url", "https://node.example.org/", "--data", data)
    assert code == 0 and "https://node.example.org/invite/" in out
    code, listed, _ = run(capsys, "member", "list", "--json", "--data", data)
    assert [(m["name"], m["role"], m["active"]) for m in listed["members"]] == [
        ("Ann", "admin", False),
        ("Orla", "organiser", True),
    ]
    code, first, _ = run(capsys, "member", "list", "--json", "--limit", "1", "--data", data)
    code, rest, _ = run(capsys, "member", "list", "--json", "--limit", "1", "--cursor", first["next"], "--data", data)
    assert [m["name"] for m in first["members"] + rest["members"]] == ["Ann", "Orla"] and rest["next"] is None
    code, changed, _ = run(capsys, "member", "role", "orla", "member", "--json", "--data", data)
    assert code == 0 and changed["role"] == "member"
    code, reset, _ = run(capsys, "member", "reset", "Orla", "--json", "--data", data)
    assert code == 0 and reset["invite_url"] != added["invite_url"]
    code, removed, _ = run(capsys, "member", "remove", "Orla", "--json", "--data", data)
    assert code == 0 and removed["name"] == "Orla" and removed["sessions_ended"] == 0
    code, _, err = run(capsys, "member", "remove", "Orla", "--data", data)
    assert code == 1 and "no member called 'Orla'" in err


def test_refusals_change_nothing(capsys, data):
    assert run(capsys, "member", "add", "Kim", "--role", "member", "--email", "nope", "--data", data)[0] == 1
    assert run(capsys, "member", "add", "", "--role", "member", "--data", data)[0] == 1
    with pytest.raises(SystemExit):
        main(["member", "add", "Kim", "--role", "boss", "--data", data])
    capsys.readouterr()
    _code, listed, _ = run(capsys, "member", "list", "--json", "--data", data)
    assert listed == {"members": [], "next": None}


def test_tokens_are_scoped_printed_once_and_revoked(capsys, data):
    code, _added, _ = run(capsys, "member", "add", "Orla", "--role", "organiser", "--json", "--data", data)
    code, token, _ = run(
        capsys, "token", "add", "Orla", "--scope", "read", "--scope", "publish", "--label", "bot", "--json", "--data", data
    )
    assert code == 0 and token["scopes"] == ["read", "publish"] and token["token"].startswith("snt_")
    code, _, err = run(capsys, "token", "add", "Orla", "--scope", "admin", "--data", data)
    assert code == 1 and "admin scope" in err
    code, listed, _ = run(capsys, "token", "list", "Orla", "--json", "--data", data)
    assert [t["id"] for t in listed["tokens"]] == [token["id"]] and "token" not in listed["tokens"][0]
    assert run(capsys, "token", "revoke", "Orla", token["id"], "--data", data)[0] == 0
    assert run(capsys, "token", "list", "Orla", "--json", "--data", data)[1] == {"tokens": []}


def test_a_publish_from_the_terminal_is_recorded_as_the_terminals(capsys, data):
    _code, event, _ = run(capsys, "publish", "campaign", "--title", "Save Elm Street", "--json", "--data", data)
    store = open_store(DataDir.at(data).path)
    try:
        act = Accounts(store).act(bytes.fromhex(event["id"]))
    finally:
        store.close()
    assert act is not None and act.via == "cli" and act.actor.startswith("terminal (") and act.action == "published"
