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

from .common import CliError, print_json

TOKEN_ENV = "SOLNET_TOKEN"


def _call(args: argparse.Namespace, path: str, body: dict[str, Any] | None = None) -> Any:
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        raise CliError(f"the node's API token is needed: --token or ${TOKEN_ENV}")
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
        raise CliError(f"{url}: no answer ({exc}); is the node serving there?") from None


def cmd_quarantine_list(args: argparse.Namespace) -> int:
    """Print one page of the quarantine (origins and the groups each offered)."""
    page = _call(args, f"/api/v1/quarantine?offset={args.offset}&limit={args.limit}")
    if args.json:
        print_json(page)
        return 0
    print(f"replication mode {page['mode']}; {page['origins']} origin(s) hold offers")
    for box in page["quarantine"]:
        print(f"{box['origin']}  ({len(box['groups'])} groups held, {box['dropped']} more offers dropped)")
        for group in box["groups"]:
            print(f"    {group['group_id']}  up to seq {group['seq']}, {group['events_held']} events held")
    return 0


def cmd_quarantine_accept(args: argparse.Namespace) -> int:
    """Accept what one origin offered (all, or the --group ones)."""
    body: dict[str, Any] = {"origin": args.origin}
    if args.group:
        body["groups"] = list(args.group)
    shown = _call(args, "/api/v1/quarantine/accept", body)
    print(f"accepted {shown['accepted']} group(s) from {shown['origin']}; stored {shown['stored']} event(s) held")
    return 0


def add_quarantine_parser(sub: argparse._SubParsersAction, default_url: str) -> None:
    """Add `solnet quarantine list|accept` to the CLI."""
    parser = sub.add_parser("quarantine", help="groups offered by origins nobody chose (ask the running node)")
    actions = parser.add_subparsers(dest="quarantine_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("list", cmd_quarantine_list, "show what is held, per origin"),
        ("accept", cmd_quarantine_accept, "accept what one origin offered"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("--url", default=default_url, help=f"the serving node's URL (default {default_url})")
        p.add_argument("--token", help=f"its API token (default ${TOKEN_ENV})")
        if name == "list":
            p.add_argument("--offset", type=int, default=0)
            p.add_argument("--limit", type=int, default=16)
            p.add_argument("--json", action="store_true")
        else:
            p.add_argument("origin", help="an origin as `solnet quarantine list` shows it")
            p.add_argument("--group", action="append", metavar="GROUP_ID", help="accept only this group (repeatable)")
        p.set_defaults(func=func)
