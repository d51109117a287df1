"""docs/vectors/bundles.json: the auditor (one worker and two) and `solnet import` agree with every bundle case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.cli import main as solnet
from node.commands import bundles
from tools.bundle_vectors import verdict

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors"
CASES = json.loads((VECTORS / "bundles.json").read_text())["cases"]
# (case, import batch) where the import stores the same events with other codes (docs/PROTOCOL.md §10.1): a batch
# boundary between a conflicting version and the events linked after it (the store keeps no conflicting event)
CODES_DIFFER = {("two_branches_other_first", 2)}


def agrees(expect: dict, got: dict) -> None:
    for key, value in expect.items():
        if key in ("refused", "damage") and isinstance(value, str):
            assert got.get(key) is not None and value in got[key], (key, got)
        else:
            assert got.get(key) == value, key


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_the_auditor_gives_the_vector_verdict(case: dict, tmp_path) -> None:
    data = bytes.fromhex(case["hex"])
    agrees(case["expect"], verdict(data))
    if case["expect"].get("refused") is None:
        from audit import audit

        (tmp_path / "b").write_bytes(data)
        two = audit(str(tmp_path / "b"), workers=2)
        assert two.digest == case["expect"]["digest"] and two.clean == case["expect"]["clean"]


def test_item_order_does_not_change_the_digest() -> None:
    by_name = {c["name"]: c["expect"] for c in CASES}
    same = {by_name[n]["digest"] for n in ("in_order", "swapped", "reversed", "duplicate", "head_node_any_text")}
    assert len(same) == 1
    assert by_name["two_branches"]["digest"] != by_name["two_branches_other_first"]["digest"]  # first at a seq is taken


@pytest.mark.parametrize("batch", [bundles.IMPORT_BATCH, 2, 3])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_solnet_import_stores_what_the_auditor_calls_valid(case: dict, batch: int, tmp_path, capsys, monkeypatch) -> None:
    """The node's import path: refused bundles store nothing; otherwise the valid events are stored with the
    auditor's codes, and the node's store audits to the same group digests (its own group aside). Also with
    batches of 2 and 3 events, so that versions of a seq and the events around them fall in different batches."""
    monkeypatch.setattr(bundles, "IMPORT_BATCH", batch)
    data_dir = str(tmp_path / "node")
    assert solnet(["init", "--name", "Importer", "--data", data_dir]) == 0
    (tmp_path / "b").write_bytes(bytes.fromhex(case["hex"]))
    capsys.readouterr()
    code = solnet(["import", str(tmp_path / "b"), "--json", "--data", data_dir])
    totals = json.loads(capsys.readouterr().out)
    expect = case["expect"]
    if expect.get("refused") or expect.get("damage"):
        assert code == 1 and totals.get("refused") and totals["stored"] == 0
        return
    assert totals["stored"] == expect["valid"], totals
    codes: dict[str, int] = {}
    for _seq, code, count in expect["invalid"]:
        codes[code] = codes.get(code, 0) + count
    if (case["name"], batch) in CODES_DIFFER:
        assert totals["codes"] != codes, "the import now gives the auditor's codes: take the case out of CODES_DIFFER"
    else:
        assert totals["codes"] == codes, totals
    assert solnet(["audit", data_dir, "--json", "--workers", "1"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    stored = {g["group"]: g["digest"] for g in report["groups"] if g["group"] in expect["group_digests"]}
    assert stored == expect["group_digests"]
