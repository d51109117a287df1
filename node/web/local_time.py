"""Times on pages and in forms, in the node's configured time zone (IANA, e.g. Europe/London), whatever the
machine's own zone: the one place a stored time (UTC milliseconds) becomes text and a typed time becomes UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import i18n
from ..datadir import DEFAULT_TIME_ZONE as DEFAULT_ZONE
from ..errors import RequestError
from ..i18n import DEFAULT_LANGUAGE

_LOCAL = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def zone_of(name: str | None) -> ZoneInfo:
    """Return the ZoneInfo of `name` (the default, Europe/London, when it is empty or unknown)."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ValueError, ZoneInfoNotFoundError):
        return ZoneInfo(DEFAULT_ZONE)


def _moment(ms: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)


def format_when(ms: object, zone: ZoneInfo, code: str = DEFAULT_LANGUAGE) -> str:
    """Return a time (ms since the epoch) in `zone` with its offset, worded in language `code`."""
    return i18n.format_when(ms, zone, code)


def iso_when(ms: object, zone: ZoneInfo) -> str:
    """Return a time as ISO 8601 with the zone's offset (for `<time datetime=...>`), or '' if it is not a time."""
    if not isinstance(ms, int) or isinstance(ms, bool):
        return ""
    return _moment(ms, zone).isoformat(timespec="minutes")


def input_value(ms: int | None, zone: ZoneInfo) -> str:
    """Return a datetime-local input value ('2026-12-02T19:00') in `zone` for ms since the epoch."""
    if ms is None:
        return ""
    return _moment(ms, zone).strftime("%Y-%m-%dT%H:%M")


def is_local_input(text: str) -> bool:
    """Return whether `text` is a wall-clock time without an offset ('2026-12-02T19:00' or '2026-12-02 19:00')."""
    return _LOCAL.fullmatch(text.strip()) is not None


def parse_local(text: str, zone: ZoneInfo, *, field: str) -> datetime:
    """Return the aware moment a wall-clock time names in `zone`; raise RequestError naming `field`.

    A time that does not exist there (skipped when clocks go forward) is refused; one that happens twice (when
    clocks go back) is the first of the two (PEP 495 fold=0).
    """
    found = _LOCAL.fullmatch(text.strip())
    if not found:
        raise RequestError(f"{field}: must be a date and time like 2026-12-02T19:00; got {text.strip()!r:.40}", field=field)
    try:
        naive = datetime.fromisoformat(f"{found[1]}T{found[2]}{found[3] or ''}")
    except ValueError:
        raise RequestError(f"{field}: {text.strip()!r:.40} is not a real date and time", field=field) from None
    moment = naive.replace(tzinfo=zone, fold=0)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise RequestError(
            f"{field}: {naive:%H:%M} on {naive:%Y-%m-%d} does not exist in {zone.key} (the clocks go forward then)",
            field=field,
        )
    return moment


def day_start_ms(text: str, zone: ZoneInfo, *, field: str = "date") -> int:
    """Return the first moment of a YYYY-MM-DD day in `zone`, in ms; raise RequestError naming `field`."""
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise RequestError(f"{field} must be a day like 2025-05-01", field=field) from None
    start = day.replace(tzinfo=zone)
    if start.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != day:  # midnight skipped: the day starts later
        start = (day + timedelta(hours=1)).replace(tzinfo=zone)
    return int(start.timestamp() * 1000)


def today_start_ms(now_ms: int, zone: ZoneInfo) -> int:
    """Return the first moment (ms) of the day `now_ms` falls on in `zone`."""
    return day_start_ms(_moment(now_ms, zone).strftime("%Y-%m-%d"), zone)


def age_text(ms: object, now_ms: int, code: str = DEFAULT_LANGUAGE, just_now: str = "just now") -> str:
    """Return how long ago a time was, in words of language `code` ('5 minutes ago', '3 weeks ago'); '' if not a time."""
    return i18n.format_age(ms, now_ms, code, just_now)
