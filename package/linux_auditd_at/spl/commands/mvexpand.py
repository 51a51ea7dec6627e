"""`mvexpand <field> [limit=N]`: one row per value of a multivalue field, the other fields copied
(Search Reference, mvexpand: "Expands the values of a multivalue field into separate events, one
event for each value"). The rows keep the order of the values; `limit` keeps the first N values.
A row without the field passes unchanged (UNVERIFIED).
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, field_name, integer, option, search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps, same_columns

NAME = "mvexpand"


def parse(spl: str, start: int, end: int) -> tree.Mvexpand:
    cursor = search_cursor(spl, start, end)
    field = field_name(cursor, "the multivalue field to expand")
    limit = 0
    if opt := option(cursor, ("limit",)):
        limit = integer(cursor, opt[1], "limit")
    expect_end(cursor, NAME)
    return tree.Mvexpand(field, limit)


def prepare(node: tree.Mvexpand, spl: str):
    def run(rows, context):
        for row in rows:
            value = row.get(node.field)
            if not isinstance(value, list):
                yield row
                continue
            for one in value[:node.limit or None]:
                yield {**row, node.field: one}
    return run


COMMAND = Command(NAME, parse, prepare, same_columns, keeps)
