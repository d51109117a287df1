"""Read-side queries over the read models, shared by the JSON API, the CLI and the web page.

Blocking: run them on the store's reader pool. They return JSON-ready dicts (ids as hex, groups as `sn_…`).
Every list is one page (node/paging.py) read in the database in the collection's order with the filters as
SQL (node/store/listing_sql.py); joins across authors (names, pledge totals, position tallies) are computed for
the page's items only, in one query each, so no request's work grows with the history.
"""

from __future__ import annotations

from typing import Any

from events.identity import IdentityError, group_id_text, group_key_of
from events.kinds import NEEDS, friendly_value
from events.kinds.langtag import lang_problem
from events.readmodel.joins import ACTIVE_PLEDGE, CalloutSummary, summary_from_counts
from events.readmodel.listing import NEED_BITS
from events.readmodel.projection import CALLOUTS, CAMPAIGNS, DECISIONS, GROUPS, PLEDGES, REPORTS
from events.readmodel.view import Put

from .errors import NotFoundError, RequestError
from .paging import FIRST_PAGE, Page, PageRequest, split_page
from .store.listing_sql import Where
from .store.views import ViewStore

CALLOUT_STATUSES = ("open", "fulfilled", "withdrawn", "all")
CARD_PLEDGES = 5  # pledges shown on a callout's card in a list (its totals count them all)
SECTION = PageRequest(20)  # the first page of each list inside a detail page (campaign, group)
AREA_MAX = 100


def doc_json(put: Put) -> dict[str, Any]:
    """Return a document as JSON: ids hex, authors and group references as `sn_…`, without its event log."""
    out: dict[str, Any] = {}
    for name, value in put.doc.items():
        if name == "log":
            continue
        if name in ("author", "group") and type(value) is bytes and len(value) == 32:
            out[name] = group_id_text(value)
        else:
            out[name] = friendly_value(value)
    out["author"] = group_id_text(put.author)
    return out


def parse_event_id(text: str, field: str = "id") -> bytes:
    """Return the 32 bytes of an event id given as 64 hex digits; raise RequestError naming `field`."""
    try:
        raw = bytes.fromhex(text)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise RequestError(f"{field} must be an event id of 64 hex digits", field=field)
    return raw


def parse_group(text: str, field: str = "author") -> bytes:
    """Return the public key named by a group id text (its form checked, not the point: a look-up); raise RequestError."""
    try:
        return group_key_of(text)
    except IdentityError:
        raise RequestError(f"{field} must be a group id (sn_…)", field=field) from None


def check_lang(lang: str | None) -> str | None:
    """Return a list's language filter (None: any language); raise RequestError naming `lang` for a bad tag."""
    if lang is None or lang == "":
        return None
    if (problem := lang_problem(lang)) is not None:
        raise RequestError(f"lang: {problem}", field="lang")
    return lang


def names_of(view: ViewStore, authors: list[bytes]) -> dict[bytes, str]:
    """Return the profile name of each of `authors` that has one (one query: the name is the profile's listing tag;
    a profile without one, made before it was kept there or without a name, is read whole)."""
    tags = view.tags(GROUPS, authors)
    names = {key: tag for key, tag in tags.items() if tag is not None}
    untagged = [key for key, tag in tags.items() if tag is None]
    names.update((key, put.doc.get("name", "")) for key, put in view.by_keys(GROUPS, untagged).items())
    return names


def with_names(view: ViewStore, puts: list[Put]) -> list[dict[str, Any]]:
    """Return documents as JSON, each with its author's name."""
    names = names_of(view, [p.author for p in puts])
    return [{**doc_json(p), "author_name": names.get(p.author, "")} for p in puts]


def page_of(view: ViewStore, collection: str, where: Where, request: PageRequest) -> tuple[list[Put], str | None]:
    """Return one page of a collection's documents and the next page's cursor."""
    return split_page(view.page(collection, where, request.after, request.limit + 1), request)


def summary_json(summary: CalloutSummary) -> dict[str, Any]:
    """Return a callout's pledge totals as JSON (written out: dataclasses.asdict costs more than the page's queries)."""
    return {
        "callout": summary.callout.hex(),
        "needs": [
            {"need": n.need, "pledges": n.pledges, "quantity": n.quantity, "fulfilled": n.fulfilled} for n in summary.needs
        ],
        "pledges": summary.pledges,
        "fulfilled": summary.fulfilled,
        "withdrawn": summary.withdrawn,
        "groups": summary.groups,
        "wanted": summary.wanted,
    }


def callouts_json(view: ViewStore, puts: list[Put], *, pledges: int = CARD_PLEDGES) -> list[dict[str, Any]]:
    """Return callouts with their authors' names, pledge totals (all pledges) and their first `pledges` pledges."""
    ids = [p.key for p in puts]
    counts: dict[bytes, list[tuple[str | None, str | None, int, int]]] = {}
    for ref, need, status, count, quantity in view.counts(PLEDGES, ids):
        counts.setdefault(ref, []).append((need, status, count, quantity))
    groups = view.author_counts(PLEDGES, ids, ACTIVE_PLEDGE)
    firsts = view.first_per_ref(PLEDGES, ids, pledges)
    shown = {p.key: firsts.get(p.key, []) for p in puts}
    names = names_of(view, [p.author for p in puts] + [x.author for xs in shown.values() for x in xs])
    out = []
    for put in puts:
        item = {**doc_json(put), "author_name": names.get(put.author, "")}
        summary = summary_from_counts(put, counts.get(put.key, ()), groups.get(put.key, 0))
        item["totals"] = summary_json(summary)
        item["pledges"] = [{**doc_json(x), "author_name": names.get(x.author, "")} for x in shown[put.key]]
        out.append(item)
    return out


def callout_where(
    *,
    status: str = "open",
    need: str | None = None,
    area: str | None = None,
    campaign: str | None = None,
    author: str | None = None,
    since: int | None = None,
    live_at: int | None = None,
    over_at: int | None = None,
    lang: str | None = None,
) -> Where:
    """Return the filters of a callout list; raise RequestError naming a bad one.

    `live_at` keeps callouts not over at that time (ms; undated ones are never over), `over_at` only those over;
    `lang` those whose post says it is in exactly that language tag.
    """
    if status not in CALLOUT_STATUSES:
        raise RequestError(f"status must be one of {', '.join(CALLOUT_STATUSES)}", field="status")
    if need is not None and need not in NEEDS:
        raise RequestError(f"need must be one of {', '.join(NEEDS)}", field="need")
    if area is not None and len(area) > AREA_MAX:
        raise RequestError(f"area must be at most {AREA_MAX} characters", field="area")
    return Where(
        author=parse_group(author) if author else None,
        ref=parse_event_id(campaign, "campaign") if campaign else None,
        status=None if status == "all" else status,
        needs=NEED_BITS[need] if need else 0,
        place=area or None,
        until_from=since,
        live_at=live_at,
        over_at=over_at,
        lang=check_lang(lang),
    )


def list_callouts(view: ViewStore, request: PageRequest = FIRST_PAGE, **filters: Any) -> Page:
    """Return a page of callouts matching the filters, most urgent first, then soonest, then newest."""
    puts, after = page_of(view, CALLOUTS, callout_where(**filters), request)
    return Page(callouts_json(view, puts), after)


def _get(view: ViewStore, collection: str, key: bytes, what: str) -> Put:
    put = view.get(collection, key)
    if put is None:
        raise NotFoundError(f"no {what} with id {key.hex()}", field="id")
    return put


def get_callout(view: ViewStore, callout_id: str, pledges: PageRequest = FIRST_PAGE) -> dict[str, Any]:
    """Return one callout with its totals and a page of its pledges (`pledges_next`: the next page); raise NotFoundError."""
    put = _get(view, CALLOUTS, parse_event_id(callout_id), "callout")
    out = callouts_json(view, [put], pledges=0)[0]
    shown, after = page_of(view, PLEDGES, Where(ref=put.key), pledges)
    out["pledges"] = with_names(view, shown)
    out["pledges_next"] = after
    return out


def list_docs(
    view: ViewStore,
    collection: str,
    request: PageRequest = FIRST_PAGE,
    *,
    author: str | None = None,
    ref: str | None = None,
    ref_field: str = "ref",
    status: str | None = None,
    link: str | None = None,
    lang: str | None = None,
) -> Page:
    """Return a page of a collection's documents in its order (newest first for most), filtered as asked."""
    if status is not None and not (status.isascii() and status.isalpha() and len(status) <= 32):
        raise RequestError("status must be a status name such as open, made or withdrawn", field="status")
    where = Where(
        author=parse_group(author) if author else None,
        ref=parse_event_id(ref, ref_field) if ref else None,
        status=status,
        link=parse_event_id(link, "campaign") if link else None,
        lang=check_lang(lang),
    )
    puts, after = page_of(view, collection, where, request)
    return Page(with_names(view, puts), after)


def section(page: Page) -> dict[str, Any]:
    """Return a page as the JSON of a section of a detail page: its items and the next page's cursor."""
    return {"items": page.items, "next": page.next}


def get_campaign(view: ViewStore, campaign_id: str) -> dict[str, Any]:
    """Return a campaign with the first page of its callouts, reports back and decisions (each with its next cursor)."""
    put = _get(view, CAMPAIGNS, parse_event_id(campaign_id), "campaign")
    out = with_names(view, [put])[0]
    callouts, after = page_of(view, CALLOUTS, Where(ref=put.key), SECTION)
    out["callouts"] = callouts_json(view, callouts)
    out["callouts_next"] = after
    for name, page in (
        ("reports", list_docs(view, REPORTS, SECTION, ref=campaign_id)),
        ("decisions", list_docs(view, DECISIONS, SECTION, link=campaign_id)),
    ):
        out[name], out[f"{name}_next"] = page.items, page.next
    return out


def group_profile(view: ViewStore, author: bytes) -> dict[str, Any]:
    """Return a group's profile document as JSON, or {} if it has published none."""
    put = view.get(GROUPS, author)
    return doc_json(put) if put else {}


def list_group_docs(view: ViewStore, request: PageRequest) -> tuple[list[dict[str, Any]], str | None]:
    """Return a page of group profiles by name (without counts or fork flags: node/reads.py adds those)."""
    puts, after = page_of(view, GROUPS, Where(), request)
    return [{**doc_json(p), "group_id": group_id_text(p.author)} for p in puts], after


def get_group(view: ViewStore, group_id: str, forked: bool, count: int | None) -> dict[str, Any]:
    """Return a group's profile, fork flag and the first page of what it has published."""
    author = parse_group(group_id, "group_id")
    put = view.get(GROUPS, author)
    if put is None and count is None:
        raise NotFoundError(f"no group {group_id}", field="group_id")
    out = doc_json(put) if put else {"author": group_id, "name": ""}
    out.update(group_id=group_id, forked=forked, events=count)
    callouts, after = page_of(view, CALLOUTS, Where(author=author), SECTION)
    out["callouts"], out["callouts_next"] = callouts_json(view, callouts), after
    for name, collection in (("campaigns", CAMPAIGNS), ("reports", REPORTS)):
        page = list_docs(view, collection, SECTION, author=group_id)
        out[name], out[f"{name}_next"] = page.items, page.next
    return out


def own_entity(view: ViewStore, collection: str, entity_id: str, own: bytes) -> dict[str, Any]:
    """Return one of the group's own documents as JSON ({} if the id names none of ours): an update form's values."""
    try:
        key = parse_event_id(entity_id)
    except RequestError:
        return {}
    put = view.get(collection, key)
    return doc_json(put) if put is not None and put.author == own else {}
