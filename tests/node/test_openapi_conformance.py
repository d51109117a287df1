"""The API is what its OpenAPI document says, as an outside tool finds it (issue 23).

Schemathesis runs with all its checks against a real node on a loopback socket, seeded with data, with the node's
admin token (so the write routes are exercised too), a fixed seed and 100 examples per operation, and must find
nothing. A client generated from the document by openapi-python-client lists callouts and publishes one.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from events import Identity
from node.app import create_app
from node.http_errors import UNEXPECTED

from .conftest import make_service, publish_as

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEED = 23
EXAMPLES = 100  # per operation: the floor


async def seed(service) -> None:
    """Publish a little of everything, so lists, details and their answers' schemas are exercised with real items."""
    await service.publish("group.profile", {"name": "Elm Street Tenants", "area": "Leeds"})
    campaign = await service.publish("campaign.created", {"title": "Save Elm Street"})
    helpers = Identity.generate()
    for i, need in enumerate(("people", "money", "skills")):
        callout = await service.publish(
            "callout.published",
            {"title": f"Callout {i}", "text": "We need you.", "needs": [need], "campaign": campaign.id.hex(), "quantity": 3},
        )
        pledge = {"callout": callout.id.hex(), "need": need, "offer": "we can", "quantity": 2}
        await publish_as(service, helpers, "pledge.made", pledge)  # a pledge is another group's offer
    await service.publish("report.published", {"title": "We won", "text": "Lessons", "campaign": campaign.id.hex()})
    assembly = await service.publish("assembly.scheduled", {"title": "AGM", "starts_at": 1_767_000_000_000})
    proposal = await service.publish("proposal.tabled", {"title": "Rent strike", "text": "…", "assembly": assembly.id.hex()})
    await service.publish("position.taken", {"proposal": proposal.id.hex(), "position": "agree"})
    await service.publish("decision.recorded", {"text": "Strike", "proposal": proposal.id.hex(), "campaign": campaign.id.hex()})


@pytest.fixture
async def node(tmp_path, aiohttp_server):
    service, token = make_service(tmp_path / "node", "Elm Street Tenants")
    await seed(service)
    app = create_app(service)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield f"http://127.0.0.1:{server.port}", token, service
    assert app[UNEXPECTED] == [], f"handler raised: {app[UNEXPECTED]!r}"


async def run(*command: str, cwd: Path = ROOT, env: dict | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode, out.decode(errors="replace")


async def test_schemathesis_finds_nothing(node, tmp_path):
    base, token, service = node
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.node.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    code, out = await run(
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks=all",
        f"--seed={SEED}",
        f"--max-examples={EXAMPLES}",
        "--workers=1",  # (its coverage phase is not thread-safe on Python 3.11)
        "--no-shrink",
        "--suppress-health-check=too_slow",  # (the generator's own speed on a loaded CI machine: not a finding)
        f"--header=Authorization: Bearer {token}",
        f"--report-dir={tmp_path}",
        "--report=json",
        env=env,
    )
    print(out[-1500:])  # (-s shows the phases' times)
    assert code == 0, out[-20000:]
    [report] = tmp_path.glob("json-*.json")
    summary = json.loads(report.read_text())
    assert summary["operations"]["tested"] == summary["operations"]["total"] >= 21, summary["operations"]
    assert {phase["status"] for phase in summary["phases"].values()} == {"success"}, summary["phases"]
    assert summary["errors"] == [] and summary["failures"] == []
    assert (await service.astore.head(service.identity.public_key)).seq > 20  # the write route was exercised


async def test_a_generated_client_lists_and_publishes(node, tmp_path):
    base, token, _ = node
    document = tmp_path / "openapi.json"
    from aiohttp import ClientSession

    async with ClientSession() as http, http.get(f"{base}/api/v1/openapi.json") as resp:
        document.write_text(json.dumps(await resp.json()))
    code, out = await run(
        str(BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(document),
        "--meta",
        "none",
        "--output-path",
        str(tmp_path / "solnet_client"),
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},  # (it formats with ruff)
    )
    assert code == 0, out
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("solnet_client")
        list_callouts = importlib.import_module("solnet_client.api.default.list_callouts")
        publish_event = importlib.import_module("solnet_client.api.default.publish_event")
        models = importlib.import_module("solnet_client.models")
        client = client_module.AuthenticatedClient(base_url=base, token=token)
        body = models.CalloutPublished.from_dict(
            {"kind": "callout.published", "payload": {"title": "From a client", "text": "Generated.", "needs": ["people"]}}
        )
        published = await publish_event.asyncio_detailed(client=client, body=body)
        assert published.status_code == 201, published.content
        assert published.parsed.kind == "callout.published" and len(published.parsed.id) == 64
        listed = await list_callouts.asyncio(client=client, limit=200, need=models.ListCalloutsNeed.PEOPLE)
        assert isinstance(listed, models.ListCalloutsResponse200), listed
        assert [item.title for item in listed.callouts] == ["From a client", "Callout 0"]
        assert listed.callouts[1].totals.pledges == 1 and listed.next_ is None
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "solnet_client" or m.startswith("solnet_client.")]:
            del sys.modules[name]
        shutil.rmtree(tmp_path / "solnet_client", ignore_errors=True)
