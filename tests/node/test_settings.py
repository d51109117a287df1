"""SettingsKeeper: the one way a peer is added (saved or for this run only), and credentials read again on change."""

from __future__ import annotations

from node.cli import main
from node.datadir import DataDir
from node.secrets_store import password_matches
from node.settings import SettingsKeeper


def test_add_peer_saves_once_without_the_trailing_slash(tmp_path):
    data = DataDir.at(tmp_path / "a")
    data.init("Elm Street Tenants")
    keeper = SettingsKeeper.of(data)
    assert keeper.add_peer("http://127.0.0.1:8471/").peers == ("http://127.0.0.1:8471",)
    assert keeper.add_peer("http://127.0.0.1:8471").peers == ("http://127.0.0.1:8471",)
    assert data.settings().peers == ("http://127.0.0.1:8471",)
    assert keeper.add_peer("http://127.0.0.1:8472", persist=False).peers == ("http://127.0.0.1:8471", "http://127.0.0.1:8472")
    assert data.settings().peers == ("http://127.0.0.1:8471",)  # a `serve --peer` peer is for that run only


def test_add_peer_without_a_data_dir_is_kept_in_memory(tmp_path):
    data = DataDir.at(tmp_path / "a")
    data.init("Elm Street Tenants")
    keeper = SettingsKeeper(data.settings())
    assert keeper.add_peer("http://127.0.0.1:8471/").peers == ("http://127.0.0.1:8471",)
    assert keeper.current.peers == ("http://127.0.0.1:8471",) and data.settings().peers == ()


def test_credentials_follow_the_settings_file(tmp_path):
    data = DataDir.at(tmp_path / "a")
    data.init("Elm Street Tenants")
    keeper = SettingsKeeper.of(data)
    assert keeper.credentials().password_hash is None
    data.set_password("correct horse battery")
    fresh = keeper.reload_credentials()
    assert fresh.password_hash is not None and password_matches("correct horse battery", fresh.password_hash)
    assert keeper.current.name == "Elm Street Tenants"


def test_cli_peer_add_goes_through_the_keeper(tmp_path, capsys):
    path = str(tmp_path / "a")
    assert main(["init", "--name", "Elm Street Tenants", "--data", path]) == 0
    capsys.readouterr()
    assert main(["peer", "add", "http://127.0.0.1:8471/", "--data", path]) == 0
    assert capsys.readouterr().out == "peers: http://127.0.0.1:8471\n"
    assert DataDir.at(path).settings().peers == ("http://127.0.0.1:8471",)


def test_serve_settings_from_the_environment(node_factory, monkeypatch):
    import argparse

    import pytest

    from node.errors import ConfigError
    from node.federation import config_from_args
    from protocol import OPEN, TRUSTED

    service, _ = node_factory()
    args = argparse.Namespace(listen="127.0.0.1:8470")
    config = config_from_args(service, args)
    assert (config.peer_exchange, config.allow_private_peers, config.replication) == (True, False, TRUSTED)
    assert config.new_authors_per_hour == 1000
    for name, value in (
        ("SOLNET_PEER_EXCHANGE", "0"),
        ("SOLNET_ALLOW_PRIVATE_PEERS", "1"),
        ("SOLNET_OPEN_RELAY", "1"),
        ("SOLNET_NEW_AUTHORS_PER_HOUR", "25"),
    ):
        monkeypatch.setenv(name, value)
    config = config_from_args(service, args)
    assert (config.peer_exchange, config.allow_private_peers, config.replication) == (False, True, OPEN)
    assert config.new_authors_per_hour == 25
    monkeypatch.delenv("SOLNET_OPEN_RELAY")
    assert config_from_args(service, argparse.Namespace(listen="127.0.0.1:8470", open_relay=True)).replication == OPEN
    monkeypatch.setenv("SOLNET_NEW_AUTHORS_PER_HOUR", "lots")
    with pytest.raises(ConfigError, match="SOLNET_NEW_AUTHORS_PER_HOUR"):
        config_from_args(service, args)
