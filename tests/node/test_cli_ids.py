"""The CLI's ids, collections, peers and pipes (issue 17, point 7), and `init --timezone` (point 1)."""

from __future__ import annotations

from node.datadir import DataDir

from .test_cli import data, run  # noqa: F401  (the data fixture)


def test_init_sets_the_time_zone_and_refuses_an_unknown_one(capsys, tmp_path):
    code, out, _ = run(capsys, "init", "--name", "Quay", "--timezone", "America/New_York", "--data", str(tmp_path / "a"))
    assert code == 0 and "time zone: America/New_York" in out
    assert DataDir.at(str(tmp_path / "a")).settings().time_zone == "America/New_York"
    code, _, err = run(capsys, "init", "--name", "Quay", "--timezone", "Mars/Olympus", "--data", str(tmp_path / "b"))
    assert code == 2 and "--timezone" in err and "Europe/London" in err
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


def test_init_defaults_to_london(capsys, data):  # noqa: F811
    assert DataDir.at(data).settings().time_zone == "Europe/London"
