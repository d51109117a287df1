"""A proposal's outcome in the page's language, from the API's machine fields (the API's English sentence stays)."""

from __future__ import annotations

from node.web.discussion_pages import decision_form
from node.web.outcome_words import RESULTS, decision_words, outcome_words

BLOCKED = {"result": "blocked", "groups": ["sn_c", "sn_d"], "option": None, "summary": "Blocked by C, D"}
NAMES = {"sn_c": "Granton Library Occupation"}


def test_each_result_is_worded_in_each_language_with_the_groups_as_a_list():
    assert outcome_words(BLOCKED, NAMES, "en") == "Blocked by Granton Library Occupation and sn_d"
    assert outcome_words(BLOCKED, NAMES, "es") == "Bloqueada por Granton Library Occupation y sn_d"
    assert outcome_words(BLOCKED, NAMES, "pl") == "Zablokowane przez: Granton Library Occupation i sn_d"
    chosen = {"result": "chosen", "groups": [], "option": "Saturday"}
    assert outcome_words(chosen, {}, "pl") == "Wybrano: Saturday"
    for result in RESULTS:
        worded = {
            code: outcome_words({"result": result, "groups": ["sn_c"], "option": "x"}, {}, code)
            for code in ["en", "es", "pl", "bn", "ar"]
        }
        assert len(set(worded.values())) == 5, worded  # (each language its own words)


def test_an_unknown_result_keeps_the_api_s_sentence():
    assert outcome_words({"result": "new_kind", "summary": "Something new"}, {}, "es") == "Something new"


def test_the_decision_form_is_pre_filled_in_the_page_s_language_with_the_reasons_as_written():
    reasons = {"sn_c": "todavía no hemos votado"}
    assert decision_words(BLOCKED, NAMES, reasons, "es") == (
        "Bloqueada por Granton Library Occupation y sn_d (Granton Library Occupation: todavía no hemos votado)."
    )
    proposal = {
        "id": "ab" * 32, "title": "Huelga de alquileres", "assembly": None, "asked": [],
        "answers": [{"group": "sn_c", "name": "Granton Library Occupation", "reason": "todavía no"}],
        "outcome": {**BLOCKED, "decision": "rejected"},
    }  # fmt: skip
    form = decision_form(proposal, "es")
    text = next(w for w in form.widgets if w.name == "text")
    assert text.value.startswith("Huelga de alquileres: Bloqueada por Granton Library Occupation y sn_d (")
