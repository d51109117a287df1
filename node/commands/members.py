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
from ..members import ALL_SCOPES, Accounts, Member, Principal, Role, parse_scopes, scope_list
from ..store import open_store
from .common import print_json

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


def _show_link(args: argparse.Namespace, member: Member, secret: str, what: str) -> int:
    url = f"{base_url(args)}/invite/{secret}"
    if args.json:
        print_json({**member.to_json(), "invite_url": url})
    else:
        print(f"{what} {member.name} ({member.role.value}); send them this one-time link (good for 7 days):\n{url}")
    return 0


def cmd_member_add(args: argparse.Namespace) -> int:
    member, secret = _with_accounts(args, lambda a, _: a.invite(args.name, args.role, args.email))
    return _show_link(args, member, secret, "invited")


def cmd_member_reset(args: argparse.Namespace) -> int:
    member, secret = _with_accounts(args, lambda a, _: a.reset(args.name))
    return _show_link(args, member, secret, "new link for")


def cmd_member_list(args: argparse.Namespace) -> int:
    members, following = _with_accounts(args, lambda a, _: a.page(args.cursor, args.limit or LIST_PAGE))
    if args.json:
        print_json({"members": [m.to_json() for m in members], "next": following})
        return 0
    for m in members:
        print(f"{m.name:30} {m.role.value:10} {'active' if m.active else 'invited':8} {m.email or ''}".rstrip())
    if following:
        print(f"(more: --cursor '{following}')")
    return 0


def cmd_member_role(args: argparse.Namespace) -> int:
    member = _with_accounts(args, lambda a, _: a.set_role(args.name, args.role))
    if args.json:
        print_json(member.to_json())
    else:
        print(f"{member.name} is now {member.role.value}")
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
        print(f"removed {member.name}: {ended} web session(s) ended, their API tokens revoked")
    return 0


def cmd_token_add(args: argparse.Namespace) -> int:
    scopes = parse_scopes(args.scope)

    def body(accounts: Accounts, _: DataDir) -> Any:
        member = accounts.named(args.name)
        return member, *accounts.add_token(member.id, scopes, args.label or "")

    member, token, secret = _with_accounts(args, body)
    if args.json:
        print_json({**token.to_json(), "member": member.name, "token": secret})
    else:
        print(f"API token for {member.name} ({', '.join(scope_list(token.scopes))}), shown once:\n{secret}")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    tokens = _with_accounts(args, lambda a, _: a.token_list(a.named(args.name).id))
    if args.json:
        print_json({"tokens": [t.to_json() for t in tokens]})
    else:
        for t in tokens:
            print(f"{t.id}  {','.join(scope_list(t.scopes)):20} {t.label}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _with_accounts(args, lambda a, _: a.revoke_token(a.named(args.name).id, args.token_id))
    print(f"revoked {args.token_id}")
    return 0


def add_member_parsers(sub: argparse._SubParsersAction, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add `solnet member …` and `solnet token …` to the parser."""
    roles = [r.value for r in Role]
    member = sub.add_parser("member", help="the group's member accounts: invite, list, change role, remove, reset")
    msub = member.add_subparsers(dest="member_command", required=True, metavar="ACTION")

    def command(parent: Any, name: str, func: Callable, text: str, link: bool = False) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=text)
        add_common(p)
        p.add_argument("--json", action="store_true", help="print JSON")
        if link:
            p.add_argument("--url", help=f"the node's address for the link (default ${URL_ENV} or the default listen address)")
        p.set_defaults(func=func)
        return p

    p = command(msub, "add", cmd_member_add, "invite someone: prints a one-time link (7 days) to choose a password", True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--email")
    p = command(msub, "list", cmd_member_list, "list members by name")
    p.add_argument("--limit", type=int, help=f"at most this many (default {LIST_PAGE})")
    p.add_argument("--cursor", help="start after the page that printed this cursor")
    p = command(msub, "role", cmd_member_role, "give a member another role")
    p.add_argument("name", metavar="NAME")
    p.add_argument("role", metavar="ROLE", choices=roles)
    p = command(msub, "remove", cmd_member_remove, "remove a member: their sessions and tokens end at once")
    p.add_argument("name", metavar="NAME")
    p = command(msub, "reset", cmd_member_reset, "a new one-time link for a member to choose a password", True)
    p.add_argument("name", metavar="NAME")

    token = sub.add_parser("token", help="members' API tokens (scoped: read, publish, admin)")
    tsub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = command(tsub, "add", cmd_token_add, "make an API token for a member (printed once)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--scope", action="append", required=True, help="read, publish or admin (repeatable)")
    p.add_argument("--label", help="what the token is for")
    p = command(tsub, "list", cmd_token_list, "list a member's tokens")
    p.add_argument("name", metavar="NAME")
    p = command(tsub, "revoke", cmd_token_revoke, "revoke one of a member's tokens")
    p.add_argument("name", metavar="NAME")
    p.add_argument("token_id", metavar="TOKEN_ID")
