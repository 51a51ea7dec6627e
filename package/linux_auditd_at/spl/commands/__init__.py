"""One module per SPL command. Each has NAME and:

    parse(spl, start, end) -> node         the arguments spl[start:end], errors with positions
    prepare(node, spl) -> step             step(rows, context) -> iterator of rows
    columns(node, cols) -> cols | None     the result columns after it (None: taken from the rows)

and, where order matters (see `pipeline`): needs_search_order(node) -> bool (its result depends on
the order of its input) and ORDERS_ROWS = True (its output has an order of its own).
"""

from linux_auditd_at.spl.commands import (
    convert,
    dedup,
    eval,
    fields,
    fillnull,
    head,
    rename,
    search,
    sort,
    stats,
    table,
    where,
)

COMMANDS = {module.NAME: module for module in (
    search, where, eval, rename, stats, convert, fields, table, sort, head, dedup, fillnull)}
