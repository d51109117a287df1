"""`solnet import` of bundles from many groups: the verification mode it says it used, progress, refusals."""

from __future__ import annotations

import io
import json
from pathlib import Path

from events import Identity
from events.bundle import BundleHead, BundleWriter, write_bundle
from events.canonical import packb_plain
from node.cli import main
from node.commands.progress import Progress

from .store.suite import chain, forge


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, chunks) -> Path:
    path.write_bytes(b"".join(chunks))
    return path


def fresh(capsys, tmp_path: Path, name: str) -> str:
    data = str(tmp_path / name)
    assert run(capsys, "init", "--name", name, "--data", data)[0] == 0
    return data


def logs(groups: int, each: int) -> list:
    """Events of `groups` groups, each author's log in runs of 7 interleaved with the others (as exports are)."""
    per = [chain(Identity.generate(), each) for _ in range(groups)]
    return [e for start in range(0, each, 7) for log in per for e in log[start : start + 7]]


def test_import_is_head_only_by_default_says_so_and_stores_every_event_of_many_groups(capsys, tmp_path):
    events = logs(30, 40)
    bundle = write(tmp_path / "many.bundle", write_bundle(BundleHead("sn_x", 1), events))
    data = fresh(capsys, tmp_path, "Importer")
    code, out, err = run(capsys, "import", str(bundle), "--data", data)
    assert code == 0 and "1200 stored" in out and "head-only verification" in out
    assert "storing: 100%" in err and "read models: 100%" in err  # plain progress lines: stderr is not a terminal
    code, out, _ = run(capsys, "import", str(bundle), "--json", "--data", data)
    totals = json.loads(out)
    assert code == 0 and totals["duplicates"] == 1200 and totals["verification"] == "head"
    assert set(totals["seconds"]) == {"check", "store", "read_models"}


def test_full_mode_checks_every_signature_and_accepts_the_same_events(capsys, tmp_path):
    """A bad signature below a good one: both modes store the run (PROTOCOL.md §8); only full mode looked at it."""
    me = Identity.generate()
    events = chain(me, 5)
    events[2] = forge(events[2])
    bundle = write(tmp_path / "b.bundle", write_bundle(BundleHead("sn_x", 1), events))
    stored = {}
    for mode in ("head", "full"):
        data = fresh(capsys, tmp_path, mode)
        code, out, _ = run(capsys, "import", str(bundle), "--json", "--data", data, *(["--full"] if mode == "full" else []))
        totals = json.loads(out)
        assert code == 0 and totals["verification"] == mode
        stored[mode] = totals["stored"]
    assert stored == {"head": 5, "full": 5}


def test_a_framed_item_that_is_not_an_event_is_rejected_alone(capsys, tmp_path):
    events = chain(Identity.generate(), 4)
    writer = BundleWriter(BundleHead("sn_x", 1))
    pieces = [writer.head(), *(writer.event(e) for e in events[:2])]
    pieces.append(writer._emit(packb_plain([1, b"not a header", b"\x00" * 64, None])))  # hashed and counted like any item
    writer._count += 1
    pieces += [*(writer.event(e) for e in events[2:]), writer.end()]
    bundle = write(tmp_path / "odd.bundle", pieces)
    data = fresh(capsys, tmp_path, "Importer")
    code, out, err = run(capsys, "import", str(bundle), "--json", "--data", data)
    totals = json.loads(out)
    assert code == 1 and totals["stored"] == 4 and totals["rejected"] == 1 and "item 2" in err


def test_a_damaged_bundle_of_many_groups_is_refused_before_anything_is_stored(capsys, tmp_path):
    raw = bytearray(b"".join(write_bundle(BundleHead("sn_x", 1), logs(20, 30))))
    raw[len(raw) // 2] ^= 0x01  # an event in the middle: its batch and the ones before it would be fine
    bundle = write(tmp_path / "bad.bundle", [bytes(raw)])
    data = fresh(capsys, tmp_path, "Importer")
    code, out, _ = run(capsys, "import", str(bundle), "--json", "--data", data)
    assert code == 1 and json.loads(out)["refused"] is True and json.loads(out)["stored"] == 0
    code, out, _ = run(capsys, "status", "--json", "--data", data)
    assert json.loads(out)["events"] == json.loads(out)["own_events"]  # nothing but the importer's own profile


def test_progress_writes_plain_lines_every_few_seconds_when_not_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, every=0)
    progress.start("storing", 200)
    progress.update(50, "50 events stored")
    progress.close(200, "200 events stored")
    assert stream.getvalue().splitlines()[0].startswith("storing: 25% 50 events stored")
    assert stream.getvalue().splitlines()[-1].startswith("storing: 100% 200 events stored")
