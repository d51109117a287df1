"""The `solnet` command: set up, run and use a node from the shell."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from events import EventError, Mode
from events.bundle import BadItem, BundleHead, BundleReader, write_bundle
from events.fork import ForkProof
from events.kinds import FAMILIES, PUBLISH_FAMILIES
from events.projection import CAMPAIGNS, PLEDGES, REPORTS

from . import queries
from .datadir import DataDir
from .errors import ConfigError, NodeError
from .service import NodeService, now_ms
from .store import open_store

DEFAULT_LISTEN = "127.0.0.1:8470"
IMPORT_BATCH = 2000
_CLI_DEFAULTS = {"callout.published": {"needs": "people"}}
"""Defaults that make the shortest commands work: a callout without --needs asks for people."""


class CliError(Exception):
    """A command failed in a way the user can fix; printed without a traceback."""


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def open_service(args: argparse.Namespace) -> NodeService:
    """Return the NodeService of the data dir in `args` (identity, settings, store)."""
    data = DataDir.at(args.data)
    settings = data.settings()
    identity = data.load_identity()
    url = getattr(args, "database", None) or settings.database_url
    store = open_store(data.path, url)
    return NodeService(store=store, identity=identity, settings=settings, data_dir=data)


def _with_service(args: argparse.Namespace, body: Callable[[NodeService], Any]) -> Any:
    async def main() -> Any:
        service = open_service(args)
        try:
            return await body(service)
        finally:
            await service.close()

    return asyncio.run(main())


# -- init / run / serve -------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    data = DataDir.at(args.data)
    passphrase = os.environ.get("SOLNET_PASSPHRASE", "").encode() or None
    identity, token = data.init(args.name, passphrase)
    if args.database:
        data.save(replace(data.settings(), database_url=args.database))
    _publish_profile(args, args.name)
    print(f"Created a node for {args.name!r} in {data.path}")
    print(f"group id:  {identity.group_id}")
    print(f"API token: {token}")
    print(f"           (also saved, readable only by you, in {data.token_file})")
    return 0


def _publish_profile(args: argparse.Namespace, name: str) -> None:
    """Publish the group's first profile, so peers see its name from the start."""

    async def body(service: NodeService) -> Any:
        return await service.publish("group.profile", {"name": name})

    _with_service(args, body)


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise CliError(f"--listen must be HOST:PORT, like {DEFAULT_LISTEN}; got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(args: argparse.Namespace, banner: Callable[[str], None] | None = None) -> int:
    """Run the node's HTTP server (API, peer endpoints, gossip, web page) until interrupted."""
    from .app import create_app, run_app
    from .extras import node_extras

    host, port = _parse_listen(args.listen)
    service = open_service(args)
    given = (p.rstrip("/") for p in getattr(args, "peer", None) or ())
    extra_peers = tuple(p for p in given if p not in service.settings.peers)
    if extra_peers:
        service.settings = replace(service.settings, peers=(*service.settings.peers, *extra_peers))
    app = create_app(service, extras=node_extras(service, args))

    def ready(url: str) -> None:
        print(f"solnet: {service.settings.name!r} ({service.group_id}) serving at {url}", flush=True)
        if banner:
            banner(url)

    try:
        asyncio.run(run_app(app, host, port, ready=ready))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise CliError(f"cannot listen on {args.listen}: {exc.strerror or exc}") from None
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return serve(args)


def cmd_run(args: argparse.Namespace) -> int:
    """Initialise the data dir if needed, then serve, saying where the page and the token are."""
    data = DataDir.at(args.data)
    if not data.exists():
        identity, _ = data.init(args.name)
        _publish_profile(args, args.name)
        print(f"solnet: created a node for {args.name!r} ({identity.group_id}) in {data.path}")

    def banner(url: str) -> None:
        print(f"solnet: open {url} in a browser; log in with the API token in {data.token_file}")
        print("solnet: press Ctrl+C to stop")

    return serve(args, banner)


# -- publish ------------------------------------------------------------------------------------------------


def cmd_publish(args: argparse.Namespace) -> int:
    family = args.family
    spec = next((s for s in FAMILIES[family] if s.action == args.action), None) if args.action else FAMILIES[family][0]
    if spec is None:
        raise CliError(f"{family} has no action {args.action!r}")
    fields: dict[str, Any] = {}
    allowed = {f.name for f in spec.fields}
    for name, value in vars(args).items():
        if not name.startswith("field_") or value is None:
            continue
        field = name[len("field_") :]
        if field not in allowed:
            raise CliError(f"{spec.kind} has no --{field.replace('_', '-')} (it takes: {', '.join(sorted(allowed))})")
        fields[field] = value
    for field, default in _CLI_DEFAULTS.get(spec.kind, {}).items():
        fields.setdefault(field, default)

    async def body(service: NodeService) -> Any:
        return await service.publish(spec.kind, fields)

    event = _with_service(args, body)
    if args.json:
        from .api import event_json

        _print_json(event_json(event))
    else:
        print(f"published {spec.kind} #{event.seq}: {event.id.hex()}")
    return 0


# -- reading ------------------------------------------------------------------------------------------------

_LISTS = {"campaigns": CAMPAIGNS, "pledges": PLEDGES, "reports": REPORTS}


def cmd_list(args: argparse.Namespace) -> int:
    async def body(service: NodeService) -> Any:
        if args.what == "callouts":
            return await service.query(
                queries.list_callouts,
                status=args.status,
                need=args.need,
                area=args.area,
                campaign=args.campaign,
                author=args.author,
            )
        if args.what == "groups":
            return await service.query(queries.list_groups, await service.astore.forked_authors(), await service.astore.counts())
        if args.what == "assemblies":
            return await service.query(queries.assemblies_json)
        return await service.query(queries.list_docs, _LISTS[args.what], author=args.author)

    items = _with_service(args, body)
    if args.json:
        _print_json(items)
        return 0
    if not items:
        print(f"no {args.what}")
    for item in items:
        print(_line(args.what, item))
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
    title = item.get("title") or item.get("name") or item.get("text", "")[:60]
    status = f"[{item['status']}] " if "status" in item else ""
    return f"{(item.get('id') or '-')[:12]}  {status}{title}"


def cmd_show(args: argparse.Namespace) -> int:
    from .api import event_json

    event_id = queries.parse_event_id(args.event_id, "EVENT_ID")

    async def body(service: NodeService) -> Any:
        return await service.astore.get(event_id)

    event = _with_service(args, body)
    if event is None:
        raise CliError(f"no event {args.event_id} in this node's store")
    shown = event_json(event)
    if args.json:
        _print_json(shown)
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


def cmd_status(args: argparse.Namespace) -> int:
    async def body(service: NodeService) -> Any:
        await service.refresh()
        info = await service.info()
        info["data_dir"] = str(service.data_dir.path) if service.data_dir else None
        info["peers_configured"] = list(service.settings.peers)
        info["peer_health"] = _peer_health(service)
        return info

    info = _with_service(args, body)
    if args.json:
        _print_json(info)
        return 0
    health = info.pop("peer_health")
    for key, value in info.items():
        print(f"{key:>18}: {value if not isinstance(value, (list, dict)) else json.dumps(value)}")
    if health:
        print(f"{'peer health':>18}: as the serving node saw it {health['seconds_old']} s ago")
        for peer in health["peers"]:
            since = peer.get("seconds_since_success")
            print(
                f"{'':>18}  {peer['url']}  {peer['state']}  failures {peer['failures']}"
                f"  points {peer['misbehaviour_points']}  last answer {'never' if since is None else f'{since} s ago'}"
            )
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    async def body(service: NodeService) -> Any:
        count = await service.rebuild()
        return count, await service.digest()

    count, digest = _with_service(args, body)
    print(f"rebuilt the read models from {count} event(s); state digest {digest}")
    return 0


# -- export / import ----------------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output)

    async def body(service: NodeService) -> int:
        def write() -> int:
            store = service.store
            events = (event for _, event in store.iter_notifications())
            count = 0
            tmp = out.with_name(out.name + ".partial")
            with open(tmp, "wb") as fh:
                for chunk in write_bundle(BundleHead(service.group_id, now_ms()), events, store.fork_proofs()):
                    fh.write(chunk)
                    count += 1
            os.replace(tmp, out)
            return count - 2

        return await service.astore.read(write)

    items = _with_service(args, body)
    print(f"wrote {items} item(s) to {out}")
    return 0


def _check_bundle(path: Path) -> list[str]:
    """Read the whole bundle once, in constant memory; return what is wrong with it (nothing: it may be imported)."""
    problems: list[str] = []
    try:
        for item in BundleReader(_file_chunks(path)):
            if isinstance(item, BadItem):
                problems.append(f"item {item.index}: {item.error}")
    except EventError as exc:
        problems.append(str(exc))
    return problems


def _file_chunks(path: Path):
    with open(path, "rb") as fh:
        while block := fh.read(1 << 16):
            yield block


def cmd_import(args: argparse.Namespace) -> int:
    """Import a bundle: refuse it whole if any byte of it is damaged, else store every valid event it holds."""
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    totals: dict[str, Any] = {"stored": 0, "duplicates": 0, "fork_proofs": 0, "rejected": 0, "problems": []}
    problems = _check_bundle(path)
    if problems:
        totals["problems"] = problems[:50]
        totals["refused"] = True
    else:

        async def body(service: NodeService) -> None:
            batch: list = []

            async def flush() -> None:
                result = await service.ingest(batch, Mode.FULL)
                totals["stored"] += len(result.stored)
                totals["duplicates"] += result.duplicates
                totals["fork_proofs"] += len(result.fork_proofs)
                totals["rejected"] += len(result.rejected)
                totals["problems"].extend(f"{r.event_id.hex()[:16]} seq {r.seq}: {r.message}" for r in result.rejected[:20])
                batch.clear()

            for item in BundleReader(_file_chunks(path)):
                if isinstance(item, ForkProof):
                    totals["fork_proofs"] += await service.astore.add_fork_proof(item)
                else:
                    batch.append(item)
                    if len(batch) >= IMPORT_BATCH:
                        await flush()
            if batch:
                await flush()
            await service.refresh()

        _with_service(args, body)
    if args.json:
        _print_json(totals)
    elif totals.get("refused"):
        print(f"refused {path}: the bundle is damaged, nothing was imported")
    else:
        print(
            f"imported {path}: {totals['stored']} stored, {totals['duplicates']} already held, "
            f"{totals['fork_proofs']} fork proof(s), {totals['rejected']} rejected"
        )
    for problem in totals["problems"]:
        print(f"  - {problem}", file=sys.stderr)
    return 1 if totals["rejected"] or totals.get("refused") else 0


# -- peers and passwords ------------------------------------------------------------------------------------


def cmd_peer_add(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise CliError(f"a peer is an http(s) URL like http://127.0.0.1:8471, not {args.url!r}")
    settings = DataDir.at(args.data).add_peer(url)
    print(f"peers: {', '.join(settings.peers)}")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    import getpass

    password = os.environ.get("SOLNET_PASSWORD") or getpass.getpass("New web password (8+ characters): ")
    DataDir.at(args.data).set_password(password)
    print("web password set")
    return 0


# -- the parser ---------------------------------------------------------------------------------------------


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="DIR", default=None, help="the node's data directory (default $SOLNET_DATA or ./solnet-data)"
    )


def _add_publish(sub: argparse._SubParsersAction) -> None:
    publish = sub.add_parser("publish", help="publish an event of your group", description="Publish an event of your group.")
    families = publish.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for family in PUBLISH_FAMILIES:
        specs = FAMILIES[family]
        p = families.add_parser(
            family,
            help=specs[0].summary,
            description="\n".join(f"{s.kind}: {s.summary}" for s in specs),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_common(p)
        p.add_argument("--json", action="store_true", help="print the signed event as JSON")
        actions = [s.action for s in specs]
        p.add_argument("action", nargs="?", choices=actions, default=None, help=f"what to publish (default {actions[0]})")
        seen: set[str] = set()
        for spec in specs:
            for field in spec.fields:
                if field.name in seen:
                    continue
                seen.add(field.name)
                flag = "--" + field.name.replace("_", "-")
                p.add_argument(flag, dest="field_" + field.name, metavar=field.type.name, help=field.help or None)
        p.set_defaults(func=cmd_publish)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `solnet`."""
    parser = argparse.ArgumentParser(prog="solnet", description="Run and use a Solidarity Network node.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create the group's identity, store and API token")
    _add_common(p)
    p.add_argument("--name", required=True, help="your group's name")
    p.add_argument("--database", metavar="URL", help="use PostgreSQL at this postgresql:// URL instead of SQLite")
    p.set_defaults(func=cmd_init)

    for name, func, text in (("serve", cmd_serve, "run the node"), ("run", cmd_run, "init if needed, then run the node")):
        p = sub.add_parser(name, help=text)
        _add_common(p)
        p.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help=f"default {DEFAULT_LISTEN}")
        p.add_argument("--peer", action="append", metavar="URL", help="a peer node to sync with (repeatable)")
        p.add_argument("--database", metavar="URL", help="PostgreSQL URL (default: SQLite in the data dir)")
        p.add_argument("--follow-only", action="store_true", help="replicate only groups you follow")
        if name == "run":
            p.add_argument("--name", default=os.environ.get("SOLNET_NAME", "My group"), help="group name if creating")
        p.set_defaults(func=func)

    _add_publish(sub)

    p = sub.add_parser("list", help="list what the node knows")
    _add_common(p)
    p.add_argument("what", choices=["callouts", "campaigns", "groups", "pledges", "reports", "assemblies"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", default="open", choices=queries.CALLOUT_STATUSES, help="callouts: which status")
    p.add_argument("--need", help="callouts: only those asking for this need")
    p.add_argument("--area", help="callouts: text in the place")
    p.add_argument("--campaign", help="callouts: campaign id")
    p.add_argument("--author", help="only this group's (sn_...)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="show one event")
    _add_common(p)
    p.add_argument("event_id", metavar="EVENT_ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("status", help="group id, event counts, state digest, peers")
    _add_common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("export", help="write the portable log bundle")
    _add_common(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="read a log bundle, verifying everything")
    _add_common(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("rebuild", help="rebuild the read models from the log")
    _add_common(p)
    p.set_defaults(func=cmd_rebuild)

    peer = sub.add_parser("peer", help="manage peers")
    peer_sub = peer.add_subparsers(dest="peer_command", required=True, metavar="ACTION")
    p = peer_sub.add_parser("add", help="add a peer URL")
    _add_common(p)
    p.add_argument("url")
    p.set_defaults(func=cmd_peer_add)

    p = sub.add_parser("passwd", help="set the password for the web page (or $SOLNET_PASSWORD)")
    _add_common(p)
    p.set_defaults(func=cmd_passwd)

    try:
        from .audit import cli as audit_cli
    except ImportError:  # pragma: no cover - the auditor is part of the package
        audit_cli = None
    if audit_cli is not None and hasattr(audit_cli, "add_arguments"):
        p = sub.add_parser("audit", help="verify and replay any node's history")
        audit_cli.add_arguments(p)
        p.set_defaults(func=audit_cli.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `solnet`; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CliError, ConfigError) as exc:
        print(f"solnet: error: {exc}", file=sys.stderr)
        return 2
    except (NodeError, EventError) as exc:
        print(f"solnet: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
