"""Form errors in the page's language: the core's English errors recognised by pattern and said in each language."""

from __future__ import annotations

from node.web.form_words import error_words

from .conftest import login


def test_each_kind_of_error_is_said_in_the_language_with_its_numbers():
    assert error_words("Has 250 characters, more than 200", "pl") == "Ma 250 znaków, więcej niż 200."
    assert error_words("This is required: fill it in.", "ar") == "هذا مطلوب: يُرجى تعبئته."
    dst = "02:30 on 2026-03-29 does not exist in Europe/London (the clocks go forward then)"
    assert error_words(dst, "es") == "Las 02:30 del 2026-03-29 no existen en Europe/London: ese día se adelantan los relojes."
    assert error_words("Something no pattern knows", "ar") == "Something no pattern knows"  # (as the core said it)
    assert error_words("Must be one of low, high; got 'x'", "en") == "Must be one of low, high; got 'x'"  # the core's own
    assert error_words("Must be one of low, high; got 'x'", "bn") == "বিকল্পগুলোর একটি বেছে নিন।"


async def test_a_bad_form_shows_its_errors_in_the_visitor_s_language_and_stores_nothing(client, node):
    csrf = await login(client, node.token)
    await client.get("/language", params={"lang": "es"})
    before = await node.count()
    resp = await client.post(
        "/publish/callout.published",
        data={"csrf": csrf, "title": "x" * 201, "text": "t", "needs": "people", "starts_at": "2031-05-01T18:00",
              "ends_at": "2031-05-01T17:00"},
    )  # fmt: skip
    page = await resp.text()
    assert resp.status == 422
    assert "Tiene 201 caracteres, más de 200." in page and "Antes del inicio" in page
    assert "No se ha publicado nada" in page and await node.count() == before
