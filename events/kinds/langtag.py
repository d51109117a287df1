"""Language tags of posts: the subset of BCP 47 (RFC 5646) a payload's `lang` field accepts, in canonical case only.

Accepted (docs/KINDS.md, "Language of a post"): at most 35 ASCII characters,
`language ["-" script] ["-" region] *("-" variant)` where language is 2-3 lower-case letters, script one upper-case
and three lower-case letters, region two upper-case letters or three digits, and a variant 5-8 lower-case letters
or digits, or a digit and three of them. Extended language, extension and private-use subtags are refused, and so
is any other case (`PL`, `pt-br`): one language has one encoding, so the same post is the same bytes everywhere and a
filter compares exact strings. Only the form is checked (RFC 5646 "well-formed"), not the registry ("valid"): a
repeated variant or an unregistered subtag passes, so the pattern and the length are the whole rule, which the
API's JSON Schema states as is.
"""

from __future__ import annotations

import re

LANG_MAX = 35
LANG_PATTERN = r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
"""The tag's grammar as a regular expression (unanchored; with LANG_MAX, the whole rule)."""
_TAG = re.compile(LANG_PATTERN)


def is_lang_tag(value: object) -> bool:
    """True iff `value` is a str that is an accepted language tag in canonical case."""
    return type(value) is str and len(value) <= LANG_MAX and _TAG.fullmatch(value) is not None


def canonical_case(text: str) -> str:
    """Return `text` with each subtag in the case BCP 47 calls canonical (a suggestion for refused input)."""
    parts = text.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.capitalize())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def lang_problem(value: object) -> str | None:
    """Return why `value` is not an accepted language tag (None if it is one)."""
    if type(value) is not str:
        return "must be a language tag (text such as pl or pt-BR)"
    if is_lang_tag(value):
        return None
    if len(value) > LANG_MAX:
        return f"has {len(value)} characters, more than {LANG_MAX}"
    if value.isascii() and value.isprintable() and is_lang_tag(canonical_case(value)):
        return f"must be written {canonical_case(value)} (BCP 47 case); got {value!r:.40}"
    return f"must be a language tag such as pl, pt-BR or sr-Latn; got {value!r:.40}"
