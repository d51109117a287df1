"""Invitations between nodes (docs/PROTOCOL.md §17) against a real node on loopback: redeem, use up, revoke, expire."""

from __future__ import annotations

import time

import aiohttp
import pytest

from events import Identity
from node.federation.joining import INVITATIONS, redeem
from protocol import MessageError, PeerRejectedError
from protocol.invitation import InvitationCode, group_hint
from protocol.subscription import subscriber_address

from .cluster import Cluster, Node


async def invite(node: Node, **body: object) -> dict:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{node.url}/api/v1/invitations", json=body, headers={"Authorization": f"Bearer {node.token}"}) as resp,
    ):
        assert resp.status == 201, await resp.text()
        return await resp.json()


async def test_an_invitation_makes_the_new_node_a_chosen_peer_as_often_as_it_allows(cluster: Cluster) -> None:
    hub = cluster.add("Hub")
    await cluster.start()
    invitation = await invite(hub, uses=2)
    code = InvitationCode.parse(invitation["code"])
    assert code.url == hub.url and invitation["link"] == f"{hub.url}/join/{invitation['code']}"

    home, other, late = Identity.generate(), Identity.generate(), Identity.generate()
    assert await redeem(code, home, None) == hub.data.load_identity().public_key
    assert await redeem(code, other, "http://127.0.0.1:9") == hub.data.load_identity().public_key
    book = hub.federation.book
    assert book.is_chosen(subscriber_address(home.public_key)) and book.is_chosen("http://127.0.0.1:9")
    assert subscriber_address(home.public_key) in hub.data.settings().peers  # saved: chosen after a restart too

    with pytest.raises(PeerRejectedError) as refused:
        await redeem(code, late, None)
    assert refused.value.peer_code == "invitation_used" and "used already" in refused.value.message
    assert not book.is_chosen(subscriber_address(late.public_key))


async def test_revoked_expired_and_unknown_invitations_are_refused_clearly(cluster: Cluster) -> None:
    hub = cluster.add("Hub")
    await cluster.start()
    revoked = await invite(hub)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hub.url}/api/v1/invitations/{revoked['id']}/revoke", headers={"Authorization": f"Bearer {hub.token}"}
        ) as resp,
    ):
        assert resp.status == 200 and (await resp.json())["state"] == "revoked"
    invitations = hub.app[INVITATIONS]  # type: ignore[index]
    _, secret = invitations.create(int(time.time()) - 3 * 86400, days=1)
    group = hub.data.load_identity().public_key
    expired = InvitationCode(hub.url, group_hint(group), secret)
    unknown = InvitationCode(hub.url, group_hint(group), bytes(16))
    for code, reason in (
        (InvitationCode.parse(revoked["code"]), "invitation_revoked"),
        (expired, "invitation_expired"),
        (unknown, "invitation_unknown"),
    ):
        with pytest.raises(PeerRejectedError) as refused:
            await redeem(code, Identity.generate(), None)
        assert refused.value.peer_code == reason
    assert [p for p in hub.federation.book.urls() if p.startswith("sub:")] == []


async def test_a_code_for_another_node_spends_nothing_and_is_refused(cluster: Cluster) -> None:
    hub = cluster.add("Hub")
    await cluster.start()
    invitation = await invite(hub)
    real = InvitationCode.parse(invitation["code"])
    # The same secret, but a hint of another group: the join is signed for that group's node, not this one.
    wrong = InvitationCode(real.url, group_hint(Identity.generate().public_key), real.secret)
    with pytest.raises(PeerRejectedError) as refused:
        await redeem(wrong, Identity.generate(), None)
    assert refused.value.peer_code == "bad_message"
    assert await redeem(real, Identity.generate(), None)  # the use was not spent


def test_a_damaged_code_says_so() -> None:
    code = InvitationCode("https://hub.example.org", bytes(10), bytes(16)).text()
    assert InvitationCode.parse(f"  {code}\n") == InvitationCode("https://hub.example.org", bytes(10), bytes(16))
    for damaged in (code[:-3], "sn_" + code, code.replace("snj1-", "snj1-x")):
        with pytest.raises(MessageError, match="invitation code"):
            InvitationCode.parse(damaged)
