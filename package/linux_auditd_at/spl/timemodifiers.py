"""Splunk relative time modifiers (`-70m@m`, `@d`, `-1w@w0`, `+1d@h`, `now`), epoch numbers and
ISO 8601, resolved against a tz-aware `now`; snapping happens in now's time zone.

A modifier is a sequence of offsets (`[+-][N]unit`, N defaulting to 1) and snaps (`@unit`,
`@w0`..`@w7` for a weekday, 0 and 7 being Sunday) applied left to right, so `@d+3h` and
`-1d@d` both work. Seconds, minutes and hours move absolute time; days, weeks, months, quarters
and years move the calendar (wall clock), so `-1d` across a DST change keeps the clock time.
A month offset that lands past the month's end clamps to its last day (UNVERIFIED).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

from linux_auditd_at.errors import SPLError

UNITS = {}
for _canonical, _names in {
    "s": ("s", "sec", "secs", "second", "seconds"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("d", "day", "days"),
    "w": ("w", "week", "weeks"),
    "mon": ("mon", "month", "months"),
    "q": ("q", "qtr", "qtrs", "quarter", "quarters"),
    "y": ("y", "yr", "yrs", "year", "years"),
}.items():
    UNITS.update(dict.fromkeys(_names, _canonical))

_PART = re.compile(r"(?P<offset>[+-]\d*)(?P<unit>[a-z]+)|@(?P<snap>[a-z]+)(?P<weekday>[0-7])?")
_EPOCH = re.compile(r"\d+(?:\.\d+)?")


def _error(modifier: str, position: int, why: str) -> SPLError:
    return SPLError(f"invalid time modifier {modifier!r}: {why}", spl=modifier, position=position)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _offset(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("s", "m", "h"):
        seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
        return datetime.fromtimestamp(moment.timestamp() + seconds, moment.tzinfo)
    if unit in ("d", "w"):
        return moment + timedelta(days=amount * (7 if unit == "w" else 1))
    return _add_months(moment, amount * {"mon": 1, "q": 3, "y": 12}[unit])


def _snap(moment: datetime, unit: str, weekday: int | None) -> datetime:
    if unit == "s":
        return moment.replace(microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    if unit == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return day
    if unit == "w":
        wanted = (weekday or 0) % 7  # Splunk: 0 = Sunday; Python: Monday = 0
        back = (day.isoweekday() % 7 - wanted) % 7
        return day - timedelta(days=back)
    if unit == "mon":
        return day.replace(day=1)
    if unit == "q":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def resolve_time(modifier: str, now: datetime) -> float:
    """Epoch seconds for `modifier` relative to `now` (tz-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    text = modifier.strip()
    if not text:
        raise _error(modifier, 0, "empty")
    if text in ("now", "now()"):
        return now.timestamp()
    if _EPOCH.fullmatch(text):
        return float(text)
    if text[0].isdigit():
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _error(modifier, 0, "not an epoch number, ISO 8601 time or relative time") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)).timestamp()
    moment, position, lowered = now, 0, text.lower()
    while position < len(lowered):
        match = _PART.match(lowered, position)
        if not match:
            raise _error(modifier, position, "expected [+-]<number><unit> or @<unit>")
        written = match.group("unit") or match.group("snap")
        unit = UNITS.get(written)
        if unit is None:
            raise _error(modifier, position, f"unknown time unit {written!r}")
        if match.group("snap"):
            weekday = match.group("weekday")
            if weekday is not None and unit != "w":
                raise _error(modifier, position, "only weeks (@w0..@w7) take a weekday")
            moment = _snap(moment, unit, int(weekday) if weekday else None)
        else:
            sign, digits = match.group("offset")[0], match.group("offset")[1:]
            try:
                amount = int(digits) if digits else 1
                moment = _offset(moment, -amount if sign == "-" else amount, unit)
            except (OverflowError, ValueError):
                raise _error(modifier, position, "out of the range of dates (years 1 to 9999)") from None
        position = match.end()
    return moment.timestamp()
