"""Redaction from the page (organisers): ask every node to drop what one of the group's own events says.

GET /redact/{id} shows what the event says and, in plain words, what redacting does and does not do; POST
/redact/{id} (CSRF-checked like every form) publishes `log.redact` with the reason given (docs/KINDS.md). The node
checks the target like `solnet redact` does: only the group's own events, not one already redacted.
"""

from __future__ import annotations

from aiohttp import web

from .. import queries
from ..api import SERVICE, event_json
from ..errors import NotFoundError, RedactedError, RequestError
from ..members import record_act
from ..redactions import REDACT_KIND
from .actions import _login_redirect, read_post, redirect
from .render import SESSIONS, html_errors, page

routes = web.RouteTableDef()
REASON_MAX = 500


async def _own_event(request: web.Request) -> tuple[bytes, dict]:
    service = request.app[SERVICE]
    event_id = queries.parse_event_id(request.match_info["id"])
    event = await service.event(event_id)
    if event is None or event.author != service.identity.public_key:
        raise NotFoundError("no event of this group with that id: a group redacts only its own events", field="id")
    return event_id, event_json(event)


@routes.get("/redact/{id}")
@html_errors
async def redact_form(request: web.Request) -> web.StreamResponse:
    """What the event says, what redacting does, and the form (organisers)."""
    session = request.app[SESSIONS].get(request)
    if not session or not session.logged_in:
        return _login_redirect(request)
    event_id, shown = await _own_event(request)
    return page(request, "redact.html", {"event_id": event_id.hex(), "shown": shown, "error": None})


@routes.post("/redact/{id}")
@html_errors
async def redact(request: web.Request) -> web.StreamResponse:
    """Publish `log.redact` for the event; a refusal shows the page again with the reason in words."""
    _, posted = await read_post(request)
    event_id, shown = await _own_event(request)
    reason = str(posted.get("reason", "")).strip()[:REASON_MAX]
    service = request.app[SERVICE]
    try:
        made = await service.publish(REDACT_KIND, {"event": event_id.hex(), **({"reason": reason} if reason else {})})
    except (RequestError, RedactedError) as exc:
        context = {"event_id": event_id.hex(), "shown": shown, "error": exc.message}
        return page(request, "redact.html", context, status=422)
    await record_act(request, made)
    return redirect(f"/groups/{service.group_id}")
