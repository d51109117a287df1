"""`solnet invite` (make, list, revoke invitations for other groups' nodes) and `solnet join CODE` (redeem one).

`solnet init --join CODE` is `init`, then `join`: the new node redeems the invitation at the inviting node (which
makes it a chosen peer), takes the inviter as its own peer, subscribes to it when it has no public URL, and
follows the inviting group (a signed `graph.follow`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import replace

from events import group_id_text
from protocol import ProtocolError
from protocol.invitation import InvitationCode

from ..datadir import DataDir
from ..errors import NodeError
from ..invitations import DEFAULT_DAYS, Invitations
from ..service import NodeService
from ..store import open_store
from .common import CliError, confirm_own_head, print_json, with_service

PUBLIC_URL_ENV = "SOLNET_PUBLIC_URL"


def add_invite_parsers(sub: argparse._SubParsersAction, add_common) -> None:  # type: ignore[type-arg]
    """Add `solnet invite` and `solnet join` to the CLI."""
    p = sub.add_parser("invite", help="invite another group's node: print a one-time invitation code and link")
    add_common(p)
    p.add_argument("--uses", type=int, default=1, help="how many nodes may join with it (default 1)")
    p.add_argument("--expires", type=float, default=DEFAULT_DAYS, metavar="DAYS", help=f"default {DEFAULT_DAYS} days")
    p.add_argument("--url", help=f"where other nodes reach this node (default: its public_url, or ${PUBLIC_URL_ENV})")
    p.add_argument("--list", action="store_true", help="list the invitations instead (newest first)")
    p.add_argument("--revoke", metavar="ID", help="revoke an invitation instead")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_invite)
    p = sub.add_parser("join", help="redeem an invitation code with this node (as `init --join` does)")
    add_common(p)
    p.add_argument("code")
    p.add_argument("--public-url", help="where other nodes reach this node (none: it subscribes, from behind NAT)")
    p.set_defaults(func=cmd_join)


def cmd_invite(args: argparse.Namespace) -> int:
    data = DataDir.at(args.data)
    settings = data.settings()
    store = open_store(data.path, getattr(args, "database", None) or settings.database_url)
    try:
        invitations = Invitations(store)
        now = int(time.time())
        if args.list:
            rows = [i.json(now) for i in invitations.page(0, 100)]
            if args.json:
                print_json({"invitations": rows})
            for row in [] if args.json else rows:
                print(f"{row['id']}  {row['state']:8}  used {row['used']}/{row['uses']}  expires {time.ctime(row['expires'])}")
            return 0
        if args.revoke:
            shown = invitations.revoke(args.revoke, now).json(now)
            print_json(shown) if args.json else print(f"invitation {shown['id']} revoked")
            return 0
        url = (args.url or os.environ.get(PUBLIC_URL_ENV) or settings.public_url or "").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise CliError("give --url: the address other nodes reach this node at (a node behind NAT cannot invite)")
        invitation, secret = invitations.create(now, uses=args.uses, days=args.expires)
    except NodeError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    from ..federation.invitation_api import invitation_text

    code, link = invitation_text(url, data.load_identity().public_key, secret)
    if args.json:
        print_json({**invitation.json(now), "code": code, "link": link})
        return 0
    print(f"invitation {invitation.id}: good for {invitation.uses} node(s) until {time.ctime(invitation.expires)}")
    print(f"code: {code}")
    print(f"link: {link}")
    print(f'the other group runs: solnet init --name "THEIR NAME" --join {code}')
    return 0


def parse_code(text: str) -> InvitationCode:
    """Return the invitation code `text` spells; raise CliError saying what is wrong with it."""
    try:
        return InvitationCode.parse(text)
    except ProtocolError as exc:
        raise CliError(exc.message) from None


def cmd_join(args: argparse.Namespace) -> int:
    return join(args, parse_code(args.code), args.public_url)


def join(args: argparse.Namespace, code: InvitationCode, public_url: str | None, *, fresh_identity: bool = False) -> int:
    """Redeem `code` for the node in `args.data`, then peer with, subscribe to (without a public URL) and follow the inviter."""
    from ..federation.joining import redeem

    data = DataDir.at(args.data)
    public_url = (public_url or "").rstrip("/") or None
    try:
        inviter = asyncio.run(redeem(code, data.load_identity(), public_url))
    except ProtocolError as exc:
        raise CliError(f"joining through {code.url} failed: {exc.message}") from None
    settings = data.settings()
    data.save(
        replace(
            settings,
            peers=tuple(dict.fromkeys((*settings.peers, code.url))),
            subscribe=settings.subscribe if public_url else tuple(dict.fromkeys((*settings.subscribe, code.url))),
            public_url=public_url or settings.public_url,
        )
    )

    async def follow(service: NodeService) -> None:
        await confirm_own_head(service)
        await service.publish("graph.follow", {"group": group_id_text(inviter)})

    with_service(args, follow, fresh_identity=fresh_identity)
    how = f"reachable at {public_url}" if public_url else "subscribed to it (nothing needs to be open at your end)"
    print(f"joined: {code.url} ({group_id_text(inviter)}) is your peer and you follow it; {how}")
    return 0
