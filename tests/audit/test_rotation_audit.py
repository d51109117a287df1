"""The auditor applies key rotation (docs/PROTOCOL.md §11, §11.1) exactly as nodes do: rotated logs audit clean,
old-key events after a rotation are invalid, rotations and superseded branches are reported."""

from __future__ import annotations

import pytest

from audit import audit
from events import Identity
from events.readmodel.digest import state_digest_v2
from events.readmodel.memory import replay
from tests.events.rotation_helpers import commitment, next_event, stolen_log

from .helpers import make_log, write


@pytest.mark.parametrize("fast", [False, True])
def test_a_rotated_log_audits_clean_and_its_rotation_is_reported(tmp_path, fast):
    _k1, k2, _thief, group = stolen_log()
    other = make_log(Identity.generate(), 3)
    report = audit(str(write(tmp_path / "b", group + other)), workers=1, fast=fast)
    assert report.clean and report.valid_events == len(group) + 3
    [rotation] = report.rotations
    assert (rotation.seq, rotation.event_id, rotation.key) == (3, group[2].id.hex(), k2.public_key.hex())
    assert report.digest == state_digest_v2(replay(group + other))


@pytest.mark.parametrize("fast", [False, True])
def test_an_old_key_event_after_the_rotation_is_invalid(tmp_path, fast):
    k1, _k2, _thief, group = stolen_log()
    forged = next_event(k1, k1, group[-1], "campaign.created", {"title": "thief after"})
    report = audit(str(write(tmp_path / "b", [*group, forged])), workers=1, fast=fast)
    assert [(i.seq, i.code) for i in report.invalid] == [(5, "bad_signature")] and report.valid_events == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_an_export_with_the_superseded_branch_after_the_log_reports_it_not_as_a_violation(tmp_path, workers):
    k1, _k2, thief, group = stolen_log()
    late = next_event(k1, k1, thief[-1], "campaign.created", {"title": "thief 5"})
    report = audit(str(write(tmp_path / "b", [*group, *thief[2:], late])), workers=workers)
    assert report.clean and not report.forks and not report.invalid
    assert [(s.seq, s.event_id, s.rotation_seq, s.count) for s in report.superseded] == [(3, thief[2].id.hex(), 3, 3)]
    assert report.digest == state_digest_v2(replay(group))


def test_a_branch_below_the_rotation_is_a_fork_and_from_the_rotation_on_superseded(tmp_path):
    k1, k2, thief, _group = stolen_log()
    k3 = Identity.generate()
    group = list(thief[:2])
    group.append(next_event(k1, k1, group[-1], "campaign.created", {"title": "group 3"}))
    group.append(next_event(k2, k1, group[-1], "key.rotate", {"key": k2.public_key, "next": commitment(k3.public_key)}))
    report = audit(str(write(tmp_path / "b", [*group, *thief[2:]])), workers=1)
    assert [f.seq for f in report.forks] == [3]  # both signed by k1 at seq 3: a fork the rotation does not settle
    assert [(i.seq, i.code, i.count) for i in report.invalid] == [(3, "fork_branch", 2)] and not report.superseded
