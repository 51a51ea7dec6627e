"""`return [N] [alias=field ...] [field ...] [$field ...]`: the first N rows (default 1) as one row
whose `search` field is `(field="v" ...) OR (...)` (Search Reference, return): `field` gives
`field="value"`, `alias=field` gives `alias="value"`, `$field` the bare value. A row without any
of the fields is left out; no rows at all give no row, so the subsearch becomes the empty
`NOT ( )` (UNVERIFIED). The spacing of the text is UNVERIFIED; its meaning as a search is not.
"""

from __future__ import annotations

import itertools

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import expect_end, leading_count, search_cursor
from linux_auditd_at.spl.commands.contract import Command, needs
from linux_auditd_at.spl.lexer import OP, STRING, WORD
from linux_auditd_at.spl.subsearch import quoted
from linux_auditd_at.spl.values import as_text, values_of

NAME = "return"


def parse(spl: str, start: int, end: int) -> tree.Return:
    cursor = search_cursor(spl, start, end)
    count = leading_count(cursor, "return count")
    count = 1 if count is None else count
    items: list[tuple[str | None, str]] = []
    while cursor.peek().kind in (WORD, STRING):
        name = cursor.next().value
        if cursor.accept(OP, "="):
            if cursor.peek().kind not in (WORD, STRING):
                cursor.fail(f"expected a field name after {name}=")
            items.append((name, cursor.next().value))
        elif name.startswith("$") and len(name) > 1:
            items.append((None, name[1:]))
        else:
            items.append((name, name))
    if not items:
        cursor.fail("return needs at least one field")
    expect_end(cursor, NAME)
    return tree.Return(count, tuple(items))


def _row_text(node: tree.Return, row: dict) -> str:
    parts = []
    for shown, name in node.items:
        for value in values_of(row.get(name)):
            parts.append(as_text(value) if shown is None else f"{shown}={quoted(value)}")
    return " ".join(parts)


def prepare(node: tree.Return, spl: str):
    def run(rows, context):
        texts = [text for row in itertools.islice(rows, node.count) if (text := _row_text(node, row))]
        if texts:
            yield {"search": " OR ".join(f"({text})" for text in texts)}
    return run


def columns(node, cols):
    return ["search"]


COMMAND = Command(NAME, parse, prepare, columns, needs)  # the first N rows: needs search order
