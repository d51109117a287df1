"""Auditing a node's data dir: the replayed digest equals the one the node's own read models give."""

from __future__ import annotations

import asyncio
import socket

from audit import audit
from audit.cli import main

from .conftest import make_service


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


async def test_url_audit_fetches_over_the_peer_api_and_compares_the_advertised_digest(tmp_path):
    from .federation.cluster import Node

    node = Node(tmp_path / "served", "Served group", 0, {})
    await node.start()
    try:
        await node.publish("report.published", {"title": "one", "text": "we met"})
        await node.publish("report.published", {"title": "two", "text": "we met again"})
        expected = await node.service.digest()
        report = await asyncio.to_thread(audit, node.url, workers=2)
    finally:
        await node.stop()
        await node.service.close()
    assert report.source_kind == "url" and report.source == node.url
    assert report.valid_events == 3 and report.advertised_digest == expected == report.digest
    assert report.clean


def test_unreachable_url_and_missing_file_exit_2(tmp_path, capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert main([f"http://127.0.0.1:{port}", "--json"]) == 2
    assert main([str(tmp_path / "missing.solnet")]) == 2
    (tmp_path / "junk").write_bytes(b"not a bundle")
    assert main([str(tmp_path / "junk")]) == 2
    assert "not a solnet bundle" in capsys.readouterr().err
