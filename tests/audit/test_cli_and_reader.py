"""The audit command's exit codes and output, and bad items found at their index however the authors are partitioned."""

from __future__ import annotations

import json

import pytest

from audit.cli import main
from events import Identity
from events.readmodel.digest import state_digest, state_digest_v2
from events.readmodel.memory import replay

from .helpers import make_log, write


@pytest.fixture(scope="module")
def log():
    return make_log(Identity.generate(), 8)


def test_exit_codes_and_outputs(tmp_path, log, capsys):
    clean = write(tmp_path / "clean", log)
    assert main([str(clean), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "CLEAN" in out and "state digest" in out
    gap = write(tmp_path / "gap", [*log[:3], *log[4:]])
    assert main([str(gap), "--json", "--workers", "2"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["clean"] is False and data["gaps"][0]["first"] == 4 and data["gaps"][0]["last"] == 4
    assert main([str(gap), "--fast"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION" in out and "seq 4..4 missing" in out


def test_version_1_of_the_digest_only_on_request(tmp_path, log, capsys):
    clean = write(tmp_path / "clean", log)
    events = [e for e in log]
    assert main([str(clean), "--json", "--workers", "1"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["digest"] == state_digest_v2(replay(events)) and plain["digest_v1"] is None
    assert main([str(clean), "--json", "--workers", "2", "--digest-v1"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert both["digest"] == plain["digest"] and both["digest_v1"] == state_digest(replay(events))
    assert main([str(clean), "--digest-v1", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{both['digest']} (version 2)" in out and f"{both['digest_v1']} (version 1)" in out


def test_a_non_canonical_item_is_a_bad_item_at_its_index_for_any_number_of_workers(tmp_path, log):
    import hashlib

    import msgpack

    from audit import audit
    from events.bundle import TAG_END, TAG_EVENT, BundleWriter

    from .helpers import HEAD

    writer = BundleWriter(HEAD)
    event = log[0]
    wide = (
        b"\xdc\x00\x04"
        + msgpack.packb(TAG_EVENT)
        + b"".join(msgpack.packb(x, use_bin_type=True) for x in (event.header_bytes, event.signature))
        + b"\xc6"
        + len(event.payload).to_bytes(4, "big")
        + event.payload
    )  # array16 and bin32: not the shortest forms
    body = writer.head() + wide + b"".join(writer.event(e) for e in log[1:])
    data = body + msgpack.packb([TAG_END, len(log), hashlib.sha256(body).digest()], use_bin_type=True)
    (tmp_path / "b").write_bytes(data)
    for workers in (1, 2, 3):
        report = audit(str(tmp_path / "b"), workers=workers)
        assert [(b.index, b.code) for b in report.bad_items] == [(0, "decode_error")]
        assert "canonical" in report.bad_items[0].reason and report.items == len(log) and report.damage is None


def test_the_auditor_alone_reads_bundle_files_and_refuses_data_dirs_and_urls(tmp_path, capsys):
    assert main([str(tmp_path), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["code"] == "unsupported_source" and "solnet audit" in out["error"]
    assert main(["http://127.0.0.1:1", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["code"] == "unsupported_source"
    (tmp_path / "broken").write_bytes(b"\xc1" * 10)  # framing broken before a bundle head: not a bundle at all
    assert main([str(tmp_path / "broken")]) == 2
