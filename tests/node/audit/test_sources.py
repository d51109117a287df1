"""Auditing a node's data dir: the replayed digest equals the one the node's own read models give."""

from __future__ import annotations

from node.audit import audit
from node.audit.cli import main

from ..conftest import make_service


async def test_data_dir_audit_matches_the_nodes_digest(tmp_path, capsys):
    service, _ = make_service(tmp_path / "node", "Audited group")
    await service.publish("callout.published", {"title": "help", "text": "bring food", "needs": "people"})
    for i in range(5):
        await service.publish("report.published", {"title": f"report {i}", "text": "what we did"})
    await service.refresh()
    expected = await service.digest()
    await service.close()
    for workers in (1, 2):
        report = audit(str(tmp_path / "node"), workers=workers)
        assert report.clean and report.source_kind == "datadir"
        assert report.valid_events == 6  # a callout and five reports
        assert report.digest == expected
    assert main([str(tmp_path / "node"), "--json", "--workers", "1"]) == 0
    assert expected in capsys.readouterr().out
