"""`fillnull [value=X] [f1 f2 ...]`: give null fields a value (default "0").

With a field list it streams; without one it fills every field any row has, so it must see all
rows first (as Splunk does).
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, field_list, option, search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps

NAME = "fillnull"


def parse(spl: str, start: int, end: int) -> tree.Fillnull:
    cursor = search_cursor(spl, start, end)
    value = "0"
    while opt := option(cursor, ("value",)):
        value = opt[1]
    names = field_list(cursor)
    expect_end(cursor, NAME)
    return tree.Fillnull(value, tuple(names))


def _fill(row: dict, names, value: str) -> dict:
    return {**row, **{name: value for name in names if row.get(name) is None}}


def prepare(node: tree.Fillnull, spl: str):
    def run(rows, context):
        if node.fields:
            return (_fill(row, node.fields, node.value) for row in rows)
        rows = list(rows)
        names = list(dict.fromkeys(name for row in rows for name in row))
        return iter([_fill(row, names, node.value) for row in rows])
    return run


def columns(node: tree.Fillnull, cols):
    if cols is None:
        return None
    return cols + [f for f in node.fields if f not in cols]


COMMAND = Command(NAME, parse, prepare, columns, keeps)
