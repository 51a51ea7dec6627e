"""`fields [+|-] f1, f2 ...`: keep (default) or remove fields; `*` wildcards (streaming).

Keeping still keeps the internal `_raw` and `_time`, as in Splunk; `fields - _raw` removes them.
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, field_list, matching_names, search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.lexer import WORD
from linux_auditd_at.spl.projection import INTERNAL

NAME = "fields"


def parse(spl: str, start: int, end: int) -> tree.Fields:
    cursor = search_cursor(spl, start, end)
    remove = False
    if cursor.at(WORD, "-") or cursor.at(WORD, "+"):
        remove = cursor.next().value == "-"
    names = field_list(cursor)
    if not names:
        cursor.fail("fields needs at least one field name")
    expect_end(cursor, NAME)
    return tree.Fields(remove, tuple(names))


def _kept(node: tree.Fields, names) -> list[str]:
    matched = matching_names(node.fields, names)
    if node.remove:
        return [n for n in names if n not in matched]
    return [n for n in names if n in matched or n in INTERNAL]


def prepare(node: tree.Fields, spl: str):
    def run(rows, context):
        for row in rows:
            yield {name: row[name] for name in _kept(node, list(row))}
    return run


def columns(node: tree.Fields, cols):
    if cols is None:
        return None
    return _kept(node, cols)


COMMAND = Command(NAME, parse, prepare, columns, keeps)
