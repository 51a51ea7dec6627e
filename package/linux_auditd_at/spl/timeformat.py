"""Splunk's time format variables (Search Reference, "Date and time format variables"): strftime
codes plus `%<n>N` (the first n digits of the fraction of a second) and `%s` (epoch seconds).
Used by `convert ctime()` and the eval functions strftime() and strptime().

Formatting splits whole seconds and the fraction exactly (Decimal), so nothing rounds up into the
next second; times no calendar date holds (past year 9999) give None. Parsing maps `%1N`..`%6N` to
Python's `%f` (1 to 6 digits); a time without a zone (`%z`/`%Z`) is read in the given
zone; text that does not fit the format gives None (UNVERIFIED: Splunk's strptime() is assumed to
return null then). `%9N` and other Splunk-only variables are not supported for parsing.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import datetime, tzinfo

from linux_auditd_at.spl.values import as_text, to_number

_SUBSECONDS = re.compile(r"%([1-9])N")
_PARSE_SUBSECONDS = re.compile(r"%[1-6]N")
KEPT = 1 << 16
"""How many texts and whole seconds a time_formatter keeps before it starts over."""


def format_time(value: object, timeformat: str, tz: tzinfo,
                cache: dict[int, str] | None = None) -> str | None:
    """Epoch seconds formatted in `tz`, or None when the value is not a number or no date holds it.
    Without `%N` the text depends on the whole second alone: `cache` (one per format and zone)
    keeps each second's text, so many times in one second are formatted once."""
    subseconds = _SUBSECONDS.search(timeformat)
    if to_number(value) is None:
        return None
    from decimal import Decimal  # here, not at start-up: a search that returns no row needs none

    exact = Decimal(as_text(value).strip())
    seconds = math.floor(exact)
    if not subseconds:
        return _whole_second(seconds, timeformat, tz, cache)
    try:
        moment = datetime.fromtimestamp(seconds, tz)
    except (OverflowError, ValueError, OSError):
        return None
    fraction = format(exact - seconds, "f").partition(".")[2].ljust(9, "0")
    timeformat = _SUBSECONDS.sub(lambda m: fraction[: int(m.group(1))], timeformat)
    return moment.strftime(timeformat.replace("%s", str(seconds)))


def _whole_second(seconds: int, timeformat: str, tz: tzinfo,
                  cache: dict[int, str] | None) -> str | None:
    """A whole second in a format without `%N` (None when no date holds it), kept in `cache`."""
    if cache is not None and seconds in cache:
        return cache[seconds]
    try:
        moment = datetime.fromtimestamp(seconds, tz)
        text: str | None = moment.strftime(timeformat.replace("%s", str(seconds)))
    except (OverflowError, ValueError, OSError):
        text = None
    if cache is not None and text is not None:
        cache[seconds] = text
    return text


@functools.lru_cache(maxsize=16)
def time_formatter(timeformat: str, tz: tzinfo) -> Callable[[object], str | None]:
    """format_time in one format and zone for the many values of searches (convert ctime()): each
    distinct text and, without `%N`, each whole second is formatted once, at most KEPT of each
    kept (then they start over); a plain decimal (`1795915736.369`) is read as its whole second
    without Decimal. One per format and zone, shared by the searches that use it (the
    text depends on nothing else)."""
    texts: dict[str, str | None] = {}
    seconds: dict[int, str] = {}
    by_second = not _SUBSECONDS.search(timeformat)

    def formatted(value: object) -> str | None:
        if type(value) is str and value in texts:
            return texts[value]
        if len(texts) >= KEPT or len(seconds) >= KEPT:
            texts.clear()
            seconds.clear()
        if type(value) is not str:
            return format_time(value, timeformat, tz, seconds)
        whole, _, fraction = value.partition(".")
        if by_second and whole.isdecimal() and (fraction.isdecimal() or not fraction):
            text = _whole_second(int(whole), timeformat, tz, seconds)  # the floor, exactly
        else:
            text = format_time(value, timeformat, tz, seconds)
        texts[value] = text
        return text
    return formatted


def parse_time(text: str, timeformat: str, tz: tzinfo) -> float | int | None:
    """The epoch time `text` stands for under `timeformat`, or None when it does not fit."""
    if timeformat == "%s":
        return to_number(text)
    try:
        moment = datetime.strptime(text, _PARSE_SUBSECONDS.sub("%f", timeformat))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    from decimal import Decimal, InvalidOperation

    try:
        stamp = Decimal(math.floor(moment.timestamp())) + Decimal(moment.microsecond) / 1_000_000
    except (OverflowError, InvalidOperation):
        return None
    return int(stamp) if stamp == int(stamp) else float(stamp)
