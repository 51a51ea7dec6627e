"""`dedup [N] f1 f2 ... [keepempty=bool] [consecutive=bool]`: keep the first N rows of each
combination of values in search order, so the most recent events (streaming over rows already in
that order, see `pipeline`; memory grows with distinct combinations). Rows missing any of the
fields are dropped unless keepempty=true."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import (
    boolean,
    expect_end,
    field_list,
    leading_count,
    option,
    search_cursor,
)
from linux_auditd_at.spl.commands.contract import Command, needs, same_columns
from linux_auditd_at.spl.lexer import EOF, WORD
from linux_auditd_at.spl.values import as_text, values_of

NAME = "dedup"


def parse(spl: str, start: int, end: int) -> tree.Dedup:
    cursor = search_cursor(spl, start, end)
    count = leading_count(cursor, "dedup count")
    count = 1 if count is None else count
    if count < 1:
        cursor.fail("dedup count must be at least 1", cursor.tokens[cursor.index - 1])
    fields, options = [], {}
    while not cursor.at(EOF):
        if cursor.at(WORD, "sortby"):
            cursor.fail("dedup sortby is not supported; use sort after dedup")
        if opt := option(cursor, ("keepempty", "consecutive")):
            options[opt[0]] = boolean(cursor, *opt)
            continue
        names = field_list(cursor, stop=("sortby",))
        if not names:
            break
        fields += names
    if not fields:
        cursor.fail("dedup needs at least one field")
    expect_end(cursor, NAME)
    return tree.Dedup(tuple(fields), count, options.get("keepempty", False),
                      options.get("consecutive", False))


_Key = tuple[tuple[str, ...], ...]  # the deduplicated fields' values, as text


def prepare(node: tree.Dedup, spl: str):
    def run(rows: Iterable[dict], context: object) -> Iterator[dict]:
        seen: dict[_Key, int] = {}
        previous: _Key | None = None
        for row in rows:
            values = [values_of(row.get(f)) for f in node.fields]
            if not all(values):
                if node.keepempty:
                    yield row
                continue
            key = tuple(tuple(as_text(v) for v in vs) for vs in values)
            if node.consecutive:
                if key != previous:
                    yield row
                previous = key
                continue
            if seen.get(key, 0) < node.count:
                seen[key] = seen.get(key, 0) + 1
                yield row
    return run


COMMAND = Command(NAME, parse, prepare, same_columns, needs)
