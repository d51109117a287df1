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
from ..i18n import format_when, shell_language
from ..invitations import DEFAULT_DAYS, Invitations
from ..service import NodeService
from ..store import open_store
from ..web.local_time import zone_of
from .common import CliError, confirm_own_head, print_json, with_service
from .words import _, ngettext

PUBLIC_URL_ENV = "SOLNET_PUBLIC_URL"


def add_invite_parsers(sub: argparse._SubParsersAction, add_common) -> None:  # type: ignore[type-arg]
    """Add `solnet invite` and `solnet join` to the CLI."""
    p = sub.add_parser("invite", help=_("invite another group's node: print a one-time invitation code and link"))
    add_common(p)
    p.add_argument("--uses", type=int, default=1, help=_("how many nodes may join with it (default 1)"))
    p.add_argument(
        "--expires", type=float, default=DEFAULT_DAYS, metavar="DAYS", help=_("default %(days)s days", days=DEFAULT_DAYS)
    )
    p.add_argument(
        "--url",
        help=_("where other nodes reach this node (default: its public_url, or $%(env)s)", env=PUBLIC_URL_ENV),
    )
    p.add_argument("--list", action="store_true", help=_("list the invitations instead (newest first)"))
    p.add_argument("--revoke", metavar="ID", help=_("revoke an invitation instead"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_invite)
    p = sub.add_parser("join", help=_("redeem an invitation code with this node (as `init --join` does)"))
    add_common(p)
    p.add_argument("code")
    p.add_argument("--public-url", help=_("where other nodes reach this node (none: it subscribes, from behind NAT)"))
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
                when = format_when(row["expires"] * 1000, zone_of(settings.time_zone), shell_language(os.environ))
                used = _("used %(used)s/%(uses)s", used=row["used"], uses=row["uses"])
                expires = _("expires %(when)s", when=when)
                print(f"{row['id']}  {row['state']:8}  {used}  {expires}")
            if not rows and not args.json:
                print(_("no invitations (make one with: solnet invite)"))
            return 0
        if args.revoke:
            shown = invitations.revoke(args.revoke, now).json(now)
            print_json(shown) if args.json else print(_("invitation %(id)s revoked", id=shown["id"]))
            return 0
        url = (args.url or os.environ.get(PUBLIC_URL_ENV) or settings.public_url or "").rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise CliError(_("give --url: the address other nodes reach this node at (a node behind NAT cannot invite)"))
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
    until = format_when(invitation.expires * 1000, zone_of(settings.time_zone), shell_language(os.environ))
    print(
        ngettext(
            "invitation %(id)s: good for %(n)s node until %(when)s",
            "invitation %(id)s: good for %(n)s nodes until %(when)s",
            invitation.uses,
            id=invitation.id,
            when=until,
        )
    )
    print(_("code: %(code)s", code=code))
    print(_("link: %(link)s", link=link))
    print(_('the other group runs: solnet init --name "THEIR NAME" --join %(code)s', code=code))
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
        raise CliError(_("joining through %(url)s failed: %(error)s", url=code.url, error=exc.message)) from None
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
    values = {"url": code.url, "group": group_id_text(inviter), "public_url": public_url}
    if public_url:
        print(_("joined: %(url)s (%(group)s) is your peer and you follow it; reachable at %(public_url)s", **values))
    else:
        print(
            _(
                "joined: %(url)s (%(group)s) is your peer and you follow it; subscribed to it (nothing needs to be "
                "open at your end)",
                **values,
            )
        )
    return 0
