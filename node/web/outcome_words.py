"""A proposal's outcome in the page's language: node/proposal_queries.py words it in English for the API (`summary`,
`decision_text`); the page words it again from the API's machine fields (`result`, `groups`, `option`) with these
message ids, naming the groups as a list in the language's own way (Babel)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel.lists import format_list

from ..i18n import N_, language, translations

RESULTS = {
    "blocked": N_("Blocked by %(groups)s"),
    "agreed": N_("Agreed"),
    "no_agreement": N_("No agreement"),
    "objected": N_("Objection from %(groups)s"),
    "consented": N_("Consented (no objection)"),
    "advised": N_("Advice given"),
    "concerns": N_("Concerns from %(groups)s"),
    "supported": N_("Supported"),
    "no_answers": N_("Nobody answered"),
    "chosen": N_("Chosen: %(option)s"),
    "tie": N_("A tie"),
}
"""Each result the processes define (events/readmodel/process.py), as node/proposal_queries.RESULTS words it."""


def outcome_words(outcome: Mapping[str, Any], names: Mapping[str, str], code: str) -> str:
    """Return an outcome's sentence ("Blocked by Granton Library Occupation") in language `code`; `names` maps a
    group id to its name (a group without one is shown by its id). An unknown result keeps the API's sentence."""
    message = RESULTS.get(str(outcome.get("result")))
    if message is None:
        return str(outcome.get("summary") or "")
    lang = language(code).code
    groups = [names.get(g) or g for g in outcome.get("groups") or ()]
    values = {"groups": format_list(groups, locale=lang) if groups else "", "option": outcome.get("option") or ""}
    return translations(lang).gettext(message) % values


def decision_words(outcome: Mapping[str, Any], names: Mapping[str, str], reasons: Mapping[str, str], code: str) -> str:
    """Return the decision text a closed proposal's outcome suggests, in language `code`: its sentence, then each
    answering group's reason as the group wrote it ("Blocked by C (C: too soon)."), punctuation only around them."""
    because = [f"{names.get(g) or g}: {reasons[g]}" for g in outcome.get("groups") or () if reasons.get(g)]
    return outcome_words(outcome, names, code) + (" (" + "; ".join(because) + ")" if because else "") + "."
