"""The Members page: everyone in the group sees who is in it; admins invite, change roles, reset and remove."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import NotFoundError, RequestError
from ..members import ACCOUNTS, Member, Role, principal_of
from .actions import read_post, redirect
from .forms import field_message
from .render import N_, SESSIONS, html_errors, page

routes = web.RouteTableDef()
MEMBERS_PAGE = 50


def link_url(request: web.Request, secret: str) -> str:
    """Return the full URL of a one-time link, on the address the admin is using the page at."""
    return f"{request.url.origin()}/invite/{secret}"


async def _members_page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    accounts = request.app[ACCOUNTS]
    after = request.query.get("after") or None
    members, following = await accounts.call(accounts.page, after, MEMBERS_PAGE)
    context = {
        "members": members,
        "next_page": f"/members?after={following}" if following else None,
        "roles": [r.value for r in Role],
        "errors": {},
        "values": {},
        "title": N_("Members"),
        **extra,
    }
    return page(request, "members.html", context, status=status)


@routes.get("/members")
@html_errors
async def members(request: web.Request) -> web.Response:
    """Who is in the group on this node, by name, a page at a time (admins also get the forms)."""
    return await _members_page(request)


@routes.post("/members")
@html_errors
async def invite(request: web.Request) -> web.Response:
    """Invite someone: they get a one-time link (shown here once, good for 7 days) to choose a password."""
    _, posted = await read_post(request)
    values = {k: str(posted.get(k, "")).strip() for k in ("name", "role", "email")}
    accounts = request.app[ACCOUNTS]
    try:
        member, secret = await accounts.call(accounts.invite, values["name"], values["role"], values["email"] or None)
    except RequestError as exc:
        errors = {exc.field or "name": field_message(exc.message, exc.field)}
        return await _members_page(request, 422, errors=errors, values=values)
    return await _members_page(request, 201, new_link=(member, link_url(request, secret)))


async def _target(request: web.Request) -> Member:
    accounts = request.app[ACCOUNTS]
    member = await accounts.call(accounts.member, request.match_info["member"])
    if member is None:
        raise NotFoundError("there is no such member (removed already?)", field="member")
    return member


@routes.post("/members/{member}/role")
@html_errors
async def change_role(request: web.Request) -> web.StreamResponse:
    """Give a member another role; it applies to their sessions and tokens at once."""
    _, posted = await read_post(request)
    member = await _target(request)
    accounts = request.app[ACCOUNTS]
    await accounts.call(accounts.set_role, member.name, str(posted.get("role", "")))
    return redirect("/members")


@routes.post("/members/{member}/remove")
@html_errors
async def remove(request: web.Request) -> web.StreamResponse:
    """Remove a member: their sessions end and their tokens stop working at once."""
    await read_post(request)
    member = await _target(request)
    accounts = request.app[ACCOUNTS]
    await accounts.call(accounts.remove, member.name)
    request.app[SESSIONS].drop_member(member.id)
    me = principal_of(request)
    return redirect("/" if me is not None and me.member_id == member.id else "/members")


@routes.post("/members/{member}/reset")
@html_errors
async def reset(request: web.Request) -> web.Response:
    """Make a new one-time link for a member to choose a password (their older links stop working)."""
    await read_post(request)
    member = await _target(request)
    accounts = request.app[ACCOUNTS]
    member, secret = await accounts.call(accounts.reset, member.name)
    return await _members_page(request, 201, new_link=(member, link_url(request, secret)))
