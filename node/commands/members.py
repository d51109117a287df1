"""`solnet member …` and `solnet token …`: the node's member accounts and their API tokens, from the shell.

Each command opens the node's database (as configured in its data dir), whether or not the node is running;
a running node sees the change at once (removing a member also ends their web sessions).
"""

from __future__ import annotations

import argparse
import getpass
import os
from collections.abc import Callable
from typing import Any, TypeVar

from ..datadir import DataDir
from ..i18n import N_
from ..members import ALL_SCOPES, Accounts, Member, Principal, Role, parse_scopes, scope_list
from ..store import open_store
from .common import print_json
from .words import _, ngettext

T = TypeVar("T")
URL_ENV = "SOLNET_URL"
LIST_PAGE = 100


def _with_accounts(args: argparse.Namespace, body: Callable[[Accounts, DataDir], T]) -> T:
    data = DataDir.at(args.data)
    settings = data.settings()
    store = open_store(data.path, getattr(args, "database", None) or settings.database_url)
    try:
        return body(Accounts(store), data)
    finally:
        store.close()


def base_url(args: argparse.Namespace) -> str:
    """Return where the node's page is reached, for links: --url, else $SOLNET_URL, else the default listen address."""
    from .lifecycle import DEFAULT_LISTEN

    return (getattr(args, "url", None) or os.environ.get(URL_ENV) or f"http://{DEFAULT_LISTEN}").rstrip("/")


def cli_principal() -> Principal:
    """Return who acts from the shell: whoever can read the data dir, as an admin, shown with their login name."""
    try:
        user = getpass.getuser()
    except Exception:  # (no user name in this environment)
        user = "unknown"
    return Principal(None, f"terminal ({user})"[:60], Role.ADMIN, ALL_SCOPES, "cli")


def _show_link(args: argparse.Namespace, member: Member, secret: str, message: str) -> int:
    url = f"{base_url(args)}/invite/{secret}"
    if args.json:
        print_json({**member.to_json(), "invite_url": url})
    else:
        print(_(message, name=member.name, role=member.role.value, url=url))
    return 0


def cmd_member_add(args: argparse.Namespace) -> int:
    member, secret = _with_accounts(args, lambda a, _d: a.invite(args.name, args.role, args.email))
    return _show_link(
        args, member, secret, N_("invited %(name)s (%(role)s); send them this one-time link (good for 7 days):\n%(url)s")
    )


def cmd_member_reset(args: argparse.Namespace) -> int:
    member, secret = _with_accounts(args, lambda a, _d: a.reset(args.name))
    return _show_link(
        args, member, secret, N_("new link for %(name)s (%(role)s); send them this one-time link (good for 7 days):\n%(url)s")
    )


def cmd_member_list(args: argparse.Namespace) -> int:
    members, following = _with_accounts(args, lambda a, _d: a.page(args.cursor, args.limit or LIST_PAGE))
    if args.json:
        print_json({"members": [m.to_json() for m in members], "next": following})
        return 0
    for m in members:
        state = _("active") if m.active else _("invited")
        print(f"{m.name:30} {m.role.value:10} {state:8} {m.email or ''}".rstrip())  # (a role as it is typed)
    if not members:
        print(_("no members yet (invite one with: solnet member add NAME --role member)"))
    if following:
        print(_("(more: --cursor '%(cursor)s')", cursor=following))
    return 0


def cmd_member_role(args: argparse.Namespace) -> int:
    member = _with_accounts(args, lambda a, _d: a.set_role(args.name, args.role))
    if args.json:
        print_json(member.to_json())
    else:
        print(_("%(name)s's role is now %(role)s", name=member.name, role=member.role.value))
    return 0


def cmd_member_remove(args: argparse.Namespace) -> int:
    from ..web.session_store import forget_member

    def body(accounts: Accounts, data: DataDir) -> tuple[Member, int]:
        member = accounts.remove(args.name)
        return member, forget_member(data.web_sessions_file, member.id)

    member, ended = _with_accounts(args, body)
    if args.json:
        print_json({**member.to_json(), "sessions_ended": ended})
    else:
        print(
            ngettext(
                "removed %(name)s: %(n)s web session ended, their API tokens revoked",
                "removed %(name)s: %(n)s web sessions ended, their API tokens revoked",
                ended,
                name=member.name,
            )
        )
    return 0


def cmd_token_add(args: argparse.Namespace) -> int:
    scopes = parse_scopes(args.scope)

    def body(accounts: Accounts, _d: DataDir) -> Any:
        member = accounts.named(args.name)
        return member, *accounts.add_token(member.id, scopes, args.label or "")

    member, token, secret = _with_accounts(args, body)
    if args.json:
        print_json({**token.to_json(), "member": member.name, "token": secret})
    else:
        scopes = ", ".join(scope_list(token.scopes))
        print(_("API token for %(name)s (%(scopes)s), shown once:\n%(token)s", name=member.name, scopes=scopes, token=secret))
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    tokens = _with_accounts(args, lambda a, _d: a.token_list(a.named(args.name).id))
    if args.json:
        print_json({"tokens": [t.to_json() for t in tokens]})
    else:
        for t in tokens:
            print(f"{t.id}  {','.join(scope_list(t.scopes)):20} {t.label}")
        if not tokens:
            print(_("no tokens (make one with: solnet token add NAME --scope read)"))
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _with_accounts(args, lambda a, _d: a.revoke_token(a.named(args.name).id, args.token_id))
    print(_("revoked %(token)s", token=args.token_id))
    return 0


def add_member_parsers(sub: argparse._SubParsersAction, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add `solnet member …` and `solnet token …` to the parser."""
    roles = [r.value for r in Role]
    member = sub.add_parser("member", help=_("the group's member accounts: invite, list, change role, remove, reset"))
    msub = member.add_subparsers(dest="member_command", required=True, metavar="ACTION")

    def command(parent: Any, name: str, func: Callable, text: str, link: bool = False) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=_(text))
        add_common(p)
        p.add_argument("--json", action="store_true", help=_("print JSON"))
        if link:
            p.add_argument(
                "--url", help=_("the node's address for the link (default $%(env)s or the default listen address)", env=URL_ENV)
            )
        p.set_defaults(func=func)
        return p

    p = command(msub, "add", cmd_member_add, N_("invite someone: prints a one-time link (7 days) to choose a password"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--email")
    p = command(msub, "list", cmd_member_list, N_("list members by name"))
    p.add_argument("--limit", type=int, help=_("at most this many (default %(n)s)", n=LIST_PAGE))
    p.add_argument("--cursor", help=_("start after the page that printed this cursor"))
    p = command(msub, "role", cmd_member_role, N_("give a member another role"))
    p.add_argument("name", metavar="NAME")
    p.add_argument("role", metavar="ROLE", choices=roles)
    p = command(msub, "remove", cmd_member_remove, N_("remove a member: their sessions and tokens end at once"))
    p.add_argument("name", metavar="NAME")
    p = command(msub, "reset", cmd_member_reset, N_("a new one-time link for a member to choose a password"), True)
    p.add_argument("name", metavar="NAME")

    token = sub.add_parser("token", help=_("members' API tokens (scoped: read, publish, admin)"))
    tsub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = command(tsub, "add", cmd_token_add, N_("make an API token for a member (printed once)"))
    p.add_argument("name", metavar="NAME")
    p.add_argument("--scope", action="append", required=True, help=_("read, publish or admin (repeatable)"))
    p.add_argument("--label", help=_("what the token is for"))
    p = command(tsub, "list", cmd_token_list, N_("list a member's tokens"))
    p.add_argument("name", metavar="NAME")
    p = command(tsub, "revoke", cmd_token_revoke, N_("revoke one of a member's tokens"))
    p.add_argument("name", metavar="NAME")
    p.add_argument("token_id", metavar="TOKEN_ID")
