"""`stats fn(field) [AS name] ... [BY f1 f2 ...]`: one row per group of the by-fields.

Streams: it keeps one accumulator per group and function, never the events. Rows whose by-field
is null are dropped; a multivalue by-field puts the event in one group per value. Columns are the
by-fields, then the aggregates as written; rows come out sorted by the by-fields, first field
first, in byte order (so `10` sorts before `9`; numeric ordering is UNVERIFIED). Without BY there
is exactly one row, even for no events (`count` is then 0).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.aggregations import (
    ALIASES,
    Function,
    Mergeable,
    is_splunk_stats_function,
    stats_function,
)
from linux_auditd_at.spl.commands.arguments import (
    expect_end,
    field_list,
    field_name,
    is_word,
    renamed,
    search_cursor,
    unsupported,
)
from linux_auditd_at.spl.commands.contract import Command, Order
from linux_auditd_at.spl.context import Row
from linux_auditd_at.spl.lexer import COMMA, EOF, LPAREN, OP, RPAREN, WORD
from linux_auditd_at.spl.parser import Cursor
from linux_auditd_at.spl.values import as_text, values_of

NAME = "stats"
_OPTIONS = ("allnum", "delim", "partitions", "dedup_splitvals")  # Search Reference, stats
_SINGLE = {str}


def _aggregation(cursor: Cursor) -> tree.Aggregation:
    token = cursor.peek()
    if token.kind != WORD:
        cursor.fail("expected a stats function such as count or min(field)")
    if cursor.at(OP, "=", ahead=1) and token.value in _OPTIONS:
        raise unsupported(cursor, f"stats option {token.value}=", token)
    if cursor.at(OP, "=", ahead=1):
        cursor.fail(f"unsupported stats option {token.value!r}")
    function = ALIASES.get(token.value)
    if function is None and is_splunk_stats_function(token.value):
        raise unsupported(cursor, f"stats function {token.value}()", token)
    if function is None:
        cursor.fail(f"unsupported stats function {token.value!r} (supported: {', '.join(sorted(ALIASES))})")
    cursor.next()
    field = None
    if cursor.accept(LPAREN):
        if cursor.at(WORD, "eval"):
            cursor.fail("eval() inside stats functions is not supported")
        field = field_name(cursor, f"a field inside {token.value}()")
        cursor.expect(RPAREN, f"')' to close {token.value}(")
    elif function != "count":
        cursor.fail(f"{token.value} needs a field: {token.value}(field)")
    name = renamed(cursor, f"{token.value}({field})" if field is not None else token.value,
                   "a column name after AS")
    return tree.Aggregation(function, field, name)


def parse_aggregations(spl: str, start: int, end: int, command: str) -> tree.Stats:
    """`fn(field) [AS name] ... [BY f1 f2 ...]`, the arguments of stats and eventstats."""
    cursor = search_cursor(spl, start, end)
    aggregations = []
    while not cursor.at(EOF) and not is_word(cursor, "by"):
        aggregations.append(_aggregation(cursor))
        cursor.accept(COMMA)
    if not aggregations:
        cursor.fail(f"{command} needs at least one function")
    by = []
    if is_word(cursor, "by"):
        cursor.next()
        by = field_list(cursor)
        if not by:
            cursor.fail("expected field names after BY")
    expect_end(cursor, command)
    return tree.Stats(tuple(aggregations), tuple(by))


def parse(spl: str, start: int, end: int) -> tree.Stats:
    return parse_aggregations(spl, start, end, NAME)


def group_keys(row: dict, by: tuple[str, ...]):
    """The groups a row belongs to: none when a by-field is null, one per combination of values."""
    key = tuple(map(row.get, by))
    if {*map(type, key)} <= _SINGLE:  # single values: one group, no product to build
        return (key,)
    return dict.fromkeys(itertools.product(*([as_text(v) for v in values_of(k)] for k in key)))


Groups = dict[tuple, list]
"""group key -> one state per stats function (`aggregations.Function`), in the order written."""


def aggregate(rows: Iterable[Row], node: tree.Stats) -> dict[tuple, tuple]:
    """group key -> the aggregates' values, in the order written; without BY one group even for
    no rows."""
    functions = functions_of(node)
    return results(accumulate(rows, node, functions), functions)


def functions_of(node: tree.Stats) -> list[Function]:
    return [stats_function(a.function, a.field) for a in node.aggregations]


def accumulate(rows: Iterable[Row], node: tree.Stats, functions: list[Function]) -> Groups:
    """Each group's states after `rows`; without BY one group even for no rows."""
    groups: Groups = {}
    if not node.by:
        groups[()] = [function.empty() for function in functions]
    by = node.by
    for row in rows:
        for key in group_keys(row, by):
            states = groups.get(key)
            if states is None:
                groups[key] = [function.start(row) for function in functions]
            else:
                groups[key] = [function.add(state, row)
                               for function, state in zip(functions, states, strict=True)]
    return groups


def merge(groups: Groups, later: Groups, functions: list[Mergeable]) -> Groups:
    """`groups` with the states of the rows that came after theirs (`later`) merged in: the groups
    one `accumulate` over both runs of rows gives."""
    for key, states in later.items():
        mine = groups.get(key)
        groups[key] = states if mine is None else [
            function.merge(a, b) for function, a, b in zip(functions, mine, states, strict=True)]
    return groups


def results(groups: Groups, functions: list[Function]) -> dict[tuple, tuple]:
    """group key -> the aggregates' values, function by function (a call per function, not per
    group)."""
    if not groups:
        return {}
    states = zip(*groups.values(), strict=True)
    values = [function.results([*column]) for function, column in zip(functions, states, strict=True)]
    return dict(zip(groups, zip(*values, strict=True), strict=True))


def group_rows(groups: dict[tuple, tuple], node: tree.Stats) -> list[Row]:
    """stats' rows from `aggregate`'s groups: by-fields, then the aggregates, sorted by key (a
    column named twice holds the later value in the earlier place)."""
    columns = (*node.by, *(a.name for a in node.aggregations))
    keys = _sorted_keys(groups)
    cells = map(operator.add, keys, map(groups.__getitem__, keys))  # a group's key, then its values
    return [*map(dict, map(zip, itertools.repeat(columns), cells))]


def _sorted_keys(groups: dict[tuple, tuple]) -> list[tuple]:
    """The group keys (tuples of strings) in order. While no field holds a NUL, a key's fields
    joined by NULs sort as the key does (NUL is before every other character), and strings
    compare much faster than tuples."""
    keys = [*groups]
    if "\0" in "".join(itertools.chain.from_iterable(keys)):
        return sorted(keys)
    return sorted(keys, key="\0".join)


def prepare(node: tree.Stats, spl: str):
    return lambda rows, context: iter(group_rows(aggregate(rows, node), node))


def columns(node: tree.Stats, cols):
    return list(dict.fromkeys([*node.by, *(a.name for a in node.aggregations)]))


def reads_order(node: tree.Stats) -> bool:
    """Whether the result depends on the order rows come in (first(), last())."""
    return any(a.function in ("first", "last") for a in node.aggregations)


def order(node: tree.Stats) -> Order:
    """first()/last() depend on the incoming order; stats sorts its rows itself."""
    return Order.NEEDS if reads_order(node) else Order.SETS


COMMAND = Command(NAME, parse, prepare, columns, order)
