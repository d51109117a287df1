"""Form errors in the page's language: the core's English errors recognised by pattern and said in each language."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from node.web.form_words import error_words, pattern_of
from node.web.forms import field_message

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


# -- every refusal a page can show has a pattern ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
SHOWN = sorted(
    {
        "events/kinds/fields.py",
        "node/datadir.py",
        "node/references.py",
        "node/private_events.py",
        "node/private_keys.py",
        "node/members/accounts.py",
        "node/members/activity.py",
        "node/members/api_tokens.py",
        "node/members/links.py",
        "node/members/members.py",
        "node/members/roles.py",
        "node/notify/prefs.py",
        "node/i18n/languages.py",
        *(str(p.relative_to(ROOT)) for p in (ROOT / "node" / "web").glob("*.py")),
    }
    - {"node/web/session_store.py"}  # (its file at start-up: an operator's problem, read in the log)
)
"""The modules whose errors the page shows a member: the core's field checks, the checks of what our events point
at, private events, the pages themselves, members and their links and tokens, notification choices. (The node's other
errors come from the store or the network and are the API's.)"""
HOLES = (
    "",
    "callout",
    "a callout",
    "64 hex digits",
    "7",
    "'x'",
    "withdrawn",
    "Europe/London",
    "02:30",
    "2026-03-29",
    "/srv/solnet/key",
)
"""What a message's `{...}` parts are tried with: nothing, a field or kind name (bare or with its article), what an id
is written as, a number, a quoted value, a status, a zone, a time, a day, a path."""


def _messages(path: str) -> list[tuple[str, ast.JoinedStr | ast.Constant]]:
    """Return the messages written at a module's raise sites: an error's first argument (a field check's message, the
    core's `_fail(spec, message)`), a value put in `errors` (a form's errors by field) and a dict returned by a function
    named `*_errors`."""
    found = []
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        values: list[ast.expr] = []
        if isinstance(node, ast.Call) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            values = [node.args[0]] if name.endswith("Error") else node.args[1:2] if name == "_fail" else []
        elif isinstance(node, ast.Assign) and isinstance(target := node.targets[0], ast.Subscript):
            values = [node.value] if isinstance(target.value, ast.Name) and target.value.id == "errors" else []
        elif isinstance(node, ast.FunctionDef) and node.name.endswith("_errors"):
            returned = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and isinstance(r.value, ast.Dict)]
            values = [v for d in returned for v in d.values if v is not None]
        found += [(f"{path}:{v.lineno}", v) for v in values if isinstance(v, ast.JoinedStr | ast.Constant)]
    return [(where, v) for where, v in found if not isinstance(v, ast.Constant) or isinstance(v.value, str)]


def _samples(message: ast.JoinedStr | ast.Constant) -> list[str]:
    """Return the texts a message can be, with its `{...}` parts filled from HOLES (a leading `{field}: ` dropped, as
    the page does)."""
    if isinstance(message, ast.Constant):
        return [message.value]
    parts = list(message.values)
    if len(parts) > 1 and isinstance(parts[0], ast.FormattedValue) and str(getattr(parts[1], "value", "")).startswith(": "):
        parts = [ast.Constant(parts[1].value[2:]), *parts[2:]]
    holes = [i for i, p in enumerate(parts) if isinstance(p, ast.FormattedValue)]
    if not any(isinstance(p, ast.Constant) and p.value.strip() for p in parts):
        return []  # (a message passed through, as `_fail` itself does: its own raise sites are read)
    texts = []
    for filled in itertools.product(HOLES, repeat=len(holes)):
        fill = dict(zip(holes, filled, strict=True))
        texts.append("".join(fill.get(i, p.value) for i, p in enumerate(parts)))
    return texts


MESSAGES = [(where, message) for path in SHOWN for where, message in _messages(path)]


def test_the_scan_finds_the_refusals_it_must():
    texts = {s for _, m in MESSAGES for s in _samples(m)}
    assert len(MESSAGES) > 50
    assert "this callout is withdrawn: it can no longer be changed" in texts  # node/references.py
    assert "the two passwords are not the same." not in texts and "The two passwords are not the same." in texts


@pytest.mark.parametrize("where,message", MESSAGES, ids=[w for w, _ in MESSAGES])
def test_every_refusal_a_page_can_show_has_a_pattern(where, message):
    samples = [field_message(s, None) for s in _samples(message)]
    assert not samples or any(pattern_of(s) for s in samples), f"{where}: no pattern in form_words.py for {samples[0]!r}"


def test_a_message_without_a_pattern_is_seen():
    made_up = ast.parse('raise RequestError(f"this {thing} is not in any catalogue")').body[0].exc
    assert not any(pattern_of(field_message(s, None)) for s in _samples(made_up.args[0]))


def test_the_refusals_of_references_are_said_in_each_language():
    assert error_words("This callout is withdrawn: it can no longer be changed", "es") == (
        "Se ha retirado y ya no se puede cambiar."
    )
    assert error_words("this assembly is cancelled: it can no longer be changed", "pl") != (
        "this assembly is cancelled: it can no longer be changed"
    )
    assert error_words("A password has at least 12 characters", "pl") == "Hasło ma co najmniej 12 znaków."
    assert error_words("There is already a member called 'Ola'", "ar").endswith("'Ola'.")
