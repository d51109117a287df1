"""The `lang` field of posts: which language tags are accepted (docs/KINDS.md, "Language of a post")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.errors import PayloadError
from events.kinds import KINDS, FieldType, build_value, parse_payload
from events.kinds.fields import check_field, field_predicate
from events.kinds.langtag import LANG_MAX, canonical_case, is_lang_tag, lang_problem
from tools.readmodel_vectors import LANG_ACCEPTED, LANG_REFUSED

# RFC 5646's langtag production restricted as KINDS.md says, written independently of events/kinds/langtag.py
_LANGUAGE = st.from_regex(r"[a-z]{2,3}", fullmatch=True)
_SCRIPT = st.from_regex(r"[A-Z][a-z]{3}", fullmatch=True)
_REGION = st.from_regex(r"[A-Z]{2}|[0-9]{3}", fullmatch=True)
_VARIANT = st.from_regex(r"[a-z0-9]{5,8}|[0-9][a-z0-9]{3}", fullmatch=True)


@st.composite
def tags(draw) -> str:
    parts = [draw(_LANGUAGE)]
    if draw(st.booleans()):
        parts.append(draw(_SCRIPT))
    if draw(st.booleans()):
        parts.append(draw(_REGION))
    parts += draw(st.lists(_VARIANT, max_size=3, unique=True))
    return "-".join(parts)


LANG = next(f for f in KINDS["callout.published"].fields if f.name == "lang")


@given(tags())
def test_every_tag_of_the_grammar_is_accepted_iff_short_enough(tag):
    assert is_lang_tag(tag) == (len(tag) <= LANG_MAX)
    assert field_predicate(LANG)(tag) == is_lang_tag(tag)


@given(tags())
def test_another_case_is_refused_with_the_canonical_spelling(tag):
    for other in (tag.upper(), tag.lower()):
        if other != tag and len(tag) <= LANG_MAX:
            assert not is_lang_tag(other)
            assert canonical_case(other) == tag
            assert lang_problem(other) == f"must be written {tag} (BCP 47 case); got {other!r:.40}"


@given(st.text(max_size=40))
def test_any_text_is_judged_the_same_by_the_predicate_and_the_check(text):
    ok = field_predicate(LANG)(text)
    assert ok == (lang_problem(text) is None)
    if ok:
        assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", text)


@pytest.mark.parametrize("tag", LANG_ACCEPTED)
def test_accepted(tag):
    assert check_field(LANG, tag) == tag


@pytest.mark.parametrize("tag", [*LANG_REFUSED, b"pl", 7, None])
def test_refused_naming_the_field(tag):
    with pytest.raises(PayloadError) as caught:
        check_field(LANG, tag)
    assert caught.value.field == "lang"


def test_the_field_is_declared_once_with_its_own_type():
    with_lang = {k for k, s in KINDS.items() if s.field("lang")}
    assert {"group.profile", "callout.published", "callout.updated", "comment.posted", "position.taken"} <= with_lang
    assert not {k for k in with_lang if k.endswith(("withdrawn", "fulfilled", "closed", "cancelled"))}
    assert {KINDS[k].field("lang") for k in with_lang} == {LANG}
    assert LANG.type is FieldType.LANG and not LANG.required


def test_friendly_input_strips_but_keeps_case():
    on = "00" * 32
    assert build_value("comment.posted", {"on": on, "text": "Cześć", "lang": " pl\n"})["lang"] == "pl"
    assert "lang" not in build_value("comment.posted", {"on": on, "text": "Hello", "lang": ""})
    with pytest.raises(PayloadError, match="must be written pt-BR") as caught:
        build_value("comment.posted", {"on": on, "text": "Olá", "lang": "pt_br"})
    assert caught.value.field == "lang"


def test_parsed_payload_carries_it():
    payload = parse_payload("comment.posted", {"on": bytes(32), "text": "Hej", "lang": "pl"})
    assert payload.lang == "pl"
    assert parse_payload("comment.posted", {"on": bytes(32), "text": "Hej"}).lang is None
