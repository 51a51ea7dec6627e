"""`bin span=<span> <field> [AS <newfield>]` (alias `bucket`): put values into bins of one span
(Search Reference 9.4, bin: "Puts continuous numerical values into discrete sets").

- Time spans (`_time`, or any field with a time unit: `span=5m`, `1h`, `1d`, `1mon`; units
  s, m, h, d, mon and their long names): the value becomes the epoch start of its bin. Bins of
  seconds, minutes and hours are aligned on epoch 0 (the page's aligntime: "Align the bin times
  to something other than base UTC time (epoch 0) ... Ignored if span is in days, months, or
  years"), so a 1h bin starts at :30 local time in a +05:30 zone. Days start at local midnight
  (Context.tz) and months on the 1st; `Nd` and `Nmon` bins count from 1970-01-01 local (those
  UNVERIFIED: the page does not say how calendar spans align).
- Numeric spans (`span=10`, `span=0.5`) on a non-time field: the value becomes the range
  `lo-hi` of its bin (`10-20`, UNVERIFIED).
- A value that is not a number is left as it is (UNVERIFIED). `bins=`, `minspan=`, `start=`,
  `end=`, `aligntime=`, log spans (`2log10`), sub-second spans and no span at all are valid SPL
  the offline engine does not support (UnsupportedSPLError); a span in other units (`1w`: the
  page's time scales are sec, min, hr, day, month and subseconds) is an SPL error.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, tzinfo

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import (
    expect_end,
    field_name,
    option,
    renamed,
    search_cursor,
    unsupported,
)
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.parser import Cursor
from linux_auditd_at.spl.timemodifiers import UNITS
from linux_auditd_at.spl.values import format_number, to_number, values_of

NAME = "bin"
_SPAN = re.compile(r"(\d+(?:\.\d+)?)([A-Za-z]*)")
_LOG_SPAN = re.compile(r"(\d+(?:\.\d+)?)?log(\d+(?:\.\d+)?)?")
_SUBSECONDS = ("us", "ms", "cs", "ds")
_SECONDS = {"s": 1, "m": 60, "h": 3600}
_OPTIONS = ("bins", "minspan", "start", "end", "aligntime")  # the page's other bin options


def _span(cursor: Cursor, text: str) -> tuple[float, str]:
    match = _SPAN.fullmatch(text)
    unit = UNITS.get(match.group(2).lower()) if match and match.group(2) else ""
    if _LOG_SPAN.fullmatch(text) or (match and match.group(2) in _SUBSECONDS):
        raise unsupported(cursor, f"span={text}", cursor.tokens[cursor.index - 1])
    if not match or unit is None or unit not in ("", "s", "m", "h", "d", "mon") or float(match.group(1)) <= 0:
        raise cursor.error(f"span={text} is not a bin span (a positive number, a log span, or a whole "
                           "number of s, m, h, d, mon or subseconds)", cursor.tokens[cursor.index - 1])
    size = float(match.group(1))
    if unit and not size.is_integer():
        raise cursor.error(f"span={text}: time spans take a whole number", cursor.tokens[cursor.index - 1])
    return size, unit


def parse(spl: str, start: int, end: int) -> tree.Bin:
    cursor = search_cursor(spl, start, end)
    span = None
    while opt := option(cursor, ("span",), _OPTIONS):
        span = _span(cursor, opt[1])
    field = field_name(cursor, "the field to bin")
    while opt := option(cursor, ("span",), _OPTIONS):
        span = _span(cursor, opt[1])
    target = renamed(cursor, field)
    expect_end(cursor, NAME)
    if span is None:
        raise unsupported(cursor, "bin without span= (automatic bins)", cursor.peek())
    size, unit = span
    if not unit and field == "_time":
        unit = "s"
    return tree.Bin(field, target, size, unit)


def _time_bin(when: float, size: int, unit: str, tz: tzinfo) -> int:
    if unit in _SECONDS:
        return int(when - when % (size * _SECONDS[unit]))
    local = datetime.fromtimestamp(when, tz)
    if unit == "d":
        day = local.date().toordinal() - datetime(1970, 1, 1).toordinal()
        start = datetime.fromordinal(datetime(1970, 1, 1).toordinal() + day - day % size)
    else:
        month = (local.year - 1970) * 12 + local.month - 1
        month -= month % size
        start = datetime(1970 + month // 12, month % 12 + 1, 1)
    return int(start.replace(tzinfo=tz).timestamp())


def _number_bin(number: float, size: float) -> str:
    low = math.floor(number / size) * size
    return f"{format_number(low)}-{format_number(low + size)}"


def prepare(node: tree.Bin, spl: str):
    def one(value, tz):
        number = to_number(value)
        if number is None:
            return value
        if node.unit:
            try:
                return _time_bin(number, int(node.size), node.unit, tz)
            except (OverflowError, ValueError, OSError):
                return value
        return _number_bin(number, int(node.size) if node.size.is_integer() else node.size)

    def run(rows, context):
        for row in rows:
            value = row.get(node.field)
            if value is None:
                yield row
                continue
            binned = [one(v, context.tz) for v in values_of(value)]
            yield {**row, node.target: binned if isinstance(value, list) else binned[0]}
    return run


def columns(node: tree.Bin, cols):
    if cols is None or node.target in cols:
        return cols
    return [*cols, node.target]


COMMAND = Command(NAME, parse, prepare, columns, keeps, aliases=("bucket",))
