"""Links in what groups wrote, made clickable safely: the text is escaped first, then only http(s) URLs become links.

Not bleach: it is deprecated (its maintainers stopped in 2023), and it parses HTML to find text nodes, while our
text is plain text that never holds markup: escaping each piece and wrapping each URL is all that is needed.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

URL_MAX = 2000  # characters of one link (longer ones stay plain text)
_URL = re.compile(r"\bhttps?://[^\s<>\"'\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING = ".,;:!?*'\""  # sentence punctuation after a URL is not part of it


def _trimmed(url: str) -> str:
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
        url = url[:-1]
    return url


def linkify(text: Any) -> Markup:
    """Return `text` HTML-escaped, with each http(s) URL in it an <a rel="nofollow noopener noreferrer"> to itself."""
    text = "" if text is None else str(text)
    out: list[str] = []
    done = 0
    for m in _URL.finditer(text):
        url = _trimmed(m.group(0))
        if len(url) <= len("https://") or len(url) > URL_MAX:
            continue
        end = m.start() + len(url)
        out.append(str(escape(text[done : m.start()])))
        out.append(f'<a href="{escape(url)}" rel="nofollow noopener noreferrer">{escape(url)}</a>')
        done = end
    out.append(str(escape(text[done:])))
    return Markup("".join(out))
