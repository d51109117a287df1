"""The node's time zone setting: an IANA name that zoneinfo knows (times are shown in it; issue 17)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import RequestError


def check_time_zone(name: object) -> str:
    """Return `name` if it is a time zone zoneinfo knows (like Europe/London); raise RequestError naming `time_zone`."""
    text = str(name or "").strip()
    try:
        if not text or len(text) > 64 or text != text.strip("/") or ".." in text:
            raise ValueError(text)
        ZoneInfo(text)
    except (ValueError, ZoneInfoNotFoundError):
        raise RequestError(f"{text[:64]!r} is not a time zone: use a name like Europe/London", field="time_zone") from None
    return text
