"""`solnet invite` on a data dir: make, list and revoke invitations; a node without a URL cannot invite."""

from __future__ import annotations

import json

from protocol.invitation import InvitationCode

from .test_cli import data, run

__all__ = ["data"]


def test_invite_list_revoke(capsys, data, monkeypatch):
    monkeypatch.delenv("SOLNET_PUBLIC_URL", raising=False)
    code, _, err = run(capsys, "invite", "--data", data)
    assert code != 0 and "--url" in err  # it does not know where others reach it

    code, out, _ = run(capsys, "invite", "--data", data, "--url", "https://elm.example.org/", "--uses", "3", "--json")
    made = json.loads(out)
    assert code == 0 and made["uses"] == 3 and made["state"] == "open"
    assert InvitationCode.parse(made["code"]).url == "https://elm.example.org"
    assert made["link"] == f"https://elm.example.org/join/{made['code']}"

    code, out, _ = run(capsys, "invite", "--data", data, "--revoke", made["id"])
    assert code == 0 and "revoked" in out
    code, out, _ = run(capsys, "invite", "--data", data, "--list", "--json")
    listed = json.loads(out)["invitations"]
    assert [(i["id"], i["state"]) for i in listed] == [(made["id"], "revoked")]
    assert "code" not in listed[0]  # the secret is never stored, so never listed

    code, _, err = run(capsys, "invite", "--data", data, "--url", "https://elm.example.org", "--uses", "0")
    assert code != 0 and "1 to 1000" in err


def test_init_with_a_damaged_code_makes_nothing(capsys, tmp_path):
    path = tmp_path / "b"
    code, _, err = run(capsys, "init", "--name", "B", "--data", str(path), "--join", "snj1-garbage")
    assert code != 0 and "damaged" in err
    assert not path.exists()
