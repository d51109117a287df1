"""The `solnet` command: set up, run and use a node from the shell (the commands live in node/commands/)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from audit.cli import add_arguments as add_audit_arguments
from events import EventError
from events.kinds import FAMILIES, PUBLISH_FAMILIES, FieldSpec, FieldType, KindSpec

from . import queries
from .commands.audit import cmd_audit
from .commands.backup import cmd_backup
from .commands.bundles import cmd_export, cmd_import
from .commands.common import CliError, add_only_copy
from .commands.invite import add_invite_parsers
from .commands.keys import add_key_parser
from .commands.lifecycle import DEFAULT_LISTEN, cmd_init, cmd_passwd, cmd_run, cmd_serve
from .commands.members import add_member_parsers
from .commands.peers import cmd_peer_add, cmd_peer_list, cmd_peer_remove
from .commands.publish import cmd_publish, cmd_redact
from .commands.quarantine import add_quarantine_parser
from .commands.read import LISTS, cmd_list, cmd_rebuild, cmd_show, cmd_status
from .commands.words import _, argparse_words
from .errors import ConfigError, NodeError
from .i18n import N_, shell_language
from .paging import DEFAULT_LIMIT, MAX_LIMIT
from .web.form_words import error_words

ID_HELP = N_("an event id: the full 64 hex digits, or a unique prefix of at least 6 (as `solnet list` prints)")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="DIR", default=None, help=_("the node's data directory (default $SOLNET_DATA or ./solnet-data)")
    )


def field_help(field: FieldSpec) -> str | None:
    """Return a publish option's help: the field's own, with the choices or the time format it accepts."""
    own = _(field.help) if field.help else ""  # (the registry's words, in the catalogues as the forms show them)
    choices = ", ".join(field.choices)  # (typed as they are: not translated)
    if field.type is FieldType.CHOICE:
        return _("%(help)s; one of: %(choices)s", help=own, choices=choices) if own else _("one of: %(choices)s", choices=choices)
    if field.type is FieldType.CHOICES:
        if own:
            return _("%(help)s; comma-separated, any of: %(choices)s", help=own, choices=choices)
        return _("comma-separated, any of: %(choices)s", choices=choices)
    if field.type is FieldType.TIME:
        time = _("e.g. '2026-12-02 07:00' in the node's time zone, or ISO 8601 with an offset")
        return _("%(help)s; %(time)s", help=own, time=time) if own else time
    return own or None


def _add_publish(sub: argparse._SubParsersAction) -> None:
    publish = sub.add_parser(
        "publish", help=_("publish an event of your group"), description=_("Publish an event of your group.")
    )
    families = publish.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for family in PUBLISH_FAMILIES:
        specs = FAMILIES[family]
        p = families.add_parser(
            family,
            help=_(specs[0].summary.capitalize()),
            description="\n".join(f"{s.kind}: {_(s.summary.capitalize())}" for s in specs),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        actions = [s.action for s in specs]
        p.add_argument(
            "action", nargs="?", choices=actions, default=None, help=_("what to publish (default %(action)s)", action=actions[0])
        )
        _add_fields(p, specs)
        for spec in specs:  # `solnet publish assembly.updated ...` too: the kind's name, unlisted in the help
            k = families.add_parser(spec.kind, description=f"{spec.kind}: {_(spec.summary.capitalize())}")
            _add_fields(k, (spec,))
            k.set_defaults(family=family, action=spec.action)


def _add_fields(p: argparse.ArgumentParser, specs: Sequence[KindSpec]) -> None:
    """Add the common options and one --flag per field of `specs` (a name once) to a publish parser."""
    _add_common(p)
    p.add_argument("--json", action="store_true", help=_("print the signed event as JSON"))
    if specs[0].family in ("callout", "pledge", "comment"):  # the kinds a private event carries (docs/KINDS.md)
        p.add_argument(
            "--private-to",
            action="append",
            metavar="GROUP",
            help=_("publish it sealed, readable by this group (sn_…, repeatable; 'followed': the groups we follow) and ours"),
        )
    add_only_copy(p)
    seen: set[str] = set()
    for spec in specs:
        for field in spec.fields:
            if field.name in seen:
                continue
            seen.add(field.name)
            flag = "--" + field.name.replace("_", "-")
            p.add_argument(flag, dest="field_" + field.name, metavar=field.type.name, help=field_help(field))
    p.set_defaults(func=cmd_publish)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        shown = f"{text!r:.20}"
        raise argparse.ArgumentTypeError(_("must be a number of seconds from 0 to 3600, not %(text)s", text=shown))
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `solnet`."""
    parser = argparse.ArgumentParser(prog="solnet", description=_("Run and use a Solidarity Network node."))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help=_("create the group's identity, store and API token"))
    _add_common(p)
    p.add_argument("--name", required=True, help=_("your group's name"))
    p.add_argument("--database", metavar="URL", help=_("use PostgreSQL at this postgresql:// URL instead of SQLite"))
    p.add_argument(
        "--timezone",
        metavar="ZONE",
        help=_("the IANA time zone the web page shows and reads times in (default Europe/London)"),
    )
    p.add_argument(
        "--recovery-kit",
        metavar="FILE",
        help=_(
            "where to write the recovery kit, the group's next key (default DIR/recovery-kit.txt; keep it offline; "
            "encrypted with $SOLNET_RECOVERY_PASSPHRASE if set)"
        ),
    )
    p.add_argument("--join", metavar="CODE", help=_("join the network with an invitation code from another group's node"))
    p.add_argument("--public-url", metavar="URL", help=_("where other nodes reach this node (none: it is behind NAT)"))
    p.set_defaults(func=cmd_init)
    add_invite_parsers(sub, _add_common)

    for name, func, text in (("serve", cmd_serve, N_("run the node")), ("run", cmd_run, N_("init if needed, then run the node"))):
        p = sub.add_parser(name, help=_(text))
        _add_common(p)
        p.add_argument(
            "--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help=_("default %(listen)s", listen=DEFAULT_LISTEN)
        )
        p.add_argument("--peer", action="append", metavar="URL", help=_("a peer node to sync with (repeatable)"))
        p.add_argument("--database", metavar="URL", help=_("PostgreSQL URL (default: SQLite in the data dir)"))
        p.add_argument("--follow-only", action="store_true", help=_("replicate only groups you follow"))
        p.add_argument(
            "--open-relay", action="store_true", help=_("take new groups from anyone, within quotas (docs/OPERATIONS.md)")
        )
        add_only_copy(p)
        p.add_argument(
            "--read-timeout",
            type=_seconds,
            default=os.environ.get("SOLNET_READ_TIMEOUT", "5"),  # argparse applies `type` to a string default
            metavar="SECONDS",
            help=_(
                "stop a read (page, API list, sync) after this long and answer 503 read_timeout; 0: no limit "
                "(default $SOLNET_READ_TIMEOUT or 5)"
            ),
        )
        if name == "run":
            p.add_argument(
                "--name",
                default=os.environ.get("SOLNET_NAME"),
                help=_("group name if creating (default: asked on the set-up page, whose link is printed)"),
            )
        p.set_defaults(func=func)

    _add_publish(sub)

    p = sub.add_parser("redact", help=_("ask every node to drop the payload of one of your group's events"))
    _add_common(p)
    p.add_argument("event_id", metavar="EVENT_ID", help=_(ID_HELP))
    p.add_argument("--reason", help=_("why (kept in the redaction event, visible to everyone)"))
    add_only_copy(p)
    p.set_defaults(func=cmd_redact)

    p = sub.add_parser("list", help=_("list what the node knows"), description=_("List one collection, a page at a time."))
    _add_common(p)
    p.add_argument("what", choices=LISTS, help=_("which collection"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", default="open", choices=queries.CALLOUT_STATUSES, help=_("callouts: which status"))
    p.add_argument("--need", help=_("callouts: only those asking for this need"))
    p.add_argument("--area", help=_("callouts: text in the place"))
    p.add_argument("--campaign", help=_("callouts: campaign id"))
    p.add_argument("--author", help=_("only this group's (sn_...)"))
    p.add_argument("--lang", help=_("only posts that say they are written in this language (a tag such as pl or pt-BR)"))
    p.add_argument("--on", metavar="EVENT_ID", help=_("comments: the thread on this item, newest activity first"))
    p.add_argument(
        "--limit",
        type=int,
        help=_("at most this many (default %(default)s, at most %(max)s)", default=DEFAULT_LIMIT, max=MAX_LIMIT),
    )
    p.add_argument("--cursor", help=_("start after the page that printed this cursor"))
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help=_("show one event"))
    _add_common(p)
    p.add_argument("event_id", metavar="EVENT_ID", help=_(ID_HELP))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("status", help=_("group id, event counts, state digest, peers"))
    _add_common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("export", help=_("write the portable log bundle"))
    _add_common(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("backup", help=_("copy the node's data dir consistently, even while it runs"))
    _add_common(p)
    p.add_argument("dest", metavar="DEST", help=_("a new (or empty) directory: it becomes a data dir to restore from"))
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("import", help=_("read a log bundle, verifying everything"))
    _add_common(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--full", action="store_true", help=_("check every event's own signature (default: head-only, as sync does)"))
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("rebuild", help=_("rebuild the read models from the log"))
    _add_common(p)
    p.set_defaults(func=cmd_rebuild)

    peer = sub.add_parser("peer", help=_("manage peers"))
    peer_sub = peer.add_subparsers(dest="peer_command", required=True, metavar="ACTION")
    p = peer_sub.add_parser("add", help=_("add a peer URL"))
    _add_common(p)
    p.add_argument("url")
    p.set_defaults(func=cmd_peer_add)
    p = peer_sub.add_parser("list", help=_("the peers this node syncs with, and their health if it is serving"))
    _add_common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_peer_list)
    p = peer_sub.add_parser("remove", help=_("forget a peer URL"))
    _add_common(p)
    p.add_argument("url")
    p.set_defaults(func=cmd_peer_remove)

    add_quarantine_parser(sub, f"http://{DEFAULT_LISTEN}")

    p = sub.add_parser("passwd", help=_("set the password for the web page (or $SOLNET_PASSWORD)"))
    _add_common(p)
    p.set_defaults(func=cmd_passwd)

    add_member_parsers(sub, _add_common)
    add_key_parser(sub, _add_common)

    p = sub.add_parser(
        "audit",
        help=_("verify and replay any node's history"),
        description=_(
            "Verify every signature and link of a log, replay it into fresh read models and print the state "
            "digest, forks, gaps and refused events (docs/AUDIT.md). SOURCE is an export bundle file (`solnet export`), "
            "a node's data dir (read in place, even while it serves) or a running node's URL (fetched over the peer "
            "protocol; its /api/v1/digest is compared with the replay)."
        ),
        epilog=_("Exit status: 0 clean, 1 violations found (the report says which), 2 the source could not be read."),
    )
    add_audit_arguments(p, _)
    p.set_defaults(func=cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `solnet`; returns the exit code."""
    with argparse_words():  # (argparse's usage:, headings and errors in the shell's language)
        parser = build_parser()
        args = parser.parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # (inside the try: a closed pipe shows here, not as a traceback at exit)
        return code
    except BrokenPipeError:
        # `solnet status | head`: the reader left; say nothing more, and exit as a program killed by SIGPIPE would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except CliError as exc:
        print(_("solnet: error: %(error)s", error=exc), file=sys.stderr)
        return 2
    except ConfigError as exc:
        words = error_words(exc.message, shell_language(os.environ))
        print(_("solnet: error: %(error)s", error=exc if words == exc.message else words), file=sys.stderr)
        return 2
    except (NodeError, EventError) as exc:  # (the node's refusals in the shell's language, as the page says them)
        words = error_words(exc.message, shell_language(os.environ))
        print(_("solnet: error: %(error)s", error=exc if words == exc.message else words), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
