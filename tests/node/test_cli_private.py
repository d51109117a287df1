"""`solnet key encryption` and `solnet publish ... --private-to` (docs/OPERATIONS.md, "Private callouts")."""

from __future__ import annotations

from node.cli import main
from node.datadir import DataDir
from node.private_events import private_callouts
from node.readmodels import PRIVATE_VIEWS
from node.store import open_store

ONLY = "--i-am-the-only-copy"


def test_publish_private_to_a_group_whose_key_arrived(tmp_path, capsys):
    a, c = tmp_path / "a", tmp_path / "c"
    for path in (a, c):
        assert main(["init", "--name", path.name, "--data", str(path)]) == 0
    c_id = DataDir.at(c).load_identity().group_id
    args = ["publish", "callout", "--title", "Quiet one", "--text", "6am", "--private-to", c_id, "--data", str(a), ONLY]
    assert main(args) == 1
    assert "no encryption key is known for " + c_id in capsys.readouterr().err
    store = open_store(a)
    try:  # the refusal stored nothing, not even our own encryption key
        assert store.head(DataDir.at(a).load_identity().public_key).seq == 2
    finally:
        store.close()
    assert main(["key", "encryption", "--data", str(c), ONLY]) == 0
    assert main(["export", "-o", str(tmp_path / "c.bundle"), "--data", str(c)]) == 0
    assert main(["import", str(tmp_path / "c.bundle"), "--data", str(a)]) == 0
    capsys.readouterr()
    assert main(args) == 0
    assert "published callout.published privately, as sealed event #4" in capsys.readouterr().out
    assert main(["publish", "callout", "--title", "x", "--text", "y", "--private-to", "nonsense", "--data", str(a), ONLY]) == 2
    assert "--private-to: not a group id" in capsys.readouterr().err
    store = open_store(a)
    try:
        assert [p.callout.doc["title"] for p in private_callouts(store.view_store(PRIVATE_VIEWS))] == ["Quiet one"]
        assert list(store.view_store().scan("callouts")) == []
    finally:
        store.close()
