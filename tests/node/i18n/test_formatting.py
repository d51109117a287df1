"""Formatted times, ages and numbers: each distinct value is formatted once, and the cached text is Babel's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal

from node.i18n import LANGUAGES
from node.i18n import formatting as f

ZONES = [ZoneInfo("Europe/London"), ZoneInfo("Asia/Kolkata"), ZoneInfo("America/Sao_Paulo")]
TIMES = [0, 1_767_225_600_000, 1_774_746_000_000, 1_792_890_000_123]  # 1970, 2026-01-01, around a clock change, ...


def test_cached_times_numbers_and_ages_are_babels_own_in_every_language():
    now = 1_800_000_000_000
    for lang in LANGUAGES:
        locale = Locale.parse(lang.code)
        for _ in range(2):  # the second round comes from the cache
            for zone in ZONES:
                for ms in TIMES:
                    moment = datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)
                    text = format_datetime(moment, "EEE d MMM y, HH:mm", tzinfo=zone, locale=locale)
                    assert f.format_when(ms, zone, lang.code) == f"{text} {f._zone_label(moment)}"
            for value in (0, 7, 1234, 10**9, -5):
                assert f.format_number(value, lang.code) == format_decimal(value, locale=locale)
            assert f.format_number(-0.0, lang.code) == format_decimal(-0.0, locale=locale)
            assert f.format_number(0.0, lang.code) == format_decimal(0.0, locale=locale)
            for ago_s in (90, 3 * 3600 + 5, 20 * 86400, 400 * 86400):
                floored = next(-(ago_s // u) * u for u in f._UNITS if ago_s >= u)
                want = format_timedelta(timedelta(seconds=floored), threshold=1, add_direction=True, format="long", locale=locale)
                assert f.format_age(now - ago_s * 1000, now, lang.code) == want


def test_the_caches_are_bounded_and_not_times_are_empty():
    for cached in (f._when, f._integer, f._age):
        assert cached.cache_info().maxsize == f.FORMAT_CACHE
    assert f.format_when(True, ZONES[0], "en") == f.format_when("1", ZONES[0], "en") == ""
    assert f.format_number(True, "en") == f.format_number(None, "en") == ""
