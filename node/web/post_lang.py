"""Showing a post's language (its payload's `lang`): the attributes on the element holding the group's text, and a
label naming the language when it is not the page's (templates call `post_lang(item)` and `lang_label(item)`)."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup, escape

from events.kinds.langtag import is_lang_tag

from ..i18n.post_languages import language_name, same_language


def _tag(item: Any) -> str | None:
    tag = item.get("lang") if isinstance(item, dict) else None
    return tag if is_lang_tag(tag) else None  # read models hold checked tags; anything else is not shown as one


def post_lang(item: Any) -> Markup:
    """Return ` lang="TAG" dir="auto"` for an item whose post says its language (so screen readers and right-to-left
    scripts render its text right), else nothing (the text then inherits the page's language, as before)."""
    tag = _tag(item)
    return Markup(' lang="{}" dir="auto"').format(tag) if tag else Markup("")


@jinja2.pass_context
def lang_label(context: Any, item: Any) -> Markup:
    """Return a small label naming the item's language in the page's language, when it says one that is not the page's."""
    tag = _tag(item)
    page = context.get("lang") or "en"
    if not tag or same_language(tag, page):
        return Markup("")
    return Markup('<span class="badge lang-label" title="{}">{}</span>').format(tag, escape(language_name(tag, page)))


def install_post_lang(env: jinja2.Environment) -> None:
    """Make `post_lang` and `lang_label` callable from every template."""
    env.globals.update(post_lang=post_lang, lang_label=lang_label)
