"""`sort [N|limit=N] [-|+][num(|str(|auto(]field[)] ... [desc]`: order rows.

`auto` (the default) puts numbers first, numerically, then strings in byte order; `num` treats
non-numbers as strings after numbers, `str` compares text. Rows missing a field go last in both
directions (Splunk: "treated as the largest value ascending, the smallest descending"). The
default limit is 10000 rows, as in Splunk; `sort 0` keeps all. Multivalue fields sort by their
first value. Equal rows keep their incoming order (events: search order, newest first).
"""

from __future__ import annotations

from typing import get_args

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import count_or_limit, expect_end, is_word, search_cursor
from linux_auditd_at.spl.commands.contract import Command, needs, same_columns
from linux_auditd_at.spl.lexer import COMMA, EOF, LPAREN, RPAREN, STRING, WORD, Token
from linux_auditd_at.spl.parser import Cursor
from linux_auditd_at.spl.values import as_text, sort_key, values_of

NAME = "sort"
_KINDS: tuple[tree.SortKind, ...] = get_args(tree.SortKind)


def _sort_kind(cursor: Cursor, token: Token, text: str) -> tree.SortKind:
    """`text` as a sort type (auto, num, str); an error at `token` otherwise."""
    for known in _KINDS:
        if text == known:
            return known
    cursor.fail(f"unsupported sort type {text}() (supported: {', '.join(_KINDS)})", token)


def _key(cursor: Cursor) -> tree.SortKey:
    token = cursor.peek()
    if token.kind not in (WORD, STRING):
        cursor.fail("expected a field to sort by")
    cursor.next()
    text, descending = token.value, False
    if token.kind == WORD and text in ("-", "+"):
        descending = text == "-"
        token = cursor.peek()
        if token.kind not in (WORD, STRING):
            cursor.fail("expected a field after the sign")
        cursor.next()
        text = token.value
    elif token.kind == WORD and text[:1] in "-+" and len(text) > 1:
        descending, text = text[0] == "-", text[1:]
    kind: tree.SortKind = "auto"
    if token.kind == WORD and cursor.accept(LPAREN):
        kind = _sort_kind(cursor, token, text)
        inner = cursor.peek()
        if inner.kind not in (WORD, STRING):
            cursor.fail(f"expected a field inside {kind}()")
        text = cursor.next().value
        cursor.expect(RPAREN, f"')' to close {kind}(")
    return tree.SortKey(text, descending, kind)


def parse(spl: str, start: int, end: int) -> tree.Sort:
    cursor = search_cursor(spl, start, end)
    limit = count_or_limit(cursor, 10000)
    keys: list[tree.SortKey] = []
    reverse = False
    while not cursor.at(EOF):
        if is_word(cursor, "d", "desc") and cursor.at(EOF, ahead=1) and keys:
            cursor.next()
            reverse = True
            break
        keys.append(_key(cursor))
        cursor.accept(COMMA)
    if not keys:
        cursor.fail("sort needs a field")
    expect_end(cursor, NAME)
    return tree.Sort(tuple(keys), limit, reverse)


def _sort_value(key: tree.SortKey, row: dict) -> tuple:
    values = values_of(row.get(key.field))
    if not values:
        return (-1,) if key.descending else (3,)
    value = values[0]
    if key.kind == "str":
        return (1, 0, as_text(value))
    return sort_key(value)


def prepare(node: tree.Sort, spl: str):
    def run(rows, context):
        ordered = list(rows)
        for key in reversed(node.keys):
            ordered.sort(key=lambda row, key=key: _sort_value(key, row), reverse=key.descending)
        if node.reverse:
            ordered.reverse()
        return iter(ordered[: node.limit] if node.limit else ordered)
    return run


COMMAND = Command(NAME, parse, prepare, same_columns, needs)
