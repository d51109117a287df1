"""Dates, times and numbers in a language's own words and digits (Babel), in the node's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from .languages import language


def _locale(code: str) -> Locale:
    """Return Babel's Locale of the shipped language `code` names (a code given to Babel as text is parsed per call)."""
    return _parsed(language(code).code)


@cache
def _parsed(shipped: str) -> Locale:  # one per shipped language: the cache stays as small as the list
    return Locale.parse(shipped)


def _is_ms(ms: object) -> bool:
    return isinstance(ms, int) and not isinstance(ms, bool)


_UNITS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60)
"""Babel's year, month, week, day, hour and minute, in seconds: an age is floored to a whole number of one of them."""


def offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _zone_label(moment: datetime) -> str:
    name = moment.tzname() or ""
    # Zones without a common abbreviation name themselves by their offset ('+04'): show the offset once.
    return offset_text(moment) if not name or name[0] in "+-" else f"{name} ({offset_text(moment)})"


def format_when(ms: object, zone: ZoneInfo, code: str) -> str:
    """Return a time (ms since the epoch) in `zone`, worded in language `code`, with its UTC offset ('' if not a time).

    en: 'Tue 2 Dec 2026, 19:00 GMT (UTC+00:00)'; the zone and offset are written the same in every language.
    """
    if not _is_ms(ms):
        return ""
    return _when(ms, zone, language(code).code)


# Formatted once per distinct (value, zone, language): a page shows each time twice (its text and its title) and the
# same pages are asked for again and again, while Babel's formatting is the largest part of rendering a list page.
# Bounded, so memory does not grow with the history; a zone or language is part of the key, so nothing goes stale.
FORMAT_CACHE = 4096


@lru_cache(maxsize=FORMAT_CACHE)
def _when(ms: int, zone: ZoneInfo, shipped: str) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)
    text = format_datetime(moment, "EEE d MMM y, HH:mm", tzinfo=zone, locale=_parsed(shipped))
    return f"{text} {_zone_label(moment)}"


def format_age(ms: object, now_ms: int, code: str, just_now: str = "just now") -> str:
    """Return how long ago a time was, in language `code` ('3 weeks ago'; `just_now` under a minute); '' if not a time."""
    if not _is_ms(ms):
        return ""
    seconds = max(0, (now_ms - ms) // 1000)
    for size in _UNITS:
        if seconds >= size:
            return _age(seconds // size, size, language(code).code)
    return just_now


@lru_cache(maxsize=FORMAT_CACHE)
def _age(count: int, size: int, shipped: str) -> str:  # `count` whole units of `size` seconds: a few hundred texts
    floored = timedelta(seconds=-count * size)
    return format_timedelta(floored, threshold=1, add_direction=True, format="long", locale=_parsed(shipped))


def format_number(value: object, code: str) -> str:
    """Return a number with the language's digits and separators ('1,234' in English); '' if it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    if isinstance(value, float):  # not cached: 0.0 and -0.0 are one key but two texts
        return format_decimal(value, locale=_locale(code))
    return _integer(value, language(code).code)


@lru_cache(maxsize=FORMAT_CACHE)
def _integer(value: int, shipped: str) -> str:
    return format_decimal(value, locale=_parsed(shipped))
