"""`table f1 f2 ...`: exactly these columns, in this order; `*` wildcards expand per row."""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, field_list, matching_names, search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps

NAME = "table"


def parse(spl: str, start: int, end: int) -> tree.Table:
    cursor = search_cursor(spl, start, end)
    names = field_list(cursor)
    if not names:
        cursor.fail("table needs at least one field name")
    expect_end(cursor, NAME)
    return tree.Table(tuple(names))


def prepare(node: tree.Table, spl: str):
    def run(rows, context):
        for row in rows:
            out = {}
            for pattern in node.fields:
                for name in matching_names([pattern], list(row)) if "*" in pattern else [pattern]:
                    out[name] = row.get(name)
            yield out
    return run


def columns(node: tree.Table, cols):
    return None if any("*" in f for f in node.fields) else list(dict.fromkeys(node.fields))


COMMAND = Command(NAME, parse, prepare, columns, keeps)
