"""`solnet init` makes the recovery kit (the next key, kept apart) and signs the commitment to it as seq 1."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat

import pytest

from events import Identity, KeyState, Mode, verify_chain
from node.cli import main
from node.commands.common import open_service
from node.datadir import DataDir
from node.errors import ConfigError, InvalidEventError
from node.recovery import PASSPHRASE_ENV, RecoveryKit, kit_text, read_kit, words_of
from node.store import open_store


def own_log(path: str) -> list:
    data = DataDir.at(path)
    store = open_store(data.path)
    try:
        author = data.load_identity().public_key
        return list(store.read_log(author, 1, 100))
    finally:
        store.close()


def test_init_writes_the_kit_apart_and_commits_to_its_key_first(tmp_path, capsys):
    path, kit_file = str(tmp_path / "a"), tmp_path / "offline" / "kit.txt"
    kit_file.parent.mkdir()
    assert main(["init", "--name", "Leith Tenants", "--data", path, "--recovery-kit", str(kit_file)]) == 0
    assert f"recovery kit: {kit_file}" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(kit_file).st_mode) == 0o600
    assert not (tmp_path / "a" / "recovery-kit.txt").exists()
    kit = read_kit(kit_file.read_text())
    identity = DataDir.at(path).load_identity()
    assert kit.group == identity.public_key and kit.next_key.public_key != identity.public_key
    commit, profile = own_log(path)
    assert commit.kind == "key.commit" and commit.payload_value() == {"next": hashlib.sha256(kit.next_key.public_key).digest()}
    assert profile.kind == "group.profile"
    result = verify_chain([commit, profile], identity.public_key, Mode.FULL, keys=KeyState.inception(identity.public_key))
    assert result.keys == KeyState(identity.public_key, kit.commitment) and not result.rejected


def test_the_printed_words_and_a_passphrase_protected_kit_read_back(monkeypatch, tmp_path):
    kit = RecoveryKit(Identity.generate().public_key, Identity.generate())
    text = kit_text(kit)
    typed = "\n".join(line for line in text.splitlines() if line.startswith(("group:", "recovery words:")))
    assert read_kit(typed).next_key.public_key == kit.next_key.public_key  # typed back from paper, no PEM
    mistyped = typed.replace(words_of(kit.next_key)[:4], "aaaa" if not words_of(kit.next_key).startswith("aaaa") else "bbbb")
    with pytest.raises(ConfigError, match="mistyped"):
        read_kit(mistyped)
    locked = kit_text(kit, b"correct horse")
    assert "recovery words" not in locked and "ENCRYPTED PRIVATE KEY" in locked
    assert read_kit(locked, b"correct horse").next_key.public_key == kit.next_key.public_key
    with pytest.raises(ConfigError, match="cannot read the recovery kit"):
        read_kit(locked, b"wrong")
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")
    path = str(tmp_path / "b")
    assert main(["init", "--name", "Leith Tenants", "--data", path]) == 0
    kit_file = tmp_path / "b" / "recovery-kit.txt"
    assert read_kit(kit_file.read_text(), b"correct horse").group == DataDir.at(path).load_identity().public_key


def test_the_commitment_is_only_ever_the_first_event(tmp_path, capsys):
    path = str(tmp_path / "a")
    assert main(["init", "--name", "Leith Tenants", "--data", path]) == 0
    assert main(["init", "--name", "Again", "--data", path]) == 2  # the kit is never overwritten
    assert "exists already" in capsys.readouterr().err

    class Args:
        data = path
        only_copy = True

    async def again() -> None:
        service = open_service(Args())  # type: ignore[arg-type]
        try:
            with pytest.raises(InvalidEventError, match="only a key rotation can set a new one"):
                await service.commit_next_key(hashlib.sha256(b"a thief's key").digest())
        finally:
            await service.close()

    asyncio.run(again())
    assert [e.kind for e in own_log(path)] == ["key.commit", "group.profile"]
