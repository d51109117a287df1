"""`solnet publish FAMILY [ACTION] --field value …`: sign and store an event of the group."""

from __future__ import annotations

import argparse
import os
from typing import Any

from events import Event, parse_group_id
from events.errors import EventError
from events.kinds import FAMILIES, FieldType

from ..errors import RequestError
from ..i18n import shell_language
from ..private_events import FOLLOWED
from ..service import NodeService
from ..web.form_words import error_words
from ..web.local_time import is_local_input, parse_local, zone_of
from .common import CliError, confirm_own_head, print_json, with_service
from .ids import resolve_event_id
from .members import cli_principal
from .words import _

_CLI_DEFAULTS = {"callout.published": {"needs": "people"}}
"""Defaults that make the shortest commands work: a callout without --needs asks for people."""


def cmd_publish(args: argparse.Namespace) -> int:
    family = args.family
    spec = next((s for s in FAMILIES[family] if s.action == args.action), None) if args.action else FAMILIES[family][0]
    if spec is None:
        raise CliError(_("%(family)s has no action %(action)s", family=family, action=repr(args.action)))
    fields: dict[str, Any] = {}
    allowed = {f.name for f in spec.fields}
    for name, value in vars(args).items():
        if not name.startswith("field_") or value is None:
            continue
        field = name[len("field_") :]
        if field not in allowed:
            flag, takes = "--" + field.replace("_", "-"), ", ".join(sorted(allowed))
            raise CliError(_("%(kind)s has no %(flag)s (it takes: %(fields)s)", kind=spec.kind, flag=flag, fields=takes))
        fields[field] = value
    for field, default in _CLI_DEFAULTS.get(spec.kind, {}).items():
        fields.setdefault(field, default)

    id_fields = [f.name for f in spec.fields if f.type is FieldType.ID and isinstance(fields.get(f.name), str)]

    async def body(service: NodeService) -> Any:
        for name in id_fields:  # --callout 3f2a9c… : a unique prefix, as `solnet list` prints it
            fields[name] = (await resolve_event_id(service, fields[name], "--" + name.replace("_", "-"))).hex()
        zone = zone_of(service.settings.time_zone)
        for f in spec.fields:  # "2026-12-02 07:00" is a wall-clock time in the node's zone, as on the web page
            raw = fields.get(f.name)
            if f.type is FieldType.TIME and isinstance(raw, str) and is_local_input(raw):
                flag = "--" + f.name.replace("_", "-")
                try:
                    fields[f.name] = parse_local(raw, zone, field=f.name).isoformat()
                except RequestError as exc:
                    said = error_words(exc.message.removeprefix(f.name + ": "), shell_language(os.environ))
                    raise CliError(_("%(flag)s: %(error)s", flag=flag, error=said)) from None
        await confirm_own_head(service)
        private_to = getattr(args, "private_to", None)
        if private_to:
            made = await service.publish_private(spec.kind, fields, _recipients(private_to))
        else:
            made = await service.publish(spec.kind, fields)
        return await _recorded(service, made)

    event = with_service(args, body)
    if args.json:
        from ..api import event_json

        print_json(event_json(event))
    elif event.kind != spec.kind:  # sealed: only the recipients read what it is
        said = {"kind": spec.kind, "seq": event.seq, "id": event.id.hex()}
        print(_("published %(kind)s privately, as sealed event #%(seq)s: %(id)s", **said))
    else:
        print(_("published %(kind)s #%(seq)s: %(id)s", kind=spec.kind, seq=event.seq, id=event.id.hex()))
    return 0


def _recipients(given: list[str]) -> list[bytes] | str:
    if given == [FOLLOWED]:
        return FOLLOWED
    try:
        return [parse_group_id(g) for g in given]
    except EventError as exc:
        said = {"error": exc.message, "followed": FOLLOWED}
        raise CliError(_("--private-to: %(error)s (a group id sn_…, or '%(followed)s' alone)", **said)) from None


def cmd_redact(args: argparse.Namespace) -> int:
    """Publish a `log.redact` for one of the group's own events: every node drops its payload, the header stays."""
    fields = {"event": args.event_id, "reason": args.reason}

    async def body(service: NodeService) -> Any:
        fields["event"] = (await resolve_event_id(service, args.event_id)).hex()
        await confirm_own_head(service)
        return await _recorded(service, await service.publish("log.redact", fields))

    event = with_service(args, body)
    said = {"seq": event.seq, "id": event.id.hex(), "event": fields["event"]}
    print(_("published log.redact #%(seq)s: %(id)s; the payload of %(event)s is dropped", **said))
    return 0


async def _recorded(service: NodeService, event: Event) -> Event:
    """Write down (node-local) that the event was made from the shell, by the machine's user; return the event."""
    from ..members import Accounts

    accounts = Accounts(service.store)
    await accounts.call(accounts.record, event.id, event.kind, cli_principal())
    return event
