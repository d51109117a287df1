"""`solnet audit` on what only the node can open: a data dir and a running node's URL (through the node's transport)."""

from __future__ import annotations

import asyncio
import json
import socket
import tracemalloc

from aiohttp import web

from audit import audit
from node.cli import main as solnet
from node.commands.audit import DIGEST_LIMIT, DataDirSource, resolve_source
from node.federation.transport import CONTENT_TYPE, REPLY_LIMITS
from protocol import Frontier

from .conftest import make_service


def audit_cli(*argv: str) -> int:
    return solnet(["audit", *argv])


async def test_data_dir_audit_matches_the_nodes_digest(tmp_path, capsys):
    service, _ = make_service(tmp_path / "node", "Audited group")
    await service.publish("callout.published", {"title": "help", "text": "bring food", "needs": "people"})
    for i in range(5):
        await service.publish("report.published", {"title": f"report {i}", "text": "what we did"})
    await service.refresh()
    expected = await service.digest()
    await service.close()
    assert resolve_source(str(tmp_path / "node")) == DataDirSource(str(tmp_path / "node"))
    for workers in (1, 2):
        report = audit(DataDirSource(str(tmp_path / "node")), workers=workers)
        assert report.clean and report.source_kind == "datadir"
        assert report.valid_events == 6  # a callout and five reports
        assert report.digest == expected
    assert audit_cli(str(tmp_path / "node"), "--json", "--workers", "1") == 0
    assert expected in capsys.readouterr().out


async def test_data_dir_audit_of_updated_withdrawn_and_redacted_lifecycles_matches_the_nodes_digest(tmp_path):
    # reports, assemblies, proposals and decisions that later events change: the auditor's scratch store keeps each
    # collection in its spill until the first lookup in it, then moves it to its SQLite file (audit/scratch.py)
    service, _ = make_service(tmp_path / "node", "Changing group")
    reports = [await service.publish("report.published", {"title": f"report {i}", "text": "what we did"}) for i in range(6)]
    assembly = await service.publish("assembly.scheduled", {"title": "general", "starts_at": 1_900_000_000_000})
    proposal = await service.publish("proposal.tabled", {"title": "rent", "text": "share it"})
    decision = await service.publish("decision.recorded", {"text": "we share the rent"})
    await service.publish("report.updated", {"report": reports[1].id.hex(), "title": "report one, corrected"})
    await service.publish("report.withdrawn", {"report": reports[2].id.hex(), "reason": "posted twice"})
    more = [await service.publish("report.published", {"title": f"later {i}", "text": "after"}) for i in range(3)]
    await service.publish("assembly.updated", {"assembly": assembly.id.hex(), "where": "the hall"})
    await service.publish("assembly.cancelled", {"assembly": assembly.id.hex()})
    await service.publish("proposal.updated", {"proposal": proposal.id.hex(), "text": "share it fairly"})
    await service.publish("proposal.withdrawn", {"proposal": proposal.id.hex()})
    await service.publish("decision.updated", {"decision": decision.id.hex(), "outcome": "adopted"})
    await service.publish("decision.withdrawn", {"decision": decision.id.hex()})
    await service.publish("log.redact", {"event": reports[4].id.hex()})
    await service.publish("log.redact", {"event": more[1].id.hex()})
    await service.publish("report.published", {"title": "last", "text": "after the redactions"})
    await service.refresh()
    expected = await service.digest()
    await service.close()
    for workers in (1, 2):
        for fast in (False, True):
            report = audit(DataDirSource(str(tmp_path / "node")), workers=workers, fast=fast)
            assert report.clean and report.valid_events == 23 and report.digest == expected


async def test_url_audit_fetches_over_the_peer_api_and_compares_the_advertised_digest(tmp_path):
    from .federation.cluster import Node

    node = Node(tmp_path / "served", "Served group", 0, {})
    await node.start()
    try:
        await node.publish("report.published", {"title": "one", "text": "we met"})
        await node.publish("report.published", {"title": "two", "text": "we met again"})
        expected = await node.service.digest()
        report = await asyncio.to_thread(audit, resolve_source(node.url), workers=2)
    finally:
        await node.stop()
        await node.service.close()
    assert report.source_kind == "url" and report.source == node.url
    assert report.valid_events == 3 and report.advertised_digest == expected == report.digest and report.clean
    assert report.clean


def test_unreachable_url_and_missing_file_exit_2(tmp_path, capsys):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert audit_cli(f"http://127.0.0.1:{port}", "--json") == 2
    assert audit_cli(str(tmp_path / "missing.solnet")) == 2
    (tmp_path / "junk").write_bytes(b"not a bundle")
    assert audit_cli(str(tmp_path / "junk")) == 2
    assert "not a solnet bundle" in capsys.readouterr().err


FLOOD = 256 << 20  # what the hostile node tries to send


async def _flood(request: web.Request, content_type: str, sent: list[int]) -> web.StreamResponse:
    """Stream up to FLOOD bytes (no Content-Length), counting what the socket took, until the client hangs up."""
    resp = web.StreamResponse(headers={"Content-Type": content_type})
    await resp.prepare(request)
    block = b"\x00" * (1 << 16)
    try:
        while sent[0] < FLOOD:
            await resp.write(block)
            sent[0] += len(block)
    except (ConnectionError, RuntimeError):  # the auditor hung up
        pass
    return resp


async def _hostile_node(flood: str, sent: list[int]) -> tuple[web.AppRunner, str]:
    async def digest(request: web.Request) -> web.StreamResponse:
        if flood == "digest":
            return await _flood(request, "application/json", sent)
        return web.json_response({"state_digest": "00" * 32})

    async def frontier(request: web.Request) -> web.StreamResponse:
        return await _flood(request, CONTENT_TYPE, sent)

    app = web.Application()
    app.router.add_get("/api/v1/digest", digest)
    app.router.add_post("/peer/v1/frontier", frontier)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


async def test_url_audit_of_a_node_sending_an_oversized_reply_fails_clearly_in_bounded_memory(capsys):
    for flood, limit in (("frontier", REPLY_LIMITS[Frontier]), ("digest", DIGEST_LIMIT)):
        sent = [0]
        runner, url = await _hostile_node(flood, sent)
        tracemalloc.start()
        try:
            code = await asyncio.to_thread(audit_cli, url, "--json")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await runner.cleanup()
        out = json.loads(capsys.readouterr().out)
        assert code == 2 and out["code"] == "unreadable_source"
        assert f"larger than {limit} bytes" in out["error"], out
        # the reply is dropped once past its limit: neither read nor buffered further
        assert peak < limit + (32 << 20), f"{flood}: {peak / 1e6:.0f} MB traced"
        assert sent[0] < limit + (32 << 20), f"{flood}: the auditor took {sent[0] / 1e6:.0f} MB"


async def test_url_audit_of_a_node_past_the_frontier_limit_lists_its_heads_by_reconciliation(tmp_path, monkeypatch):
    import protocol.agent
    from events import Identity, Mode, create_event_from_value

    from .federation.cluster import Node

    monkeypatch.setattr(protocol.agent, "MAX_FRONTIER_ENTRIES", 3)  # the node answers `frontier_too_large`
    node = Node(tmp_path / "served", "Served group", 0, {})
    await node.start()
    try:
        others = []
        for n in range(6):
            author = Identity.from_seed(bytes([40 + n]) * 32)
            others.append(create_event_from_value(author, kind="note.test", value={"n": n}, timestamp=1, previous=None))
        await node.service.astore.ingest(others, Mode.HEAD)
        await node.service.refresh()
        expected = await node.service.digest()
        report = await asyncio.to_thread(audit, resolve_source(node.url), workers=1)
    finally:
        await node.stop()
        await node.service.close()
    assert report.valid_events == 7 and report.advertised_digest == expected == report.digest
