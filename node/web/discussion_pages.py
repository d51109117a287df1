"""Pages of the open space: a proposal with its tally and outcome, an assembly with its business, and the thread
section every item's page shows (a page of comments with a reply form)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from events.kinds import KINDS
from events.kinds.payloads import PROCESS_POSITIONS

from ..api import SERVICE, event_json
from ..assembly_queries import get_assembly
from ..errors import NotFoundError
from ..i18n.post_languages import language_choices
from ..paging import page_request
from ..proposal_queries import get_proposal
from ..queries import parse_event_id
from ..thread_queries import get_thread
from .forms import Form, build_form
from .language import request_language
from .outcome_words import decision_words, outcome_words
from .render import html_errors, page

routes = web.RouteTableDef()
START_KINDS = ("callout.published", "campaign.created", "proposal.tabled", "assembly.scheduled")
THREAD_PAGE = 20  # comments per page of a thread
THREAD_CURSOR = "thread"  # the query parameter holding a thread's page cursor (an item page may page other lists)


async def thread_context(request: web.Request, item_id: str) -> dict[str, Any]:
    """Return the `thread` context of an item's page: a page of its thread, the next page's link, where forms return,
    and the languages its comment forms offer (named in the page's language, starting at it)."""
    service = request.app[SERVICE]
    wanted = page_request(None, request.query.get(THREAD_CURSOR) or None, default=THREAD_PAGE)
    found = await service.query(get_thread, item_id, wanted)
    following = None
    if found.next is not None:
        query = {k: v for k, v in request.query.items() if k != THREAD_CURSOR and v}
        following = str(request.rel_url.with_query({**query, THREAD_CURSOR: found.next}))
    code = request_language(request)
    return {
        "item": item_id,
        "comments": found.items,
        "next_page": following,
        "here": f"{request.path}#thread",
        "page": request.path,
        "lang": code,  # a comment written here is in the page's language unless its writer says otherwise
        "languages": language_choices(code),
    }


def group_names(proposal: dict[str, Any]) -> dict[str, str]:
    """Return the name of every group a proposal's page knows one for (asked or answering), by group id."""
    return {g["group"]: g["name"] for g in [*proposal["asked"], *proposal["answers"]] if g.get("name")}


def decision_form(proposal: dict[str, Any], code: str = "en") -> Form | None:
    """Return the decision form of a closed proposal, pre-filled with the outcome its process defines in language
    `code` (None before)."""
    result = proposal["outcome"]
    if result is None:
        return None
    values = {"proposal": proposal["id"], "assembly": proposal.get("assembly") or "", "outcome": result["decision"]}
    reasons = {a["group"]: a["reason"] for a in proposal["answers"] if a.get("reason")}
    values["text"] = f"{proposal['title']}: {decision_words(result, group_names(proposal), reasons, code)}"
    return build_form("decision.recorded", values, hidden=("proposal", "assembly", "campaign"))


@routes.get("/proposals/{id}")
@html_errors
async def proposal(request: web.Request) -> web.Response:
    """One proposal: its process, who is asked, the live tally, who has not answered, how positions changed, the
    outcome once closed (with the decision form pre-filled from it, for its proposer), and its thread."""
    service = request.app[SERVICE]
    found = await service.query(get_proposal, request.match_info["id"], service.now())
    code = request_language(request)
    context = {
        "p": found,
        "outcome": outcome_words(found["outcome"], group_names(found), code) if found["outcome"] else "",
        "positions": PROCESS_POSITIONS[found["process"]],
        "own": found["author"] == service.group_id,
        "may_answer": not found["asked"] or any(g["group"] == service.group_id for g in found["asked"]),
        "decision_form": decision_form(found, code),
        "thread": await thread_context(request, found["id"]),
    }
    return page(request, "proposal.html", context)


@routes.get("/assemblies/{id}")
@html_errors
async def assembly(request: web.Request) -> web.Response:
    """One assembly: its agenda items (proposals linked to it), its minutes (reports linked to it), the decisions
    made at it, and its thread."""
    found = await request.app[SERVICE].query(get_assembly, request.match_info["id"])
    return page(request, "assembly.html", {"a": found, "thread": await thread_context(request, found["id"])})


PAGES = {"callout": "/callouts/", "campaign": "/campaigns/", "proposal": "/proposals/", "assembly": "/assemblies/"}
"""The families whose items have their own page (an event of another family is shown by /events/{id})."""


@routes.get("/events/{id}")
@html_errors
async def event(request: web.Request) -> web.StreamResponse:
    """Any event: the page of the item it is (callout, campaign, proposal, assembly), else its fields and its thread
    (reports, decisions, pledges, comments ... are discussed here)."""
    service = request.app[SERVICE]
    found = await service.reads.event(parse_event_id(request.match_info["id"]))
    if found is None:
        raise NotFoundError(f"no event with id {request.match_info['id']:.64}", field="id")
    family = KINDS[found.kind].family if found.kind in KINDS else None
    if family in PAGES and found.kind in START_KINDS:
        return web.Response(status=303, headers={"Location": PAGES[family] + found.id.hex()})
    shown = event_json(found)
    context = {"e": shown, "spec": KINDS.get(found.kind), "thread": await thread_context(request, shown["id"])}
    return page(request, "event.html", context)
