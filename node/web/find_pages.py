"""The pages that help find things: search across the network's writing, the reports back and one report."""

from __future__ import annotations

from aiohttp import web

from events.kinds.langtag import is_lang_tag
from events.readmodel.projection import REPORTS
from events.readmodel.search import QUERY_MAX

from .. import queries
from ..api import SERVICE
from ..errors import RequestError
from ..find_queries import KIND_NAMES, get_decision, get_report, search
from ..i18n.post_languages import language_choices
from ..paging import Page
from .forms import field_message
from .language import gettext_of, request_language
from .pages import WEB_PAGE, _page, next_link
from .render import N_, html_errors, page

routes = web.RouteTableDef()
KIND_LABELS = {
    "callout": N_("Callouts"),
    "campaign": N_("Campaigns"),
    "report": N_("Reports and lessons"),
    "assembly": N_("Assemblies"),
    "proposal": N_("Proposals"),
    "decision": N_("Decisions"),
}
KIND_NAMES_SHOWN = {
    "callout": N_("Callout"),
    "campaign": N_("Campaign"),
    "report": N_("Report"),
    "assembly": N_("Assembly"),
    "proposal": N_("Proposal"),
    "decision": N_("Decision"),
}
"""What each kind of result is called on the page (a message id: the template translates it)."""


@routes.get("/search")
@html_errors
async def search_page(request: web.Request) -> web.Response:
    """Callouts, campaigns, reports and lessons, assemblies, proposals and decisions matching `q`, newest first, a page
    at a time; `in` keeps one kind. A bad query is shown as the form's error (400), not an error page."""
    text = request.query.get("q", "").strip()
    kind = request.query.get("in", "").strip()
    lang = request.query.get("lang", "").strip()
    error = None
    found = Page([], None)
    if text:
        try:
            found = await request.app[SERVICE].query(search, text, _page(request), kind=kind or None, lang=lang or None)
        except RequestError as exc:
            error = field_message(exc.message, exc.field)
    _ = gettext_of(request)
    context = {
        "q": text,
        "kind": kind,
        "kinds": [(k, KIND_LABELS[k]) for k in KIND_NAMES.values()],
        "filters": {"lang": lang},
        "post_languages": language_choices(request_language(request), lang if is_lang_tag(lang) else None),
        "results": found.items,
        "next_page": next_link(request, found.next),
        "error": error,
        "query_max": QUERY_MAX,
        "kind_names": KIND_NAMES_SHOWN,
        "title": _("Search: %(words)s") % {"words": text} if text else N_("Search"),
    }
    return page(request, "search.html", context, status=400 if error else 200)


@routes.get("/reports")
@html_errors
async def reports(request: web.Request) -> web.Response:
    """Reports back and their lessons learned, newest first, a page at a time (`author` keeps one group's)."""
    author = request.query.get("author") or None
    lang = request.query.get("lang", "").strip()
    error, found = None, Page([], None)
    try:
        found = await request.app[SERVICE].query(
            queries.list_docs, REPORTS, _page(request, WEB_PAGE), author=author, lang=lang or None
        )
    except RequestError as exc:
        error = field_message(exc.message, exc.field)
    context = {
        "reports": found.items,
        "next_page": next_link(request, found.next),
        "filters": {"author": author, "lang": lang},
        "filter_error": error,
        "post_languages": language_choices(request_language(request), lang if is_lang_tag(lang) else None),
    }
    return page(request, "reports.html", context, status=400 if error else 200)


@routes.get("/decisions/{id}")
@html_errors
async def decision(request: web.Request) -> web.Response:
    """One decision: its text and outcome, what it decided (proposal, assembly, campaign), and its author's actions."""
    found = await request.app[SERVICE].query(get_decision, request.match_info["id"])
    return page(request, "decision.html", {"d": found})


@routes.get("/reports/{id}")
@html_errors
async def report(request: web.Request) -> web.Response:
    """One report back: what happened, its lessons, its campaign."""
    found = await request.app[SERVICE].query(get_report, request.match_info["id"])
    return page(request, "report.html", {"r": found})
