"""`solnet key rotate` and `solnet key recover` (docs/OPERATIONS.md, "Key rotation"): the kit's key takes over."""

from __future__ import annotations

from events import KeyState, Mode, verify_chain
from node.cli import main
from node.datadir import DataDir
from node.recovery import read_kit
from node.store import open_store


def own_log(path) -> list:
    data = DataDir.at(path)
    store = open_store(data.path)
    try:
        return list(store.read_log(data.load_identity().public_key, 1, 100))
    finally:
        store.close()


def test_rotate_moves_the_node_to_the_kit_key_and_writes_a_new_kit(tmp_path, capsys):
    path = tmp_path / "a"
    assert main(["init", "--name", "Leith Tenants", "--data", str(path)]) == 0
    kit = read_kit((path / "recovery-kit.txt").read_text())
    only = ["--i-am-the-only-copy"]
    assert main(["publish", "campaign", "--title", "Before", "--data", str(path), *only]) == 0
    capsys.readouterr()
    assert main(["key", "rotate", "--kit", str(path / "recovery-kit.txt"), "--data", str(path), *only]) == 0
    out = capsys.readouterr().out
    assert "rotated the group's log at seq 4" in out and "recovery-kit-2.txt" in out
    identity = DataDir.at(path).load_identity()
    assert identity.public_key == kit.group and identity.signing_key == kit.next_key.public_key
    fresh = read_kit((path / "recovery-kit-2.txt").read_text())
    assert main(["publish", "campaign", "--title", "After", "--data", str(path), *only]) == 0
    log = own_log(path)
    assert [e.kind for e in log] == ["key.commit", "group.profile", "campaign.created", "key.rotate", "campaign.created"]
    result = verify_chain(log, kit.group, Mode.FULL, keys=KeyState.inception(kit.group))
    assert not result.rejected and not result.bad_signatures
    assert result.keys == KeyState(kit.next_key.public_key, fresh.commitment)
    # the spent kit no longer fits: its key is the current one, not the committed next one
    capsys.readouterr()
    assert main(["key", "rotate", "--kit", str(path / "recovery-kit.txt"), "--data", str(path), *only]) == 2
    assert "not the one the log committed to" in capsys.readouterr().err
    assert main(["key", "rotate", "--kit", str(path / "recovery-kit-2.txt"), "--data", str(path), *only]) == 0
    assert [e.kind for e in own_log(path)][-1] == "key.rotate"


def test_a_kit_of_another_group_is_refused_and_nothing_is_signed(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    for path in (a, b):
        assert main(["init", "--name", "G", "--data", str(path)]) == 0
    before = len(own_log(a))
    assert main(["key", "rotate", "--kit", str(b / "recovery-kit.txt"), "--data", str(a), "--i-am-the-only-copy"]) == 2
    assert "this recovery kit is for" in capsys.readouterr().err
    assert len(own_log(a)) == before and not (a / "recovery-kit-2.txt").exists()


def test_recover_on_a_fresh_data_dir_without_peers_needs_the_only_copy_flag(tmp_path, capsys):
    path = tmp_path / "a"
    assert main(["init", "--name", "G", "--data", str(path)]) == 0
    fresh = tmp_path / "fresh"
    assert main(["key", "recover", str(path / "recovery-kit.txt"), "--data", str(fresh)]) == 2
    assert "--peer" in capsys.readouterr().err and not fresh.exists()


def test_an_export_carries_superseded_events_which_an_import_reports_but_does_not_store(tmp_path, capsys):
    from tests.events.rotation_helpers import stolen_log

    a, b = tmp_path / "a", tmp_path / "b"
    for path in (a, b):
        assert main(["init", "--name", "G", "--data", str(path)]) == 0
    k1, _k2, thief, group = stolen_log()
    store = open_store(a)
    try:
        store.ingest(thief)
        assert store.ingest(group[2:]).result.superseded
    finally:
        store.close()
    bundle = tmp_path / "a.bundle"
    assert main(["export", "-o", str(bundle), "--data", str(a)]) == 0
    capsys.readouterr()
    assert main(["import", str(bundle), "--data", str(b)]) == 0
    assert "2 superseded by a key rotation" in capsys.readouterr().out
    store = open_store(b)
    try:
        assert [e.id for e in store.read_log(k1.public_key)] == [e.id for e in group]
    finally:
        store.close()


def test_the_kit_carries_the_encryption_keys_and_recover_restores_them(tmp_path, capsys):
    path, fresh = tmp_path / "a", tmp_path / "fresh"
    assert main(["init", "--name", "G", "--data", str(path)]) == 0
    ring = (path / "encryption-keys").read_text()
    assert read_kit((path / "recovery-kit.txt").read_text()).encryption == (bytes.fromhex(ring.split()[0]),)
    assert main(["key", "encryption", "--data", str(path), "--i-am-the-only-copy"]) == 0
    assert "published the group's encryption key at seq 3" in capsys.readouterr().out
    kit = str(path / "recovery-kit.txt")
    # (without peers holding the log, the rotation itself cannot finish; the key ring is restored first)
    assert main(["key", "recover", kit, "--data", str(fresh), "--i-am-the-only-copy"]) == 2
    assert "no commitment to a next key" in capsys.readouterr().err
    assert (fresh / "encryption-keys").read_text() == ring
    assert oct((fresh / "encryption-keys").stat().st_mode & 0o777) == "0o600"
