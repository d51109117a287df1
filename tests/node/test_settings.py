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
