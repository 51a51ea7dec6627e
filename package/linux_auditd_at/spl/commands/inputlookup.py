"""`| inputlookup [start=N] [max=N] NAME [WHERE search-expression]`: the table's rows as results
(a generating command: it starts a search, after a leading `|`; Search Reference, inputlookup).

Rows come in file order, from row `start` (0-based, default 0), at most `max` of them (default
1000000000); empty cells are null. WHERE filters with the search command's expression language
(`WHERE dest=web-*`: case-insensitive values, wildcards), before start/max apply (UNVERIFIED).
The lookup's match settings (case, WILDCARD, CIDR) play no part. Anywhere but first it is an
error, as in Splunk; `append=`, which lets it follow other commands, is not supported offline.
"""

from __future__ import annotations

import itertools

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import integer, is_word, option, search_cursor, unsupported
from linux_auditd_at.spl.commands.contract import Command, sets
from linux_auditd_at.spl.lexer import EOF, STRING, WORD
from linux_auditd_at.spl.parser import Cursor, parse_search_expression
from linux_auditd_at.spl.search_expr import compile_matcher

NAME = "inputlookup"


def parse(spl: str, start: int, end: int) -> tree.InputLookup:
    cursor = search_cursor(spl, start, end)
    settings = {"start": 0, "max": 1000000000}
    while opt := option(cursor, ("start", "max", "append")):
        if opt[0] == "append":
            raise unsupported(cursor, "inputlookup append=", cursor.tokens[cursor.index - 3])
        settings[opt[0]] = integer(cursor, opt[1], f"{opt[0]}=")
    if cursor.peek().kind not in (WORD, STRING):
        cursor.fail("inputlookup needs a lookup table name")
    name = cursor.next()
    where = None
    if is_word(cursor, "where"):
        keyword = cursor.next()
        rest = Cursor(cursor.tokens[cursor.index:], spl)
        if rest.at(EOF):
            rest.fail("expected a search expression after WHERE", keyword)
        where = parse_search_expression(rest)
    elif not cursor.at(EOF):
        cursor.fail("unexpected argument to inputlookup (expected WHERE)")
    return tree.InputLookup(name.value, where, settings["start"], settings["max"], name.pos)


def prepare(node: tree.InputLookup, spl: str):
    keep = compile_matcher(node.where)
    table = tree.bound_table(node)

    def run(rows, context):  # a generating command: it has no input rows
        selected = (row for row in table.rows() if keep(row))
        return itertools.islice(selected, node.start, node.start + node.max)
    return run


def columns(node: tree.InputLookup, cols):
    return list(tree.bound_table(node).columns)


# its rows are in file order, not search order, even when the table has a _time column
COMMAND = Command(NAME, parse, prepare, columns, sets, generating=True)


