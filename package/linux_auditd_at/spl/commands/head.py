"""`head [N|limit=N]`: the first N rows (default 10); stops reading once it has them."""

from __future__ import annotations

import itertools
import re

from linux_auditd_at.spl import ast
from linux_auditd_at.spl.commands.arguments import expect_end, integer, option, search_cursor
from linux_auditd_at.spl.lexer import WORD

NAME = "head"


def parse(spl: str, start: int, end: int) -> ast.Head:
    cursor = search_cursor(spl, start, end)
    count = 10
    if cursor.at(WORD) and re.fullmatch(r"\d+", cursor.peek().value):
        count = int(cursor.next().value)
    elif opt := option(cursor, ("limit",)):
        count = integer(cursor, opt[1], "limit")
    expect_end(cursor, NAME)
    return ast.Head(count)


def prepare(node: ast.Head, spl: str):
    return lambda rows, context: itertools.islice(rows, node.count)


def columns(node, cols):
    return cols
