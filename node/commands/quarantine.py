"""`solnet quarantine list` and `accept`: what origins nobody chose offered, asked of the running node's API.

The quarantine lives in the serving node's memory, so these commands talk to it over HTTP (its API token
from --token or $SOLNET_TOKEN), like any admin client; nothing is read from or written to the data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from ..i18n import N_
from .common import CliError, print_json
from .words import _, ngettext

TOKEN_ENV = "SOLNET_TOKEN"


def _call(args: argparse.Namespace, path: str, body: dict[str, Any] | None = None) -> Any:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CliError(_("the node's API token is needed: --token or $%(env)s", env=TOKEN_ENV))
    url = args.url.rstrip("/") + path
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read())["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = exc.reason
        raise CliError(f"{url}: HTTP {exc.code}: {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(_("%(url)s: no answer (%(error)s); is the node serving there?", url=url, error=exc)) from None


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    """Print one page of the quarantine (origins and the groups each offered)."""
    page = _call(args, f"/api/v1/quarantine?offset={args.offset}&limit={args.limit}")
    if args.json:
        print_json(page)
        return 0
    mode, origins = page["mode"], page["origins"]
    print(
        ngettext(
            "replication mode %(mode)s; %(n)s origin holds offers",
            "replication mode %(mode)s; %(n)s origins hold offers",
            origins,
            mode=mode,
        )
    )
    for box in page["quarantine"]:
        groups = ngettext("%(n)s group held", "%(n)s groups held", len(box["groups"]))
        dropped = ngettext("%(n)s more offer dropped", "%(n)s more offers dropped", box["dropped"])
        print(f"{box['origin']}  ({groups}; {dropped})")
        for group in box["groups"]:
            held = ngettext(
                "up to seq %(seq)s, %(n)s event held",
                "up to seq %(seq)s, %(n)s events held",
                group["events_held"],
                seq=group["seq"],
            )
            print(f"    {group['group_id']}  {held}")
    if not page["quarantine"]:
        print(_("nothing is held"))
    return 0


def cmd_quarantine_accept(args: argparse.Namespace) -> int:
    """Accept what one origin offered (all, or the --group ones)."""
    body: dict[str, Any] = {"origin": args.origin}
    if args.group:
        body["groups"] = list(args.group)
    shown = _call(args, "/api/v1/quarantine/accept", body)
    stored = ngettext("stored %(n)s event held", "stored %(n)s events held", shown["stored"])
    print(
        ngettext(
            "accepted %(n)s group from %(origin)s; %(stored)s",
            "accepted %(n)s groups from %(origin)s; %(stored)s",
            shown["accepted"],
            origin=shown["origin"],
            stored=stored,
        )
    )
    return 0


def add_quarantine_parser(sub: argparse._SubParsersAction, default_url: str) -> None:
    """Add `solnet quarantine list|accept` to the CLI."""
    parser = sub.add_parser("quarantine", help=_("groups offered by origins nobody chose (ask the running node)"))
    actions = parser.add_subparsers(dest="quarantine_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("list", cmd_quarantine_list, N_("show what is held, per origin")),
        ("accept", cmd_quarantine_accept, N_("accept what one origin offered")),
    ):
        p = actions.add_parser(name, help=_(text))
        p.add_argument("--url", default=default_url, help=_("the serving node's URL (default %(url)s)", url=default_url))
        p.add_argument("--token", help=_("its API token (default $%(env)s)", env=TOKEN_ENV))
        if name == "list":
            p.add_argument("--offset", type=int, default=0)
            p.add_argument("--limit", type=int, default=16)
            p.add_argument("--json", action="store_true")
        else:
            p.add_argument("origin", help=_("an origin as `solnet quarantine list` shows it"))
            p.add_argument("--group", action="append", metavar="GROUP_ID", help=_("accept only this group (repeatable)"))
        p.set_defaults(func=func)
