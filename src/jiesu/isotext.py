"""Stored times as ISO text in the office's zone, fast enough for a million-row export.

`render.iso` makes each value a datetime, converts its zone and formats it: about
a microsecond and a half a time, five times a case. SQLite hands the time over as
UTC text (`2026-11-03 01:30:00.000000`), and every moment of one UTC hour has the
same local hour and offset wherever the zone's offset is whole hours and does not
change within that hour; so the hour's local text is worked out once and the
minutes and seconds copied across. Anything else (another layout, a zone at
+05:30, the hour a clock changes, PostgreSQL's datetimes) takes the exact way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from jiesu.render import iso

_LAST_SECOND = timedelta(minutes=59, seconds=59, microseconds=999_999)


def local_iso(tz: ZoneInfo, stored: Callable[[Any], datetime | None]) -> Callable[[Any], str | None]:
    """A function giving `render.iso` of a stored time; `stored` reads a raw value as the column type does."""
    hours: dict[str, tuple[str, str] | None] = {}

    def exact(value: Any) -> str | None:
        return iso(stored(value), tz)

    def hour_of(key: str) -> tuple[str, str] | None:
        try:
            start = datetime.fromisoformat(key + ":00").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
        offset = start.astimezone(tz).utcoffset()
        if offset != (start + _LAST_SECOND).astimezone(tz).utcoffset() or offset % timedelta(hours=1):
            return None
        local = iso(start, tz)  # YYYY-MM-DDTHH:00:00+HH:MM
        return local[:13], local[19:]

    def formatted(value: Any) -> str | None:
        if value.__class__ is not str or len(value) not in (19, 26) or value[10] != " " or value[16] != ":":
            return None if value is None else exact(value)
        key = value[:13]
        try:
            hour = hours[key]
        except KeyError:
            hour = hours[key] = hour_of(key)
        if hour is None:
            return exact(value)
        return f"{hour[0]}{value[13:19]}{hour[1]}"

    return formatted
