"""`solnet key rotate` and `solnet key recover`: moving the group's log to the key in its recovery kit."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..datadir import DataDir
from ..errors import ConfigError
from ..i18n import N_
from ..private_keys import EncryptionKeys
from ..recovery import KIT_FILE, PASSPHRASE_ENV, read_kit
from ..rotation import rotate_with_kit
from ..service import NodeService
from .common import CliError, add_only_copy, confirm_own_head, with_service
from .words import _


def _passphrase() -> bytes | None:
    return os.environ.get(PASSPHRASE_ENV, "").encode() or None


def _load_kit(path: str) -> Any:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise CliError(_("cannot read the recovery kit %(path)s: %(error)s", path=path, error=exc.strerror or exc)) from None
    return read_kit(text, _passphrase())


def _new_kit_path(args: argparse.Namespace, data: DataDir) -> Path:
    if args.new_kit:
        path = Path(args.new_kit)
    else:
        n = 2
        while (path := data.path / f"recovery-kit-{n}.txt").exists():
            n += 1
    if path.exists():
        raise CliError(_("%(path)s exists already: give --new-kit a new file", path=path))
    return path


def _rotate(args: argparse.Namespace, data: DataDir) -> int:
    kit = _load_kit(args.kit)
    new_path = _new_kit_path(args, data)

    async def body(service: NodeService) -> Any:
        await confirm_own_head(service)
        return await rotate_with_kit(service, kit, new_path, _passphrase(), after=args.after)

    event, _fresh = with_service(args, body)
    print(_("rotated the group's log at seq %(seq)s to the recovery kit's key: %(id)s", seq=event.seq, id=event.id.hex()))
    print(_("new recovery kit: %(path)s (the next key: print it or copy it offline, then delete it here;", path=new_path))
    print(_("the old kit is spent: destroy it)"))
    return 0


def cmd_key_rotate(args: argparse.Namespace) -> int:
    return _rotate(args, DataDir.at(args.data))


def cmd_key_recover(args: argparse.Namespace) -> int:
    """On a fresh data dir: become the kit's group with the kit's key, catch up on its log, rotate."""
    data = DataDir.at(args.data)
    kit = _load_kit(args.kit)
    if data.exists():
        raise CliError(_("%(path)s already holds a node: recover into a new --data directory", path=data.path))
    if not args.peer and not args.only_copy:
        raise CliError(_("give --peer URL (a node that holds the group's log), or --i-am-the-only-copy"))
    identity, token = data.init(args.name, identity=kit.next_key.rotated(kit.group))
    EncryptionKeys(data).restore(kit.encryption)  # private events sent to the group open here again
    settings = replace(data.settings(), peers=tuple(args.peer or ()))
    if args.database:
        settings = replace(settings, database_url=args.database)
    data.save(settings)
    said = {"group": identity.group_id, "path": data.path, "token": token, "file": data.token_file}
    print(_("Recovering %(group)s in %(path)s (API token: %(token)s, also in %(file)s)", **said))
    try:
        return _rotate(args, data)
    except ConfigError as exc:
        said = {"error": exc, "path": data.path}
        raise CliError(
            _("%(error)s (the data dir %(path)s is kept: run `solnet key rotate --kit` there to finish)", **said)
        ) from None


def cmd_key_encryption(args: argparse.Namespace) -> int:
    """Publish the group's encryption key (`key.encryption`), or with --rotate a new one (docs/KINDS.md, "Private events")."""

    async def body(service: NodeService) -> Any:
        await confirm_own_head(service)
        return await (service.rotate_encryption_key() if args.rotate else service.ensure_encryption_key())

    event = with_service(args, body)
    if event is None:
        print(_("the group's current encryption key is published already"))
    else:
        print(_("published the group's encryption key at seq %(seq)s: %(id)s", seq=event.seq, id=event.id.hex()))
    return 0


def add_key_parser(sub: argparse._SubParsersAction, add_common: Any) -> None:
    """Add `solnet key rotate` and `solnet key recover`."""
    key = sub.add_parser("key", help=_("rotate the group's key with its recovery kit"))
    key_sub = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("rotate", cmd_key_rotate, N_("rotate to the key in the recovery kit and write a new kit")),
        ("recover", cmd_key_recover, N_("on a new machine: take the group's log over from peers with the kit, rotate away")),
    ):
        p = key_sub.add_parser(name, help=_(text), description=_(text))
        add_common(p)
        if name == "rotate":
            p.add_argument("--kit", required=True, metavar="FILE", help=_("the recovery kit (e.g. %(file)s)", file=KIT_FILE))
        else:
            p.add_argument("kit", metavar="KIT", help=_("the recovery kit file (or the recovery words with their group line)"))
            p.add_argument("--peer", action="append", metavar="URL", help=_("a node holding the group's log (repeatable)"))
            p.add_argument("--name", default="Recovered group", help=_("the group's name on this node (settings only)"))
            p.add_argument("--database", metavar="URL", help=_("PostgreSQL URL (default: SQLite in the data dir)"))
        p.add_argument(
            "--after",
            type=int,
            metavar="SEQ",
            help=_(
                "rotate right after this seq of the log, superseding every event above it (a thief's: the group "
                "vouches for the log up to SEQ only); default: after the head"
            ),
        )
        p.add_argument("--new-kit", metavar="FILE", help=_("where to write the new kit (default DIR/recovery-kit-N.txt)"))
        add_only_copy(p)
        p.set_defaults(func=func)
    text = _("publish the group's encryption key, so other groups can send it private callouts")
    p = key_sub.add_parser("encryption", help=text, description=text)
    add_common(p)
    p.add_argument("--rotate", action="store_true", help=_("make a new key (older ones still open older events)"))
    add_only_copy(p)
    p.set_defaults(func=cmd_key_encryption)
