"""The admin page that rotates the group's key with its recovery kit (docs/OPERATIONS.md, "Key rotation").

GET /key shows the form (logged in only); POST /key (CSRF-checked like every form) takes the kit's text (the file,
or the recovery words with the group line), its passphrase if it has one, and optionally the seq to rotate after;
it rotates through node/rotation.py and shows the NEW kit once, to print, with where it was written.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..api import SERVICE
from ..errors import ConfigError, InvalidEventError, OwnHeadError
from ..recovery import kit_text, read_kit
from ..rotation import rotate_with_kit
from .actions import _login_redirect, read_post
from .render import SESSIONS, html_errors, page

routes = web.RouteTableDef()


def _new_kit_path(request: web.Request) -> Any:
    data = request.app[SERVICE].data_dir
    if data is None:
        raise ConfigError("this node has no data dir to write the new kit to: rotate with `solnet key rotate`")
    n = 2
    while (path := data.path / f"recovery-kit-{n}.txt").exists():
        n += 1
    return path


@routes.get("/key")
@html_errors
async def key_form(request: web.Request) -> web.StreamResponse:
    """The rotation form."""
    session = request.app[SESSIONS].get(request)
    if not session or not session.logged_in:
        return _login_redirect(request)
    return page(request, "key.html", {"values": {}}, session=session)


@routes.post("/key")
@html_errors
async def rotate(request: web.Request) -> web.StreamResponse:
    """Rotate to the kit's key; on a refusal show the form again with why (nothing was signed)."""
    session, posted = await read_post(request)
    service = request.app[SERVICE]
    values = {"after": str(posted.get("after", "")).strip()}
    passphrase = str(posted.get("passphrase", "")).encode() or None
    try:
        after = int(values["after"]) if values["after"] else None
        kit = read_kit(str(posted.get("kit", "")), passphrase)
        path = _new_kit_path(request)
        event, fresh = await rotate_with_kit(service, kit, path, passphrase, after=after)
    except ValueError:
        return page(request, "key.html", {"values": values, "error": "after must be a seq number"}, status=422, session=session)
    except (ConfigError, InvalidEventError, OwnHeadError) as exc:
        return page(request, "key.html", {"values": values, "error": exc.message}, status=422, session=session)
    context = {"event": event, "kit_path": str(path), "kit_text": kit_text(fresh, passphrase)}
    return page(request, "key_done.html", context, session=session)
