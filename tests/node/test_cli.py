"""The solnet CLI used as a person would: init, publish, list, show, status, export and import, rebuild."""

from __future__ import annotations

import json

import pytest

from node.cli import main
from node.own_head import ONLY_COPY_ENV


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(ONLY_COPY_ENV, "1")  # these nodes have no peers: each data dir is its group's only copy
    path = str(tmp_path / "a")
    code, out, _ = run(capsys, "init", "--name", "Elm Street Tenants", "--data", path)
    assert code == 0 and "group id:  sn_" in out
    return path


def test_publish_list_show_status(capsys, data):
    code, out, _ = run(capsys, "publish", "campaign", "--title", "Save Elm Street", "--data", data, "--json")
    campaign = json.loads(out)["id"]
    code, out, _ = run(
        capsys, "publish", "callout", "--title", "Eviction resistance", "--text", "7am", "--campaign", campaign, "--data", data
    )
    assert code == 0 and out.startswith("published callout.published #4")
    code, out, _ = run(capsys, "list", "callouts", "--json", "--data", data)
    [callout] = json.loads(out)["callouts"]
    assert callout["needs"] == ["people"] and callout["urgency"] == "normal" and callout["campaign"] == campaign
    assert callout["author_name"] == "Elm Street Tenants"
    code, out, _ = run(capsys, "show", callout["id"], "--json", "--data", data)
    assert json.loads(out)["payload"]["title"] == "Eviction resistance"
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    status = json.loads(out)
    assert status["own_events"] == 4 and len(status["state_digest"]) == 64
    assert status["own_head"] == {"confirmed": None, "note": "no node serves this data dir now"}
    code, out, _ = run(capsys, "list", "groups", "--data", data)
    assert "Elm Street Tenants" in out


def test_bad_input_is_refused_and_nothing_stored(capsys, data):
    code, _, err = run(capsys, "publish", "callout", "--title", "x", "--text", "y", "--needs", "cake", "--data", data)
    assert code == 1 and "needs" in err
    code, _, err = run(capsys, "publish", "callout", "withdrawn", "--callout", "abc", "--data", data)
    assert code == 1 and "callout" in err
    code, _, err = run(capsys, "show", "nothex", "--data", data)
    assert code == 1 and "EVENT_ID" in err
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    assert json.loads(out)["own_events"] == 2  # just the key commitment and the profile from init


def test_uninitialised_data_dir_says_what_to_do(capsys, tmp_path):
    code, _, err = run(capsys, "status", "--data", str(tmp_path / "none"))
    assert code == 2 and "solnet init" in err


def test_export_import_round_trip_and_tampering(capsys, data, tmp_path):
    run(capsys, "publish", "callout", "--title", "Bodies needed", "--text", "now", "--data", data)
    bundle = tmp_path / "a.bundle"
    code, out, _ = run(capsys, "export", "-o", str(bundle), "--data", data)
    assert code == 0
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    digest = json.loads(out)["state_digest"]

    other = str(tmp_path / "b")
    run(capsys, "init", "--name", "Other", "--data", other)
    code, out, _ = run(capsys, "import", str(bundle), "--json", "--data", other)
    assert code == 0 and json.loads(out)["stored"] == 3  # the key commitment, the profile, the callout
    code, out, _ = run(capsys, "import", str(bundle), "--json", "--data", other)
    assert code == 0 and json.loads(out)["duplicates"] == 3

    # The imported group's read models match the original node's, apart from the importer's own profile.
    code, out, _ = run(capsys, "list", "callouts", "--json", "--data", other)
    assert [c["title"] for c in json.loads(out)["callouts"]] == ["Bodies needed"]

    third = str(tmp_path / "c")
    run(capsys, "init", "--name", "Third", "--data", third)
    raw = bytearray(bundle.read_bytes())
    raw[-40] ^= 0x01  # inside the last event's payload or the trailer
    bad = tmp_path / "bad.bundle"
    bad.write_bytes(bytes(raw))
    code, out, _err = run(capsys, "import", str(bad), "--json", "--data", third)
    assert code == 1
    code, out, _ = run(capsys, "list", "callouts", "--json", "--data", third)
    assert json.loads(out) == {"callouts": [], "next": None}
    assert digest


def test_rebuild_gives_the_same_digest(capsys, data):
    run(capsys, "publish", "callout", "--title", "Bodies", "--text", "now", "--data", data)
    _, out, _ = run(capsys, "status", "--json", "--data", data)
    before = json.loads(out)["state_digest"]
    code, out, _ = run(capsys, "rebuild", "--data", data)
    assert code == 0 and before in out


def test_publish_waits_for_a_peer_unless_this_is_the_only_copy(capsys, data, monkeypatch):
    monkeypatch.delenv(ONLY_COPY_ENV)
    code, _, err = run(capsys, "publish", "callout", "--title", "x", "--text", "y", "--data", data)
    assert code == 1 and "a peer confirms this node's own log" in err and "--i-am-the-only-copy" in err
    code, _, err = run(capsys, "peer", "add", "http://127.0.0.1:9", "--data", data)  # nothing listens on port 9
    code, _, err = run(capsys, "publish", "callout", "--title", "x", "--text", "y", "--data", data)
    assert code == 1 and "Peers asked without an answer: http://127.0.0.1:9" in err
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    assert json.loads(out)["own_events"] == 2  # refused publishes stored nothing
    code, out, _ = run(capsys, "publish", "callout", "--title", "x", "--text", "y", "--data", data, "--i-am-the-only-copy")
    assert code == 0 and out.startswith("published callout.published #3")


def test_publish_comment_on_an_item_and_list_its_thread(capsys, data):
    code, out, _ = run(capsys, "publish", "callout", "--title", "Vans", "--text", "Need a van", "--data", data, "--json")
    callout = json.loads(out)["id"]
    code, out, _ = run(capsys, "publish", "comment", "--on", callout[:10], "--text", "When?", "--data", data, "--json")
    assert code == 0
    comment = json.loads(out)
    assert comment["kind"] == "comment.posted" and comment["payload"] == {"on": callout, "text": "When?"}
    code, out, _ = run(capsys, "publish", "comment", "--on", comment["id"], "--text", "Tuesday", "--data", data, "--json")
    assert json.loads(out)["payload"]["root"] == callout  # a reply to a comment is in the item's thread
    code, out, _ = run(capsys, "list", "comments", "--on", callout[:10], "--data", data)
    lines = out.splitlines()
    assert len(lines) == 2 and "Tuesday" in lines[0] and "(re Elm Street Tenants)" in lines[0] and "When?" in lines[1]


def test_publish_a_proposal_with_a_process_asking_groups(capsys, data):
    asked = "sn_qe4xodvipulv6vvdkrtmgtd6ztfy3curwtxdpis56yhvxd6jwoka"
    args = ["--process", "consent", "--asked", f"{asked}, {asked[:-1]}a", "--closes-at", "2026-03-01T18:00+00:00"]
    code, out, err = run(
        capsys, "publish", "proposal", "--title", "Rent strike", "--text", "From March", *args, "--data", data, "--json"
    )
    assert code == 1 and "asked" in err  # the second is not a group id
    code, out, err = run(
        capsys,
        "publish",
        "proposal",
        "--title",
        "Rent strike",
        "--text",
        "From March",
        *args[:2],
        "--asked",
        asked,
        *args[4:],
        "--data",
        data,
        "--json",
    )
    assert code == 0, err
    payload = json.loads(out)["payload"]
    assert payload["process"] == "consent" and payload["asked"] == [asked] and payload["closes_at"] == 1_772_388_000_000


def test_an_assembly_updated_and_cancelled_by_its_kinds_name(capsys, data):
    when = ["--starts-at", "2026-12-02 19:00"]
    code, out, err = run(capsys, "publish", "assembly", "--title", "AGM", *when, "--where", "Hall", "--data", data, "--json")
    assert code == 0, err
    assembly = json.loads(out)["id"]
    code, out, err = run(capsys, "publish", "assembly.updated", "--assembly", assembly[:10], "--where", "Library", "--data", data)
    assert code == 0 and out.startswith("published assembly.updated #4"), err
    with pytest.raises(SystemExit):  # each kind takes only its own fields
        main(["publish", "assembly.updated", "--reason", "x", "--data", data])
    assert "unrecognized arguments: --reason" in capsys.readouterr().err
    code, out, err = run(capsys, "publish", "assembly", "cancelled", "--assembly", assembly, "--reason", "Flood", "--data", data)
    assert code == 0, err
    code, out, _ = run(capsys, "list", "assemblies", "--json", "--data", data)
    [shown] = json.loads(out)["assemblies"]
    assert (shown["where"], shown["status"], shown["reason"]) == ("Library", "cancelled", "Flood")
