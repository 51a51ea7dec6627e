"""`rename a AS b [, c AS d ...]`: rename fields (streaming).

The target is overwritten; when the source is missing the target becomes null. `*` wildcards
rename every matching field and need the same number of `*` on both sides.
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import (
    expect_end,
    field_name,
    is_word,
    name_pattern,
    search_cursor,
)
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.lexer import COMMA, EOF

NAME = "rename"


def parse(spl: str, start: int, end: int) -> tree.Rename:
    cursor = search_cursor(spl, start, end)
    pairs = []
    while not cursor.at(EOF):
        source_token = cursor.peek()
        source = field_name(cursor, "a field to rename")
        if not is_word(cursor, "as"):
            cursor.fail(f"expected AS after {source!r}")
        cursor.next()
        target = field_name(cursor, "a new field name after AS")
        if source.count("*") != target.count("*"):
            raise cursor.error(f"wildcards in {source!r} and {target!r} must match in number", source_token)
        pairs.append((source, target))
        cursor.accept(COMMA)
    if not pairs:
        cursor.fail("rename needs 'field AS newname'")
    expect_end(cursor, NAME)
    return tree.Rename(tuple(pairs))


def _renames(source: str, target: str, names) -> list[tuple[str, str]]:
    """(old, new) for each name the (wildcard) source matches."""
    if "*" not in source:
        return [(source, target)]
    pattern, parts = name_pattern(source), target.split("*")
    pairs = []
    for name in names:
        match = pattern.fullmatch(name)
        if match:
            new = parts[0] + "".join(g + p for g, p in zip(match.groups(), parts[1:], strict=True))
            pairs.append((name, new))
    return pairs


def prepare(node: tree.Rename, spl: str):
    def run(rows, context):
        for row in rows:
            row = dict(row)
            for source, target in node.pairs:
                for old, new in _renames(source, target, row):  # a list, made before row changes
                    value = row.pop(old, None)
                    if value is None:
                        row.pop(new, None)
                    else:
                        row[new] = value
            yield row
    return run


def columns(node: tree.Rename, cols):
    if cols is None:
        return None
    for source, target in node.pairs:
        for old, new in _renames(source, target, list(cols)):
            if old in cols and old != new:
                at = cols.index(old)
                cols = [new if i == at else c for i, c in enumerate(cols) if c != new]
    return cols


COMMAND = Command(NAME, parse, prepare, columns, keeps)
