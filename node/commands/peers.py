"""`solnet peer add`, `peer list` and `peer remove`: the peers a node syncs with, kept in its node.json."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..datadir import DataDir
from ..settings import SettingsKeeper
from .common import CliError, print_json
from .words import _


def _url(text: str) -> str:
    url = text.strip().rstrip("/")
    if not url.startswith(("http://", "https://", "sub:")):  # (sub:<group id>: a node behind NAT that subscribes)
        raise CliError(_("a peer is an http(s) URL like http://127.0.0.1:8471, not %(text)s", text=repr(text)))
    return url


def cmd_peer_add(args: argparse.Namespace) -> int:
    settings = SettingsKeeper.of(DataDir.at(args.data)).add_peer(_url(args.url))
    print(_("peers: %(peers)s", peers=", ".join(settings.peers)))
    return 0


def cmd_peer_remove(args: argparse.Namespace) -> int:
    data = DataDir.at(args.data)
    url = _url(args.url)
    settings = data.settings()
    if url not in settings.peers:
        known = ", ".join(settings.peers) or _("none")
        raise CliError(_("%(url)s is not one of this node's peers (they are: %(known)s)", url=url, known=known))
    settings = data.remove_peer(url)
    left = ", ".join(settings.peers) or _("none")
    print(_("removed %(url)s; peers: %(peers)s (a running node drops it at its next start)", url=url, peers=left))
    return 0


def cmd_peer_list(args: argparse.Namespace) -> int:
    data = DataDir.at(args.data)
    peers = data.settings().peers
    health = _health(data)
    rows = [{"url": url, **health.get(url, {})} for url in peers]
    if args.json:
        print_json({"peers": rows})
        return 0
    if not rows:
        print(_("no peers (add one with: solnet peer add URL)"))
    for row in rows:
        since = row.get("seconds_since_success")
        state = row.get("state", _("not seen by a serving node yet"))
        if "state" not in row:
            last = ""
        elif since is None:
            last = "  " + _("last answer never")
        else:
            last = "  " + _("last answer %(seconds)s s ago", seconds=since)
        print(f"{row['url']}  {state}{last}")
    return 0


def _health(data: DataDir) -> dict[str, dict[str, Any]]:
    """Return what the serving node last wrote about each peer (node/federation), by URL; {} if nothing."""
    try:
        snapshot = json.loads((data.path / "peer-health.json").read_text())
        return {p["url"]: {k: v for k, v in p.items() if k != "url"} for p in snapshot.get("peers", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
