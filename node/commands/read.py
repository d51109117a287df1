"""`solnet list`, `show`, `status` and `rebuild`: what the node holds."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from events.kinds import COLLECTION_SPECS

from .. import queries
from ..assembly_queries import assemblies_json
from ..i18n import N_
from ..own_head import ServingState
from ..paging import Page, page_request
from ..service import NodeService
from ..thread_queries import get_thread
from .common import CliError, print_json, with_service
from .ids import resolve_event_id
from .words import _

LISTS = tuple(COLLECTION_SPECS)
"""What `solnet list` lists: every read-model collection of the kind registry."""


def cmd_list(args: argparse.Namespace) -> int:
    request = page_request(str(args.limit) if args.limit else None, args.cursor)

    async def body(service: NodeService) -> Page:
        if args.what == "callouts":
            return await service.query(
                queries.list_callouts,
                request,
                status=args.status,
                need=args.need,
                area=args.area,
                campaign=args.campaign,
                author=args.author,
                lang=args.lang,
            )
        if args.what == "groups":
            return await service.groups(request)
        if args.what == "assemblies":
            return await service.query(assemblies_json, request)
        if args.what == "comments" and args.on:
            item = (await resolve_event_id(service, args.on, "--on")).hex()
            return await service.query(get_thread, item, request)
        return await service.query(queries.list_docs, args.what, request, author=args.author, lang=args.lang)

    found = with_service(args, body)
    if args.json:
        print_json({args.what: found.items, "next": found.next})
        return 0
    if not found.items:
        print(_("no %(what)s", what=args.what))
    for item in found.items:
        print(_line(args.what, item))
    if found.next:
        following = f"solnet list {args.what} --cursor {found.next}"
        print(_("more: %(command)s", command=following))
    return 0


def _line(what: str, item: dict[str, Any]) -> str:
    if what == "callouts":
        needs = ",".join(item.get("needs", []))
        totals = item.get("totals", {})
        return (
            f"{item['id'][:12]}  [{item.get('status')}/{item.get('urgency')}] {item.get('title')}  needs: {needs}"
            f"  pledges: {totals.get('pledges', 0)}  by {item.get('author_name') or item['author'][:14]}"
        )
    if what == "groups":
        flag = "  FORKED" if item.get("forked") else ""
        return f"{item['group_id']}  {item.get('name') or '(no profile yet)'}  events: {item.get('events')}{flag}"
    if what == "pledges":
        callout = item.get("callout", "")[:12]
        return f"{item['id'][:12]}  [{item.get('status')}] {item.get('need')}: {item.get('offer')}  for {callout}"
    if what == "positions":
        return f"{item.get('id', '-')[:12]}  [{item.get('position')}] on {item.get('proposal', '')[:12]}  by {_by(item)}"
    if what == "comments":
        reply = f" (re {item['reply_to']['author_name'] or item['reply_to']['id'][:12]})" if item.get("reply_to") else ""
        text = "(withdrawn)" if item.get("status") == "withdrawn" else item.get("text", "")[:60]
        return f"{item['id'][:12]}  {_by(item)}{reply}: {text}"
    if what == "follows":
        return f"{_by(item)} follows {item.get('group_name') or item.get('group')}"
    title = item.get("title") or item.get("name") or item.get("text", "")[:60]
    status = f"[{item['status']}] " if "status" in item else ""
    return f"{(item.get('id') or '-')[:12]}  {status}{title}"


def _by(item: dict[str, Any]) -> str:
    return item.get("author_name") or str(item.get("author", ""))[:14]


def cmd_show(args: argparse.Namespace) -> int:
    from ..api import event_json

    async def body(service: NodeService) -> Any:
        return await service.event(await resolve_event_id(service, args.event_id))

    event = with_service(args, body)
    if event is None:
        raise CliError(_("no event %(id)s in this node's store", id=args.event_id))
    shown = event_json(event)
    if args.json:
        print_json(shown)
    else:
        for key in ("id", "author", "seq", "kind", "timestamp", "prev", "payload_dropped"):
            print(f"{key:>15}: {shown[key]}")
        print(f"{'payload':>15}: {json.dumps(shown['payload'], ensure_ascii=False, indent=2)}")
    return 0


def _peer_health(service: NodeService) -> dict[str, Any] | None:
    """Return the peer health the serving node last wrote (node/federation), with its age; None if never served."""
    path = service.data_dir.path / "peer-health.json" if service.data_dir else None
    if path is None or not path.exists():
        return None
    try:
        snapshot = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    age = round(time.time() - snapshot.get("written_at", 0), 1)
    return {"seconds_old": age, "peers": snapshot.get("peers", []), "sync": snapshot.get("sync", {})}


NOT_SERVED = N_("no node serves this data dir now")
STATUS_LABELS = {
    "group_id": N_("group id"),
    "name": N_("name"),
    "version": N_("version"),
    "events": N_("events"),
    "own_events": N_("own events"),
    "groups": N_("groups"),
    "forked_groups": N_("forked groups"),
    "forked_group_count": N_("forked group count"),
    "rotated_after_fork_groups": N_("rotated after a fork"),
    "fork_proofs": N_("fork proofs"),
    "state_digest": N_("state digest"),
    "state_digest_version": N_("state digest version"),
    "backend": N_("backend"),
    "own_head": N_("own head"),
    "data_dir": N_("data dir"),
    "peers_configured": N_("peers configured"),
}
"""`solnet status`'s labels in the shell's language, by the field of its --json output (whose names stay)."""


def cmd_status(args: argparse.Namespace) -> int:
    async def body(service: NodeService) -> Any:
        await service.refresh()
        info = await service.info()
        info["data_dir"] = str(service.data_dir.path) if service.data_dir else None
        info["peers_configured"] = list(service.settings.peers)
        info["peer_health"] = _peer_health(service)
        # This process's own head says nothing about the serving node's: show the serving node's, if one runs.
        serving = ServingState(service.data_dir.path).serving_state() if service.data_dir else None
        info["own_head"] = serving or {"confirmed": None, "note": NOT_SERVED}
        return info

    info = with_service(args, body)
    if args.json:
        print_json(info)
        return 0
    health = info.pop("peer_health")
    if info["own_head"].get("note") == NOT_SERVED:
        info["own_head"] = _(NOT_SERVED)
    labels = {key: _(STATUS_LABELS[key]) if key in STATUS_LABELS else key for key in info}
    width = max(len(label) for label in [*labels.values(), _("peer health")])
    for key, value in info.items():
        print(f"{labels[key]:>{width}}: {value if not isinstance(value, (list, dict)) else json.dumps(value)}")
    if health:
        seen = _("as the serving node saw it %(n)s s ago", n=health["seconds_old"])
        print(f"{_('peer health'):>{width}}: {seen}")
        for peer in health["peers"]:
            since = peer.get("seconds_since_success")
            values = {"failures": peer["failures"], "points": peer["misbehaviour_points"], "since": since}
            facts = _("failures %(failures)s  points %(points)s  last answer %(since)s s ago", **values)
            if since is None:
                facts = _("failures %(failures)s  points %(points)s  last answer never", **values)
            print(f"{'':>{width}}  {peer['url']}  {peer['state']}  {facts}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    async def body(service: NodeService) -> Any:
        count = await service.rebuild()
        return count, await service.digest()

    count, digest = with_service(args, body)
    print(_("rebuilt the read models from %(n)s event(s); state digest (version 2) %(digest)s", n=count, digest=digest))
    return 0
