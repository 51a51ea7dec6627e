"""`format [mvsep="s"] [maxresults=N] ["row prefix" "column prefix" "column separator" "column end"
"row separator" "row end"] [emptystr="s"]`: the rows as one row whose `search` field is the search
expression (Search Reference, format; the text is `subsearch.format_rows`). The six strings come
all together or not at all, as the docs require.
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, integer, option, search_cursor
from linux_auditd_at.spl.commands.contract import Command, sets
from linux_auditd_at.spl.lexer import STRING
from linux_auditd_at.spl.subsearch import format_rows
from linux_auditd_at.structs import replace

NAME = "format"


def parse(spl: str, start: int, end: int) -> tree.Format:
    cursor = search_cursor(spl, start, end)
    node, parts = tree.Format(), []
    while True:
        if opt := option(cursor, ("mvsep", "maxresults", "emptystr")):
            key, value = opt
            if key == "maxresults":
                node = replace(node, maxresults=integer(cursor, value, "maxresults="))
            else:
                node = replace(node, mvsep=value) if key == "mvsep" else replace(node, emptystr=value)
        elif cursor.at(STRING):
            parts.append(cursor.next().value)
        else:
            break
    if parts and len(parts) != 6:
        cursor.fail(f"format takes all six row and column strings or none, got {len(parts)}")
    expect_end(cursor, NAME)
    if not parts:
        return node
    row_open, column_open, column_sep, column_end, row_sep, row_end = parts
    return replace(node, parts=(row_open, column_open, column_sep, column_end, row_sep, row_end))


def prepare(node: tree.Format, spl: str):
    def run(rows, context):
        rows = list(rows)
        names = list(dict.fromkeys(name for row in rows for name in row))
        yield {"search": format_rows(rows, names, node)}
    return run


def columns(node, cols):
    return ["search"]


COMMAND = Command(NAME, parse, prepare, columns, sets)
