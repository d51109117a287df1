"""What the node's own group does from the page: log in and out, and publish through forms made from the kinds."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from events.errors import PayloadError
from events.kinds import FAMILIES, KINDS, OWN_TARGETS, PUBLISH_FAMILIES

from .. import queries
from ..api import SERVICE
from ..datadir import Settings
from ..errors import AuthError, BodyTooLargeError, NotFoundError, OwnHeadError, RequestError
from ..members import ACCOUNTS, record_act
from ..members.roles import NAME_MAX, name_key
from ..references import ReferenceError
from ..secrets_store import password_matches, token_matches
from ..service import NodeService
from .discussion_pages import thread_context
from .forms import build_form, checked_input, field_message, kind_title, read_fields, time_input_value
from .language import gettext_of, ngettext_of, request_language, set_language_cookie
from .options import form_options
from .pages import pledge_form
from .render import LOGIN_THROTTLE, N_, SESSIONS, html_errors, node_zone, page
from .session import COOKIE, CSRF_FIELD, Session, check_csrf, set_cookie
from .throttle import NODE_ACCOUNT

routes = web.RouteTableDef()
MAX_FORM_BODY = 64 * 1024
FORM_KINDS = tuple(s.kind for f in PUBLISH_FAMILIES for s in FAMILIES[f])
"""Every kind a person publishes from the page (key and log kinds are the node's own business)."""


def safe_next(target: str | None, default: str = "/") -> str:
    """Return a local path to go to after a form, never another site (`//host` or a scheme).

    Whitespace and control characters are refused outright: browsers drop tabs and newlines from a URL, so
    `/\t/host` would lead to `//host`, and a newline cannot go into a Location header at all.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    return target


async def read_post(request: web.Request, *, login: bool = True) -> tuple[Session, Any]:
    """Return the session and form data of a POST with a valid CSRF token (and a logged-in session if `login`)."""
    if request.content_length is not None and request.content_length > MAX_FORM_BODY:
        raise BodyTooLargeError(f"a form of {request.content_length} bytes is larger than {MAX_FORM_BODY}", field="body")
    posted = await request.post()
    session = check_csrf(request.app[SESSIONS].get(request), posted.get(CSRF_FIELD))
    if login and not session.logged_in:
        raise AuthError("log in to publish for this node's group", field="session")
    return session, posted


def redirect(target: str) -> web.Response:
    """Return a 303 See Other to a local path (after a POST the browser fetches the result with GET)."""
    return web.Response(status=303, headers={"Location": target})


def _login_redirect(request: web.Request) -> web.Response:
    return redirect(f"/login?next={quote(request.path_qs, safe='/?=&')}")


# -- log in and out -----------------------------------------------------------------------------------------


@routes.get("/login")
@html_errors
async def login_page(request: web.Request) -> web.Response:
    """The login form; it starts an anonymous session to hold the form's CSRF token."""
    session, new = request.app[SESSIONS].ensure(request)
    context = {"next": safe_next(request.query.get("next")), "error": None, "name": "", "title": N_("Log in")}
    return page(request, "login.html", context, session=session, new_cookie=new)


def _secret_matches(settings: Settings, secret: str) -> bool:
    """True if `secret` is the node's API token or its shared web password (scrypt, so run off the loop), and those
    still log in as the built-in admin (until an admin turns them off)."""
    if not settings.shared_login:
        return False
    if token_matches(secret, settings.token_hash):
        return True
    stored = settings.password_hash
    return bool(stored) and password_matches(secret, stored)


async def _check_login(request: web.Request, name: str, secret: str) -> tuple[bool, str | None]:
    """Return (good, member id): a member by name and password, or (no name) the built-in admin's shared secret."""
    if name:
        accounts = request.app[ACCOUNTS]
        member = await accounts.call(accounts.login, name, secret)
        return member is not None, member.id if member else None
    good = bool(secret) and await asyncio.to_thread(_secret_matches, request.app[SERVICE].credentials(), secret)
    return good, None


def log_in_as(
    request: web.Request, session: Session | None, member: str | None, target: str, chosen_language: str | None = None
) -> web.Response:
    """Replace the browser's session by a new logged-in one (as `member`; None: built-in admin) and go to `target`."""
    sessions = request.app[SESSIONS]
    if session is not None:
        sessions.drop(session)
    fresh = sessions.new(logged_in=True, member=member)
    response = redirect(target)
    set_cookie(response, request, fresh)
    if chosen_language:  # the member's own language follows them to every browser they log in on
        set_language_cookie(response, request, chosen_language)
    return response


@routes.post("/login")
@html_errors
async def login(request: web.Request) -> web.StreamResponse:
    """Log in as a member (name and password) or, without a name, with the node's shared password or API token;
    a new session id is issued so an old one cannot be reused."""
    session, posted = await read_post(request, login=False)
    name = " ".join(str(posted.get("name", "")).split())[:NAME_MAX]
    secret = str(posted.get("secret", "")).strip()
    target = safe_next(str(posted.get("next", "")))
    throttle, client = request.app[LOGIN_THROTTLE], request.remote or "unknown"
    account = f"member:{name_key(name)}" if name else NODE_ACCOUNT  # each account's failures are counted on their own
    context = {"next": target, "name": name, "title": N_("Log in")}
    wait = throttle.attempt(client, account)
    _ = gettext_of(request)
    if wait:
        minutes = (wait + 59) // 60
        ngettext = ngettext_of(request)
        context["error"] = ngettext(
            "Too many failed logins: try again in %(n)s minute.", "Too many failed logins: try again in %(n)s minutes.", minutes
        ) % {"n": minutes}
        response = page(request, "login.html", context, status=429, session=session)
        response.headers["Retry-After"] = str(wait)
        return response
    good, member = await _check_login(request, name, secret)
    if not good:
        context["error"] = (
            _("That name and password do not match a member of this node.")
            if name
            else _("That is not this node's shared password or API token (or they have been turned off: log in with your name).")
        )
        return page(request, "login.html", context, status=401, session=session)
    throttle.succeeded(client, account)
    accounts = request.app[ACCOUNTS]
    chosen = await accounts.call(accounts.language, member) if member else None
    return log_in_as(request, session, member, target, chosen)


@routes.post("/logout")
@html_errors
async def logout(request: web.Request) -> web.StreamResponse:
    """Forget the session and send the browser home."""
    session, _ = await read_post(request, login=False)
    request.app[SESSIONS].drop(session)
    response = redirect("/")
    response.del_cookie(COOKIE, path="/")
    return response


# -- publishing ---------------------------------------------------------------------------------------------


@routes.get("/publish")
@html_errors
async def publish_index(request: web.Request) -> web.StreamResponse:
    """The list of forms the node's group can fill in."""
    session = request.app[SESSIONS].get(request)
    if not session or not session.logged_in:
        return _login_redirect(request)
    families = [(f, [(s.kind, kind_title(s)) for s in FAMILIES[f]]) for f in PUBLISH_FAMILIES]
    paused = not request.app[SERVICE].own_head.confirmed  # said before anyone types a form (node/own_head.py)
    return page(request, "publish_index.html", {"families": families, "paused": paused}, session=session)


def _kind_of(request: web.Request) -> str:
    kind = request.match_info["kind"]
    if kind not in FORM_KINDS:
        raise NotFoundError(f"there is no form for {kind!r:.60}", field="kind")
    return kind


async def _profile_values(service: NodeService) -> dict[str, Any]:
    """Return the group's current profile as form values, so editing starts from what is there."""
    return await service.query(queries.group_profile, service.identity.public_key)


async def _current_values(request: web.Request, kind: str) -> dict[str, Any]:
    """Return an update form's starting values: the current fields of the entity it changes (?callout=ID...), so
    a correction starts from what is there. Only for kinds that change fields (not withdraw, close or fulfil)."""
    spec = KINDS[kind]
    target = OWN_TARGETS.get(kind)
    projection = spec.projection
    if target is None or projection is None or projection.status is not None or not request.query.get(target):
        return {}
    service = request.app[SERVICE]
    found = await service.query(queries.own_entity, projection.collection, request.query[target], service.identity.public_key)
    names = {f.name for f in spec.fields} - {target}
    return {name: value for name, value in found.items() if name in names}


async def _form_page(request: web.Request, kind: str, form_values: dict[str, Any], status: int = 200, **errors: Any):
    service = request.app[SERVICE]
    options = await service.query(form_options, kind, service.group_id)
    form = build_form(kind, form_values, options=options, reader=request_language(request), **errors)
    context = {"form": form, "action": f"/publish/{kind}", "next": safe_next(request.query.get("next"), "")}
    return page(request, "publish.html", context, status=status)


@routes.get("/publish/{kind}")
@html_errors
async def publish_form(request: web.Request) -> web.StreamResponse:
    """An empty form for one kind (prefilled from the query string, e.g. ?proposal=ID; the profile from the profile)."""
    kind = _kind_of(request)
    session = request.app[SESSIONS].get(request)
    if not session or not session.logged_in:
        return _login_redirect(request)
    spec = KINDS[kind]
    values: dict[str, Any] = {}
    if kind == "group.profile":
        values = await _profile_values(request.app[SERVICE])
    values.update(await _current_values(request, kind))
    if spec.field("lang") and kind not in OWN_TARGETS and not values.get("lang"):
        values["lang"] = request_language(request)  # a new post: in the page's language unless said otherwise
    for fs in spec.fields:
        if fs.name in request.query:
            several = fs.type.value in ("choices", "group_list")
            values[fs.name] = request.query.getall(fs.name) if several else request.query[fs.name]
    for fs in spec.fields:
        if fs.type.value == "time" and isinstance(values.get(fs.name), int):
            values[fs.name] = time_input_value(values[fs.name], node_zone(request))
    return await _form_page(request, kind, values)


async def _publish(request: web.Request, kind: str, fields: dict[str, Any]) -> tuple[str | None, dict[str, str], str | None]:
    """Publish; return (event id, {}, None) or (None, field errors, form error). A refused form stores nothing."""
    given, errors = checked_input(kind, fields, node_zone(request))
    if errors:  # every problem of the form at once, each next to its field
        return (None, *_by_field(errors, fields))
    try:
        event = await request.app[SERVICE].publish(kind, given)
    except ReferenceError as exc:
        return (None, *_by_field({f: field_message(m, f) for f, m in exc.errors.items()}, fields))
    except (PayloadError, RequestError) as exc:
        if exc.field and exc.field in fields:
            return None, {exc.field: field_message(exc.message, exc.field)}, None
        return None, {}, field_message(exc.message, exc.field)
    except OwnHeadError as exc:  # not the form's fault: shown above the form, which keeps what was typed
        return None, {}, exc.message
    await record_act(request, event)
    return event.id.hex(), {}, None


def _by_field(errors: dict[str, str], fields: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """Return (errors of the form's fields, the others joined as one error above the form)."""
    known = {name: text for name, text in errors.items() if name in fields}
    rest = [text for name, text in errors.items() if name not in fields]
    return known, "; ".join(rest) or None


@routes.post("/publish/{kind}")
@html_errors
async def publish(request: web.Request) -> web.StreamResponse:
    """Publish one event from a form; on a bad field show the form again with the error next to it."""
    kind = _kind_of(request)
    _, posted = await read_post(request)
    fields = read_fields(kind, posted)
    event_id, errors, form_error = await _publish(request, kind, fields)
    if event_id is None:
        return await _form_page(request, kind, fields, status=422, errors=errors, form_error=form_error)
    return redirect(safe_next(str(posted.get("next", "")), _after(kind, event_id, fields)))


ITEM_PAGES = {"report": "/reports/", "assembly": "/assemblies/", "proposal": "/proposals/", "decision": "/decisions/"}
"""The page of an item its author changes, by the payload field naming it."""


def _after(kind: str, event_id: str, fields: dict[str, Any]) -> str:
    """Return where to go after publishing: the thing just made, or the page that shows it."""
    family = KINDS[kind].family
    target = OWN_TARGETS.get(kind)
    if target in ITEM_PAGES and fields.get(target):  # a change to one of ours: back to its page
        return ITEM_PAGES[target] + str(fields[target])
    if kind == "callout.published":
        return f"/callouts/{event_id}"
    if kind == "campaign.created":
        return f"/campaigns/{event_id}"
    if family == "callout" and fields.get("callout"):
        return f"/callouts/{fields['callout']}"
    if family == "campaign" and fields.get("campaign"):
        return f"/campaigns/{fields['campaign']}"
    if family == "report" and fields.get("campaign"):
        return f"/campaigns/{fields['campaign']}"
    if kind == "proposal.tabled":
        return f"/proposals/{event_id}"
    if family in ("position", "decision") and fields.get("proposal"):
        return f"/proposals/{fields['proposal']}"
    if family in ("assembly", "proposal", "position", "decision"):
        return "/assemblies"
    if family == "comment" and fields.get("on"):
        return f"/events/{fields.get('root') or fields['on']}"
    return "/groups"


@routes.post("/callouts/{id}/pledge")
@html_errors
async def pledge(request: web.Request) -> web.StreamResponse:
    """Pledge help for a callout from its page; a bad pledge shows the callout page again with the error."""
    service = request.app[SERVICE]
    found = await service.query(queries.get_callout, request.match_info["id"])
    _, posted = await read_post(request)
    fields = {**read_fields("pledge.made", posted), "callout": found["id"]}
    event_id, errors, form_error = await _publish(request, "pledge.made", fields)
    if event_id is None:
        form = pledge_form(found["id"], fields, errors, form_error, reader=request_language(request))
        context = {"c": found, "form": form, "thread": await thread_context(request, found["id"])}
        return page(request, "callout.html", context, status=422)
    return redirect(f"/callouts/{found['id']}#pledges")
