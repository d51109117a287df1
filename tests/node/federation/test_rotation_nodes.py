"""Key rotation on real nodes (docs/PROTOCOL.md §11, §11.1): a stolen key's branch and the group's rotation both
spread; every node ends on the rotated branch, keeps the fork proof, shows the group as rotated after a fork, and
refuses the old key's events after the rotation; the auditor reports the rotation and the superseded events."""

from __future__ import annotations

import aiohttp

from audit import audit
from events import group_id_text
from node.commands.audit import DataDirSource
from tests.events.rotation_helpers import next_event, stolen_log


async def test_every_node_ends_on_the_rotated_branch_and_shows_it(cluster):
    for _ in range(4):
        cluster.add()
    for i in range(3):
        cluster.link(i, i + 1)
    await cluster.start()
    await cluster.wait_quiet()
    k1, k2, thief, group = stolen_log()
    author = k1.public_key
    honest3 = next_event(k1, k1, thief[1], "campaign.created", {"title": "the group's seq 3, before the theft was seen"})
    thief_node, group_node = cluster.nodes[0], cluster.nodes[3]
    assert (await thief_node.service.ingest(thief)).stored
    assert (await group_node.service.ingest([*thief[:2], honest3])).stored

    async def proven_everywhere() -> bool:
        for node in cluster.nodes:
            if author not in await node.service.astore.forked_authors():
                return False
        return True

    await cluster.wait_until(proven_everywhere, timeout=30, what="every node holds the fork proof at seq 3")
    # the group recovers: its rotation right after seq 2 (signed by the kit's key) supersedes both seq-3 branches
    result = await group_node.service.ingest(group[2:])
    assert [e.id for e in result.stored] == [e.id for e in group[2:]] and [s.seq for s in result.superseded] == [3]

    async def rotated_everywhere() -> bool:
        for node in cluster.nodes:
            log = await node.service.astore.read_log(author, 1, 10)
            if [e.id for e in log] != [e.id for e in group]:
                return False
        return True

    await cluster.wait_until(rotated_everywhere, timeout=30, what="every node holds the rotated branch")
    await cluster.wait_quiet(timeout=30)
    for node in cluster.nodes:
        info = await node.service.info()
        assert group_id_text(author) in info["rotated_after_fork_groups"]
        assert group_id_text(author) not in info["forked_groups"] and info["fork_proofs"] == 1
        page = await node.service.group(group_id_text(author))
        assert page["rotated_after_fork"] and not page["forked"]
    async with aiohttp.ClientSession() as http:
        url = f"{cluster.nodes[1].url}/api/v1/groups/{group_id_text(author)}"
        async with http.get(url) as reply:
            assert reply.status == 200 and (await reply.json())["rotated_after_fork"] is True
    # the thief keeps signing with the old key, on its branch and after the rotation: refused by every node
    late = next_event(k1, k1, thief[-1], "campaign.created", {"title": "thief 5"})
    after = next_event(k1, k1, group[-1], "campaign.created", {"title": "thief after the rotation"})
    for node in cluster.nodes:
        refused = await node.service.ingest([late, after])
        assert not refused.stored and {r.code for r in refused.rejected} <= {"broken_link", "seq_gap", "bad_signature"}
    more = await group_node.service.ingest([next_event(k2, k1, group[-1], "campaign.created", {"title": "new key"})])
    assert len(more.stored) == 1

    async def caught_up() -> bool:
        for node in cluster.nodes:
            if (await node.service.astore.head(author)).seq != 5:
                return False
        return True

    await cluster.wait_until(caught_up, timeout=30, what="the new key's event everywhere")
    await cluster.wait_quiet(timeout=30)
    # the auditor, given a node's data dir, reports the rotation and the superseded branch it keeps as evidence
    await cluster.stop()
    report = audit(DataDirSource(str(cluster.nodes[1].path)), workers=1)
    assert [(r.group, r.seq, r.key) for r in report.rotations] == [(group_id_text(author), 3, k2.public_key.hex())]
    superseded = {s.event_id for s in report.superseded}
    assert superseded and superseded <= {e.id.hex() for e in (*thief[2:], honest3)}
    assert [f.seq for f in report.forks] == [3] and not report.invalid
