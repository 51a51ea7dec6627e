"""`convert [timeformat="..."] ctime(field) [AS name] ...`: epoch seconds to formatted time.

Formats in Context.tz with strftime codes; `%S` drops the fraction (truncation), `%3N`/`%6N`/`%9N`
give the first 3/6/9 digits of the fraction. Without AS the field is replaced. Values that are
not numbers, or times no calendar date holds (year beyond 9999), are left unchanged
(UNVERIFIED). The default format is Splunk's `%m/%d/%Y %H:%M:%S`. Each distinct value and each
whole second is formatted once (`timeformat.time_formatter`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import (
    expect_end,
    field_name,
    option,
    renamed,
    search_cursor,
)
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.context import Context
from linux_auditd_at.spl.lexer import COMMA, EOF, LPAREN, RPAREN, WORD
from linux_auditd_at.spl.timeformat import time_formatter

NAME = "convert"
DEFAULT_TIMEFORMAT = "%m/%d/%Y %H:%M:%S"


def parse(spl: str, start: int, end: int) -> tree.Convert:
    cursor = search_cursor(spl, start, end)
    timeformat = DEFAULT_TIMEFORMAT
    while opt := option(cursor, ("timeformat",)):
        timeformat = opt[1]
    conversions = []
    while not cursor.at(EOF):
        token = cursor.peek()
        if token.kind != WORD or not cursor.at(LPAREN, ahead=1):
            cursor.fail("expected a conversion such as ctime(field)")
        if token.value != "ctime":
            cursor.fail(f"unsupported convert function {token.value!r} (supported: ctime)")
        cursor.next(), cursor.next()
        field = field_name(cursor, "a field inside ctime()")
        if "*" in field:
            cursor.fail("wildcard fields in convert are not supported", cursor.tokens[cursor.index - 1])
        cursor.expect(RPAREN, "')' to close ctime(")
        target = renamed(cursor, field)
        conversions.append(("ctime", field, target))
        cursor.accept(COMMA)
    if not conversions:
        cursor.fail("convert needs a conversion such as ctime(field)")
    expect_end(cursor, NAME)
    return tree.Convert(timeformat, tuple(conversions))


def _ctime(value: object, formatted: Callable[[object], str | None]) -> object:
    """One value formatted as time, or unchanged when it is not a number or no date holds it."""
    text = formatted(value)
    return value if text is None else text


def prepare(node: tree.Convert, spl: str):
    def run(rows: Iterable[dict], context: Context) -> Iterator[dict]:
        formatted = time_formatter(node.timeformat, context.tz)
        for row in rows:
            row = dict(row)
            for _, field, target in node.conversions:
                value = row.get(field)
                if value is not None:
                    row[target] = ([_ctime(v, formatted) for v in value] if isinstance(value, list)
                                   else _ctime(value, formatted))
            yield row
    return run


def columns(node: tree.Convert, cols):
    if cols is None:
        return None
    return cols + [t for t in dict.fromkeys(t for _, _, t in node.conversions) if t not in cols]


COMMAND = Command(NAME, parse, prepare, columns, keeps)
