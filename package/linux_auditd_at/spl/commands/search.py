"""`search <expression>`: keep the events or rows the expression matches (streaming). `search *`
(and an empty search) passes its rows on untested: it keeps every one."""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps, same_columns
from linux_auditd_at.spl.parser import Cursor, parse_search_expression
from linux_auditd_at.spl.search_expr import compile_matcher, matches_everything

NAME = "search"
_TIME_MODIFIERS = ("earliest", "latest", "_index_earliest", "_index_latest")


def _reject_time_modifiers(expr, cursor: Cursor) -> None:
    """`earliest=` in a search string is a time modifier, not a field: we take the time range from
    Context instead, and say so rather than compare a field that never exists."""
    if isinstance(expr, tree.And | tree.Or):
        for item in expr.items:
            _reject_time_modifiers(item, cursor)
    elif isinstance(expr, tree.Not):
        _reject_time_modifiers(expr.item, cursor)
    elif isinstance(expr, tree.FieldCompare | tree.FieldIn) and expr.field in _TIME_MODIFIERS:
        token = next(t for t in cursor.tokens if t.value == expr.field)
        raise cursor.error(f"time modifier {expr.field}= inside the search is not supported; "
                           "give the time range to the run instead", token)


def parse(spl: str, start: int, end: int) -> tree.Search:
    cursor = search_cursor(spl, start, end)
    expr = parse_search_expression(cursor)
    _reject_time_modifiers(expr, cursor)
    return tree.Search(expr)


def prepare(node: tree.Search, spl: str):
    if matches_everything(node.expr):
        return lambda rows, context: iter(rows)
    matches = compile_matcher(node.expr)
    return lambda rows, context: (row for row in rows if matches(row))


COMMAND = Command(NAME, parse, prepare, same_columns, keeps)
