"""`solnet init`, `serve`, `run`, `peer add` and `passwd`: setting a node up and running it."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from events import Identity

from ..datadir import DEFAULT_TIME_ZONE, DataDir
from ..errors import RequestError
from ..i18n import shell_language
from ..own_head import ServingState
from ..private_keys import EncryptionKeys
from ..recovery import KIT_FILE, PASSPHRASE_ENV, new_kit, write_kit
from ..service import NodeService
from .common import CliError, open_service, with_service
from .invite import join, parse_code
from .words import _, ngettext

DEFAULT_LISTEN = "127.0.0.1:8470"


def cmd_init(args: argparse.Namespace) -> int:
    data = DataDir.at(args.data)
    kit_path = _kit_path(args, data)
    zone = _time_zone(getattr(args, "timezone", None))
    code = parse_code(args.join) if getattr(args, "join", None) else None  # a damaged code fails before anything is made
    public_url = (getattr(args, "public_url", None) or "").rstrip("/") or None
    passphrase = os.environ.get("SOLNET_PASSPHRASE", "").encode() or None
    identity, token = data.init(args.name, passphrase)
    if args.database or zone != DEFAULT_TIME_ZONE or public_url:
        settings = data.settings()
        data.save(replace(settings, database_url=args.database or settings.database_url, time_zone=zone, public_url=public_url))
    _create_log(args, data, identity, kit_path)
    print(_("Created a node for %(name)s in %(path)s", name=repr(args.name), path=data.path))
    print(_("group id:  %(id)s", id=identity.group_id))
    print(_("time zone: %(zone)s (times on the web page are shown and entered in it; change it on the settings page)", zone=zone))
    print(_("API token: %(token)s", token=token))
    print(_("           (also saved, readable only by you, in %(path)s)", path=data.token_file))
    if code is not None:
        return join(args, code, public_url, fresh_identity=True)
    return 0


def _time_zone(name: str | None) -> str:
    """Return the time zone `solnet init --timezone` names (default Europe/London); raise CliError if unknown."""
    if name is None:
        return DEFAULT_TIME_ZONE
    from ..web.form_words import error_words  # (the web package is loaded only when it is needed)
    from ..web.time_zones import check_time_zone

    try:
        return check_time_zone(name)
    except RequestError as exc:
        raise CliError(_("--timezone: %(error)s", error=error_words(exc.message, shell_language(os.environ)))) from None


def _kit_path(args: argparse.Namespace, data: DataDir) -> Path:
    path = Path(getattr(args, "recovery_kit", None) or data.path / KIT_FILE)
    if path.exists():
        raise CliError(_("%(path)s exists already: give --recovery-kit a new file", path=path))
    return path


def _create_log(args: argparse.Namespace, data: DataDir, identity: Identity, kit_path: Path) -> None:
    """Write the recovery kit, then sign the log's first events: the commitment to the kit's key, the profile."""
    kit = new_kit(identity.public_key, tuple(p.secret for p in EncryptionKeys(data).pairs()))
    write_kit(kit_path, kit, os.environ.get(PASSPHRASE_ENV, "").encode() or None)

    async def body(service: NodeService) -> Any:
        await service.commit_next_key(kit.commitment)
        if args.name:  # peers see the name from the start (else it comes from the set-up page)
            await service.publish("group.profile", {"name": args.name})

    with_service(args, body, fresh_identity=True)  # the key was generated just now: no other copy of its log exists
    print(_("recovery kit: %(path)s (the group's next key: print it or copy it offline, then delete it here)", path=kit_path))


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise CliError(_("--listen must be HOST:PORT, like %(listen)s; got %(text)s", listen=DEFAULT_LISTEN, text=repr(text)))
    return host.strip("[]") or "127.0.0.1", int(port)


def serve(args: argparse.Namespace, banner: Callable[[str], None] | None = None, *, fresh_identity: bool = False) -> int:
    """Run the node's HTTP server (API, peer endpoints, gossip, web page) until interrupted.

    It publishes only once a peer confirmed its own head (or the operator said it is the only copy).
    """
    from ..app import create_app, run_app
    from ..extras import node_extras

    host, port = _parse_listen(args.listen)
    service = open_service(args, fresh_identity=fresh_identity)
    if service.data_dir is not None:  # `solnet publish` meanwhile asks whether this node's head is confirmed
        ServingState(service.data_dir.path).hold(service.own_head)
    for url in getattr(args, "peer", None) or ():
        service.add_peer(url, persist=False)  # for this run only
    app = create_app(service, extras=node_extras(service, args))

    def ready(url: str) -> None:
        said = {"name": repr(service.settings.name), "id": service.group_id, "url": url}
        print(_("solnet: %(name)s (%(id)s) serving at %(url)s", **said), flush=True)
        if banner:
            banner(url)

    from aiohttp.web_runner import GracefulExit

    try:
        asyncio.run(run_app(app, host, port, ready=ready))
    except (KeyboardInterrupt, GracefulExit):  # Ctrl+C, or SIGTERM (aiohttp raises GracefulExit): a normal stop
        pass
    except OSError as exc:
        raise CliError(_("cannot listen on %(address)s: %(why)s", address=args.listen, why=exc.strerror or exc)) from None
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return serve(args)


def cmd_run(args: argparse.Namespace) -> int:
    """Initialise the data dir if needed, then serve; until the node has an admin, print a one-time set-up link."""
    data = DataDir.at(args.data)
    fresh = not data.exists()
    if fresh:
        kit_path = _kit_path(args, data)
        identity, _token = data.init(args.name)
        _create_log(args, data, identity, kit_path)
        print(_("solnet: created a node (%(id)s) in %(path)s", id=identity.group_id, path=data.path))
    setup = _setup_link(args, data)

    def banner(url: str) -> None:
        if setup:
            print(_("solnet: set the node up in a browser (this link works once, for 24 hours):"))
            print(f"\n    {_local(url)}setup/{setup}\n")
        else:
            print(_("solnet: open %(url)s in a browser and log in with your name and password", url=url))
        print(_("solnet: press Ctrl+C to stop"))

    return serve(args, banner, fresh_identity=fresh)


def _setup_link(args: argparse.Namespace, data: DataDir) -> str | None:
    """Return a fresh set-up link's secret while the node has no admin who can log in (earlier links stop working)."""
    from ..members import Accounts
    from ..store import open_store

    store = open_store(data.path, getattr(args, "database", None) or data.settings().database_url)
    try:
        return Accounts(store).setup_link()
    finally:
        store.close()


def _local(url: str) -> str:
    """Return the URL with a wildcard listen address replaced by loopback (the link is for this machine's browser)."""
    for wildcard in ("//0.0.0.0:", "//[::]:", "//:::"):
        url = url.replace(wildcard, "//127.0.0.1:")
    return url


def cmd_passwd(args: argparse.Namespace) -> int:
    import getpass

    from ..web import forget_all

    password = os.environ.get("SOLNET_PASSWORD") or getpass.getpass(_("New web password (8+ characters): "))
    data = DataDir.at(args.data)
    data.set_password(password)
    # Whoever logged in with the old password is logged out, at once even if the node is running.
    ended = forget_all(data.web_sessions_file)
    print(ngettext("web password set; %(n)s web session logged out", "web password set; %(n)s web sessions logged out", ended))
    return 0
