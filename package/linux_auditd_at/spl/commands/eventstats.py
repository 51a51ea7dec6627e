"""`eventstats fn(field) [AS name] ... [BY f1 f2 ...]`: stats' aggregates added to every row of
its group, the rows themselves kept in their order (Search Reference, eventstats: "generates
summary statistics from fields in your events and saves those statistics in a new field").

It must see all rows before it puts out the first, so it holds them. Functions, names and groups
are those of `stats`; a row whose by-field is null gets no aggregates, and a row in several
groups (a multivalue by-field) gets those of its first group (UNVERIFIED). An aggregate that is
null leaves the field unset.
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.contract import Command, Order
from linux_auditd_at.spl.commands.stats import aggregate, group_keys, parse_aggregations, reads_order

NAME = "eventstats"


def parse(spl: str, start: int, end: int) -> tree.Stats:
    return parse_aggregations(spl, start, end, NAME)


def prepare(node: tree.Stats, spl: str):
    def run(rows, context):
        rows = list(rows)
        groups = aggregate(rows, node)
        names = [a.name for a in node.aggregations]
        for row in rows:
            key = next(iter(group_keys(row, node.by)), None)
            added = dict(zip(names, groups[key], strict=True)) if key is not None else {}
            yield {**row, **{name: value for name, value in added.items() if value is not None}}
    return run


def columns(node: tree.Stats, cols):
    if cols is None:
        return None
    return cols + [a.name for a in node.aggregations if a.name not in cols]


def order(node: tree.Stats) -> Order:
    """first()/last() depend on the incoming order; the rows keep theirs."""
    return Order.NEEDS if reads_order(node) else Order.KEEPS


COMMAND = Command(NAME, parse, prepare, columns, order)
