"""The search fold (events/readmodel/search.py): the ASCII shortcut gives what the full Unicode fold gives."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from events.readmodel.search import fold


def unicode_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFKC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_folds_as_the_unicode_fold_does(text: str) -> None:
    assert fold(text) == unicode_fold(text)


@given(st.text())
def test_any_text_folds_as_the_unicode_fold_does(text: str) -> None:
    assert fold(text) == unicode_fold(text)


def test_accents_and_case_fold_away() -> None:
    assert fold("Café ÉVICTION Straße") == "cafe eviction strasse"
    assert fold("Hackney TENANTS") == "hackney tenants"
