"""`head [N|limit=N]`: the first N rows (default 10) in search order, so the most recent N events;
stops reading once it has them (events have been put in search order before, see `pipeline`)."""

from __future__ import annotations

import itertools

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import count_or_limit, expect_end, search_cursor
from linux_auditd_at.spl.commands.contract import Command, needs, same_columns

NAME = "head"


def parse(spl: str, start: int, end: int) -> tree.Head:
    cursor = search_cursor(spl, start, end)
    count = count_or_limit(cursor, 10)
    expect_end(cursor, NAME)
    return tree.Head(count)


def prepare(node: tree.Head, spl: str):
    return lambda rows, context: itertools.islice(rows, node.count)


COMMAND = Command(NAME, parse, prepare, same_columns, needs)
