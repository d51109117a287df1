"""The catalogues are complete and the templates hold no text that skips them (tools/i18n.py does both checks)."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp_jinja2 import get_env

from node.i18n import LANGUAGES, translations
from node.web.render import TEMPLATES, setup_templates
from tools.i18n import extract, problems, untranslated


@pytest.fixture(scope="module")
def template():
    return extract()


@pytest.fixture(scope="module")
def env():
    app = web.Application()
    setup_templates(app)
    return get_env(app)


@pytest.mark.parametrize("code", [lang.code for lang in LANGUAGES])
def test_every_message_is_translated_without_guesses_and_with_the_same_placeholders(code, template):
    assert len(template) > 20
    assert problems(code, template) == []


def test_the_checks_see_a_missing_and_a_fuzzy_translation(tmp_path, template, monkeypatch):
    from babel.messages.pofile import read_po, write_po

    import tools.i18n as tool

    with tool.po_path("es").open("rb") as fh:
        catalog = read_po(fh, locale="es")
    ids = [m.id for m in catalog if m.id and isinstance(m.id, str) and "%(" not in m.id]
    placed = next(m.id for m in catalog if isinstance(m.id, str) and "%(" in m.id)
    del catalog[ids[0]]
    catalog[ids[1]].flags.add("fuzzy")
    catalog[placed].string = "%(nope)s"
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "es" / "LC_MESSAGES" / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    monkeypatch.setattr(tool, "po_path", lambda code: tmp_path / code / "LC_MESSAGES" / "messages.po")
    found = problems("es", template)
    assert f"es: missing {ids[0]!r}" in found and f"es: fuzzy {ids[1]!r}" in found
    assert any(p.startswith(f"es: {placed!r}: ") for p in found), found


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_a_template_shows_no_text_that_is_not_translated(name, env):
    assert untranslated(env, name) == []


def test_the_template_check_sees_text_attributes_and_constants_outside_gettext(tmp_path, env, monkeypatch):
    import tools.i18n as tool

    (tmp_path / "t.html").write_text(
        '{% set title = "Our page" %}<p title="Hello there">{% trans %}Fine{% endtrans %} {{ _("Fine too") }}</p>\n'
        "<p>Left out {{ x }}</p><p>{{ x|default('Nobody') }}</p><p>·</p><p class=\"card callout\">{{ 'a-b' }}</p>"
    )
    monkeypatch.setattr(tool, "TEMPLATES", tmp_path)
    assert sorted(untranslated(env, "t.html")) == ["Hello there", "Left out", "Nobody", "Our page"]


def test_each_language_translates_the_page_s_words():
    words = {lang.code: translations(lang.code).gettext("Log in") for lang in LANGUAGES}
    assert words["en"] == "Log in"
    assert len(set(words.values())) == len(LANGUAGES)  # (every language words it its own way)
