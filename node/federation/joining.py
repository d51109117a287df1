"""Redeeming an invitation (docs/PROTOCOL.md §17): POST /peer/v1/join on the inviter, and the new node's call to it.

The inviter checks the `join` (size, canonical form, the new group's signature), spends one use of the
invitation in one UPDATE, and makes the new node a chosen peer: its URL, or `sub:<group id>` when it has none and
will subscribe (saved in node.json, so it stays chosen after a restart). A wrong secret costs its sender
misbehaviour points like a malformed request, so guessing is banned after a few tries.
"""

from __future__ import annotations

import os
import time

import aiohttp
from aiohttp import web

from events import Identity, group_id_text
from protocol import ErrorReply, MessageError, PeerRejectedError, ProtocolError, TransportError
from protocol.invitation import MAX_JOIN_SIZE, InvitationCode, Join, Joined, check_join, decode_join, encode_join, make_join
from protocol.messages import decode_message, encode_message
from protocol.peers import MALFORMED_POINTS
from protocol.subscription import subscriber_address

from ..bodies import read_body
from ..http_errors import peer_status
from ..invitations import InvitationError, Invitations
from .config import PUBLIC_URL_ENV
from .routes import FEDERATION, remote_key
from .scheduler import Federation
from .transport import CONTENT_TYPE

INVITATIONS = web.AppKey("invitations", Invitations)
"""The node's invitations (node/invitations.py)."""
JOIN_PATH = "/peer/v1/join"


def _reply(code: str | None, message: str | bytes) -> web.Response:
    if code is None:
        return web.Response(body=message, content_type=CONTENT_TYPE)
    body = encode_message(ErrorReply(code, str(message)[:512]))
    return web.Response(body=body, status=peer_status(code), content_type=CONTENT_TYPE)


async def join_handler(request: web.Request) -> web.Response:
    """Redeem an invitation for the group that signed the `join`; answer `joined` or an `error`."""
    federation = request.app[FEDERATION]
    agent, key = federation.agent, remote_key(request)
    if agent.book.is_banned(key, agent.clock()):
        return _reply("banned", "this node does not talk to you for now")
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
    if content_type != CONTENT_TYPE:
        return _reply("bad_content_type", f"a join is {CONTENT_TYPE}, not {content_type or 'untyped'!r:.60}")
    body = await read_body(request, MAX_JOIN_SIZE)
    if body is None:
        federation.count_oversized(key)
        return _reply("body_too_large", f"a join has at most {MAX_JOIN_SIZE} bytes")
    try:
        join = decode_join(body, Join)
        assert isinstance(join, Join)
        check_join(join, federation.service.identity.public_key)
    except MessageError as exc:
        agent.book.penalise(key, MALFORMED_POINTS, f"malformed join: {exc}", agent.clock())
        return _reply(exc.code, str(exc))
    if join.group == federation.service.identity.public_key:
        return _reply("bad_message", "a node does not join itself")
    invitations = request.app[INVITATIONS]
    try:
        await invitations.call(invitations.redeem, join.secret, int(time.time()))
    except InvitationError as exc:
        if exc.code == "invitation_unknown":  # (128-bit secrets: a guesser is banned long before it is lucky)
            agent.book.penalise(key, MALFORMED_POINTS, "redeemed an unknown invitation", agent.clock())
        return _reply(exc.code, exc.message)
    await accept_joined(federation, join)
    return _reply(None, encode_join(Joined(federation.service.identity.public_key)))


async def accept_joined(federation: Federation, join: Join) -> str:
    """Make the node that redeemed an invitation a chosen peer (saved in node.json); return its address."""
    address = join.url or subscriber_address(join.group)
    federation.service.add_peer(address)
    federation.book.add(address, join.group, chosen=True)
    if join.url is not None:  # (a subscriber is synced with when its socket opens)
        await federation.add_peer(address)
    return address


async def join_with_code(federation: Federation, code: InvitationCode) -> bytes:
    """Redeem `code` for this running node and act on it at once (the first-run page); return the inviter's group key.

    The URL sent is the node's configured public URL only (never the one it listens at): without one, the node
    subscribes to the inviter and stops claiming a URL.
    """
    settings = federation.service.settings
    public = os.environ.get(PUBLIC_URL_ENV) or settings.public_url
    inviter = await redeem(code, federation.service.identity, public)
    federation.service.add_peer(code.url)
    federation.book.add(code.url, inviter, chosen=True)
    if public is None:
        federation.service.update_settings(subscribe=tuple(dict.fromkeys((*settings.subscribe, code.url))))
        federation.transport.reachable = False
        federation.subscriptions.add(code.url)
    else:
        await federation.add_peer(code.url)
    await federation.service.publish("graph.follow", {"group": group_id_text(inviter)})
    return inviter


async def redeem(code: InvitationCode, identity: Identity, url: str | None, *, timeout: float = 15.0) -> bytes:
    """Redeem `code` at the inviting node for `identity`'s group (reachable at `url`, or None); return the inviter's
    group key, checked against the code. Raise TransportError if no answer, PeerRejectedError (`peer_code` says
    why: invitation_used, invitation_expired, ...) if refused, MessageError if another node answered."""
    body = encode_join(make_join(identity, code, url))
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
            session.post(code.url + JOIN_PATH, data=body, headers={"Content-Type": CONTENT_TYPE}, allow_redirects=False) as resp,
        ):
            data = await resp.content.read(MAX_JOIN_SIZE + 1)
            ok = resp.status == 200 and resp.content_type == CONTENT_TYPE
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise TransportError(f"no answer from {code.url}: {type(exc).__name__}: {exc}") from None
    if not ok:
        try:
            refusal = decode_message(data, ErrorReply)
        except ProtocolError:
            raise TransportError(f"{code.url} did not answer as a solnet node (HTTP {resp.status})") from None
        raise PeerRejectedError(f"the inviting node refused: {refusal.message}", peer_code=refusal.code)
    joined = decode_join(data, Joined)
    if not code.matches(joined.group):
        raise MessageError(f"{code.url} is not the node that made this invitation (another group key)", field="group")
    return joined.group
