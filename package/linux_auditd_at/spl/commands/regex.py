"""`regex [field=|field!=]"<PCRE>"`: keep the rows whose field (default `_raw`) the regular
expression matches (`=`), or does not match (`!=`), anywhere in the value (Search Reference,
regex: "Removes results that match or do not match the specified regular expression").

A row without the field is dropped by `=` and kept by `!=` (UNVERIFIED); a multivalue field
matches when any value does. The regex is PCRE (see `spl.regex`); a match-limit hit ends the
search with an error at the regex.
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, regex_argument, regex_guard, search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps, same_columns
from linux_auditd_at.spl.lexer import OP, WORD
from linux_auditd_at.spl.values import as_text, values_of

NAME = "regex"


def parse(spl: str, start: int, end: int) -> tree.RegexFilter:
    cursor = search_cursor(spl, start, end)
    field, keep = "_raw", True
    if cursor.at(WORD) and (cursor.at(OP, "=", ahead=1) or cursor.at(OP, "!=", ahead=1)):
        field = cursor.next().value
        keep = cursor.next().value == "="
    regex, token = regex_argument(cursor)
    expect_end(cursor, NAME)
    return tree.RegexFilter(field, keep, regex_guard(regex.search, cursor, token))


def prepare(node: tree.RegexFilter, spl: str):
    def matches(row) -> bool:
        values = values_of(row.get(node.field))
        if not values:
            return not node.keep
        return any(node.search(as_text(v)) is not None for v in values) == node.keep
    return lambda rows, context: (row for row in rows if matches(row))


COMMAND = Command(NAME, parse, prepare, same_columns, keeps)
