"""`lookup [local=bool] [update=bool] NAME field [AS evfield] ... [OUTPUT|OUTPUTNEW out [AS evfield] ...]`
(streaming; Search Reference, lookup).

Each row's event fields are matched against the table (see `spl.lookups` for case, WILDCARD,
CIDR, max_matches, min_matches); the matching rows' output columns are written to the row, one
value per matching row in file order, so several matches give a multivalue field (duplicates
kept: UNVERIFIED). Without OUTPUT/OUTPUTNEW every column that is not a lookup field is output.
- OUTPUT overwrites: a row without a match loses the output fields (UNVERIFIED: Splunk's docs say
  OUTPUT overwrites existing fields, not what a miss leaves).
- OUTPUTNEW writes only the output fields the row does not have (UNVERIFIED: the docs say the
  lookup "is not performed for events in which the output fields already exist"; we judge each
  field on its own).
- A row missing an input field matches nothing; a multivalue input is looked up value by value
  and the matches are concatenated (UNVERIFIED).
`local=` and `update=` change nothing offline (they steer where and when Splunk reads the file).
"""

from __future__ import annotations

import itertools

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import boolean, expect_end, is_word, option, search_cursor
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.lexer import COMMA, STRING, WORD
from linux_auditd_at.spl.parser import Cursor
from linux_auditd_at.spl.values import as_text, values_of

NAME = "lookup"
_OUTPUT = ("output", "outputnew")


def _pairs(cursor: Cursor, what: str) -> list[tuple[str, str]]:
    """`name [AS other]` pairs separated by spaces or commas, up to OUTPUT/OUTPUTNEW or the end."""
    pairs = []
    while cursor.peek().kind in (WORD, STRING) and not is_word(cursor, *_OUTPUT):
        name = cursor.next().value
        target = name
        if is_word(cursor, "as"):
            cursor.next()
            if cursor.peek().kind not in (WORD, STRING):
                cursor.fail(f"expected a field name after AS in the {what}")
            target = cursor.next().value
        pairs.append((name, target))
        cursor.accept(COMMA)
    return pairs


def parse(spl: str, start: int, end: int) -> tree.Lookup:
    cursor = search_cursor(spl, start, end)
    while opt := option(cursor, ("local", "update")):
        boolean(cursor, *opt)
    if cursor.peek().kind not in (WORD, STRING) or is_word(cursor, *_OUTPUT):
        cursor.fail("lookup needs a lookup table name")
    name_token = cursor.next()
    inputs = _pairs(cursor, "lookup fields")
    if not inputs:
        cursor.fail(f"lookup {name_token.value} needs at least one lookup field")
    outputs, new_only = [], False
    if is_word(cursor, *_OUTPUT):
        new_only = cursor.next().value.lower() == "outputnew"
        outputs = _pairs(cursor, "output fields")
        if not outputs:
            cursor.fail("expected output field names after OUTPUT" + ("NEW" if new_only else ""))
    expect_end(cursor, NAME)
    return tree.Lookup(name_token.value, tuple(inputs), tuple(outputs), new_only, name_token.pos)


def output_pairs(node: tree.Lookup) -> tuple[tuple[str, str], ...]:
    """(table column, event field) written by the command: OUTPUT's, or every non-input column."""
    if node.outputs:
        return node.outputs
    inputs = {name for name, _ in node.inputs}
    return tuple((column, column) for column in tree.bound_table(node).columns if column not in inputs)


def prepare(node: tree.Lookup, spl: str):
    table = tree.bound_table(node)
    missing = [name for name, _ in (*node.inputs, *node.outputs) if name not in table.columns]
    if missing:  # Splunk: "Could not find all of the specified lookup fields in the lookup table."
        raise SPLError(f"lookup {node.name}: {', '.join(map(repr, missing))} not among the columns of "
                       f"{table.source} ({', '.join(table.columns)})", spl=spl, position=node.pos)
    rows_for = table.matcher(tuple(name for name, _ in node.inputs))
    event_fields = [event for _, event in node.inputs]
    outputs = output_pairs(node)

    def matches(row: dict) -> list[dict]:
        values = [[as_text(v) for v in values_of(row.get(name))] for name in event_fields]
        found = []
        for combination in itertools.product(*values):
            found += rows_for(combination)
        return found

    def run(rows, context):
        for row in rows:
            found = matches(row)
            short = len(found) < table.min_matches
            row = dict(row)
            for column, target in outputs:
                if node.new_only and row.get(target) is not None:
                    continue
                cells = [table.default_match] if short else [r[column] for r in found if column in r]
                if not cells:
                    row.pop(target, None)
                else:
                    row[target] = cells[0] if len(cells) == 1 else cells
            yield row
    return run


def columns(node: tree.Lookup, cols):
    if cols is None:
        return None
    return cols + [t for t in dict.fromkeys(t for _, t in output_pairs(node)) if t not in cols]


COMMAND = Command(NAME, parse, prepare, columns, keeps)
