"""Pages reached by a one-time link: the node's set-up (first admin, group name and profile, time zone) and
invitations and password resets (the person chooses a password and is logged in)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from aiohttp import web

from events.errors import PayloadError
from events.kinds import build_payload
from protocol import ProtocolError
from protocol.invitation import InvitationCode

from .. import queries
from ..api import SERVICE
from ..errors import LinkError, NodeError, RequestError
from ..federation.joining import join_with_code
from ..federation.routes import FEDERATION
from ..members import ACCOUNTS, Purpose
from ..members.roles import check_name, check_password
from .actions import log_in_as, read_post
from .forms import field_message
from .render import N_, SESSIONS, html_errors, page
from .time_zones import check_time_zone

routes = web.RouteTableDef()
PROFILE_FIELDS = ("name", "area", "description")
"""The profile fields the set-up page asks for (the rest can be filled in later, under Publish)."""


async def _link(request: web.Request, purpose: Purpose | None) -> tuple[str, Any]:
    """Return the link's secret and member if the link can be followed for `purpose` (None: invite or reset)."""
    secret = request.match_info["link"]
    accounts = request.app[ACCOUNTS]
    link, member = await accounts.call(accounts.peek_link, secret)
    wanted = (purpose,) if purpose else (Purpose.INVITE, Purpose.RESET)
    if link.purpose not in wanted:
        raise LinkError("this link is not for this page", field="link")
    return secret, member


def _form_page(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    session, new = request.app[SESSIONS].ensure(request)  # an anonymous session holds the form's CSRF token
    return page(request, template, context, status=status, session=session, new_cookie=new)


# -- set-up -------------------------------------------------------------------------------------------------


async def _setup_values(request: web.Request) -> dict[str, str]:
    service = request.app[SERVICE]
    profile = await service.query(queries.group_profile, service.identity.public_key)
    values = {f"group_{k}": str(profile.get(k) or "") for k in PROFILE_FIELDS}
    values["group_name"] = values["group_name"] or service.credentials().name
    return {**values, "time_zone": service.credentials().time_zone, "admin_name": "", "join_code": ""}


@routes.get("/setup/{link}")
@html_errors
async def setup_page(request: web.Request) -> web.Response:
    """The set-up form: the group's name and profile, the node's time zone, the first admin's name and password."""
    await _link(request, Purpose.SETUP)
    context = {
        "values": await _setup_values(request),
        "errors": {},
        "zones": sorted(available_timezones()),
        "title": N_("Set up"),
    }
    return _form_page(request, "setup.html", context)


def _check_setup(posted: Any) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """Return (values as typed, errors by field, the profile's fields) for a posted set-up form; nothing is stored."""
    values = {
        k: str(posted.get(k, "")).strip()
        for k in ("group_name", "group_area", "group_description", "time_zone", "admin_name", "join_code")
    }
    errors: dict[str, str] = {}
    profile = {k: values[f"group_{k}"] for k in PROFILE_FIELDS if values[f"group_{k}"]}
    try:
        build_payload("group.profile", profile)
    except PayloadError as exc:
        errors[f"group_{exc.field}" if exc.field in PROFILE_FIELDS else "group_name"] = field_message(exc.message, exc.field)
    checks = (
        ("time_zone", lambda: check_time_zone(values["time_zone"])),
        ("admin_name", lambda: check_name(values["admin_name"])),
        ("password", lambda: check_password(posted.get("password"))),
    )
    for name, check in checks:
        try:
            check()
        except RequestError as exc:
            errors[name] = field_message(exc.message, exc.field)
    if not errors.get("password") and posted.get("password") != posted.get("password_again"):
        errors["password_again"] = "The two passwords are not the same."
    if values["join_code"]:
        try:
            InvitationCode.parse(values["join_code"])
        except ProtocolError as exc:
            errors["join_code"] = exc.message
    return values, errors, profile


async def _join(request: web.Request, text: str) -> str | None:
    """Redeem the invitation code given on the set-up page; return why it failed, or None (nothing to do, or done)."""
    federation = request.app.get(FEDERATION)
    if not text:
        return None
    if federation is None:
        return "this node is not federating: join with `solnet join CODE` once it serves"
    try:
        await join_with_code(federation, InvitationCode.parse(text))
    except (ProtocolError, NodeError) as exc:
        return f"Joining failed: {exc.message}"
    return None


@routes.post("/setup/{link}")
@html_errors
async def setup(request: web.Request) -> web.StreamResponse:
    """Set the node up: the first admin (logged in at once), the group's profile if it changed, the time zone."""
    secret, _ = await _link(request, Purpose.SETUP)
    session, posted = await read_post(request, login=False)
    values, errors, profile = _check_setup(posted)
    if not errors and (problem := await _join(request, values["join_code"])):
        errors["join_code"] = problem  # (checked first: a refused code leaves the node as it was)
    if errors:
        context = {"values": values, "errors": errors, "zones": sorted(available_timezones()), "title": N_("Set up")}
        return _form_page(request, "setup.html", context, status=422)
    service, accounts = request.app[SERVICE], request.app[ACCOUNTS]
    admin = await accounts.call(accounts.complete_setup, secret, values["admin_name"], str(posted.get("password")))
    service.update_settings(time_zone=values["time_zone"])
    current = await service.query(queries.group_profile, service.identity.public_key)
    if any(str(current.get(k) or "") != profile.get(k, "") for k in PROFILE_FIELDS):
        try:
            event = await service.publish("group.profile", {**{k: v for k, v in current.items() if k == "contact"}, **profile})
        except NodeError:  # (the admin exists now: they can publish the profile from the page once the node may)
            return log_in_as(request, session, admin.id, "/publish/group.profile")
        principal_admin = await accounts.call(accounts.session_principal, admin.id)
        if principal_admin is not None:
            await accounts.call(accounts.record, event.id, event.kind, principal_admin)
    return log_in_as(request, session, admin.id, "/members")


# -- invitations and password resets ---------------------------------------------------------------------------


@routes.get("/invite/{link}")
@html_errors
async def invite_page(request: web.Request) -> web.Response:
    """Choose a password (after an invitation, or to replace a forgotten one)."""
    _, member = await _link(request, None)
    return _form_page(request, "invite.html", {"member": member, "errors": {}, "title": N_("Choose a password")})


@routes.post("/invite/{link}")
@html_errors
async def accept(request: web.Request) -> web.StreamResponse:
    """Set the member's password, use the link up, and log them in."""
    secret, member = await _link(request, None)
    session, posted = await read_post(request, login=False)
    errors: dict[str, str] = {}
    try:
        check_password(posted.get("password"))
    except RequestError as exc:
        errors["password"] = field_message(exc.message, exc.field)
    if not errors and posted.get("password") != posted.get("password_again"):
        errors["password_again"] = "The two passwords are not the same."
    if errors:
        return _form_page(request, "invite.html", {"member": member, "errors": errors, "title": N_("Choose a password")}, 422)
    accounts = request.app[ACCOUNTS]
    member = await accounts.call(accounts.accept, secret, str(posted.get("password")))
    return log_in_as(request, session, member.id, "/")
