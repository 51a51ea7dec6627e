"""Date and time functions (Search Reference, "Date and Time functions"), in the run's time zone
(Context.tz); format variables as in `spl.timeformat`.

- now(): the time the search runs at (Context.now).
- strftime(t, format): epoch seconds formatted; null for a non-number.
- strptime(s, format): the epoch seconds the text stands for; null when it does not fit.
- relative_time(t, "modifier"): `t` moved by a time modifier (`-1d@d`); null for a bad modifier
  or a non-number.
"""

from __future__ import annotations

from datetime import datetime

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl.eval_ops import scalar
from linux_auditd_at.spl.functions.registry import Kind, function
from linux_auditd_at.spl.timeformat import format_time, parse_time
from linux_auditd_at.spl.values import as_text, to_number


def _context(compiler, call):
    if compiler.context is None:
        raise compiler.error(f"{call.name}() needs a search run (it is not available here)", call.pos)
    return compiler.context


@function("now", 0, 0, Kind.VALUE)
def _now(compiler, call):
    return lambda row: _context(compiler, call).now


def _two_texts(name: str, apply) -> None:
    @function(name, 2, 2, Kind.VALUE)
    def build(compiler, call):
        first, second = compiler.compile(call.args[0]), compiler.compile(call.args[1])

        def evaluate(row):
            a, b = scalar(first(row)), scalar(second(row))
            if a is None or b is None:
                return None
            return apply(a, as_text(b), _context(compiler, call).tz)
        return evaluate


def _relative(value, modifier: str, tz):
    from linux_auditd_at.spl.timemodifiers import resolve_time  # calendar, locale: for this one

    number = to_number(value)
    if number is None:
        return None
    try:
        return resolve_time(modifier, datetime.fromtimestamp(number, tz))
    except (SPLError, OverflowError, ValueError, OSError):
        return None


_two_texts("strftime", format_time)
_two_texts("strptime", lambda value, fmt, tz: parse_time(as_text(value), fmt, tz))
_two_texts("relative_time", _relative)
