"""`rex [field=f] [max_match=N] "<PCRE with (?<name>...) groups>"` and
`rex [field=f] mode=sed "s/<PCRE>/<replacement>/[g|N]"` or `"y/<from>/<to>/"` (Search Reference,
rex), on `_raw` unless field= is given.

Extraction: each named group becomes a field of its name. max_match (default 1; 0 means no
limit) is how many matches are taken; with more than one match a field is multivalue, its values
in match order. A regex without a named group is an error, as in Splunk. When nothing matches the
row is unchanged; a group that takes no part in any match leaves its field as it was
(UNVERIFIED). A multivalue input field is matched value by value, in order (UNVERIFIED).

sed: `s` replaces the first match, every match with `g`, the N-th with N; `\\1`..`\\9` in the
replacement are groups. `y` maps each character of <from> to the one at its place in <to>. Each
value of the field is edited; a row without the field is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.arguments import (
    compiled_regex,
    option,
    regex_guard,
    search_cursor,
    unsupported,
)
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.lexer import EOF, STRING, WORD, Token
from linux_auditd_at.spl.parser import Cursor
from linux_auditd_at.spl.regex import group_names, substitute
from linux_auditd_at.spl.values import as_text, values_of

NAME = "rex"
_OPTIONS = ("field", "max_match", "mode", "offset_field")


def _sed_parts(text: str) -> list[str]:
    """`s/a/b/g` -> ["a", "b", "g"]: the parts after the command letter, split at unescaped `/`."""
    parts, current, i = [], [], 2
    while i < len(text):
        if text.startswith("\\/", i):
            current.append("/")
            i += 2
            continue
        if text[i] == "/":
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    return [*parts, "".join(current)]


def _sed(cursor: Cursor, token: Token) -> Callable[[str], str]:
    """The edit (text -> text) a sed expression makes; errors point at the expression."""
    text = token.value
    if len(text) < 2 or text[0] not in "sy" or text[1] != "/":
        raise cursor.error("mode=sed needs \"s/regex/replacement/flags\" or \"y/from/to/\"", token)
    parts = _sed_parts(text)
    if len(parts) != 3:
        raise cursor.error("a sed expression has three parts: s/regex/replacement/flags", token)
    if text[0] == "y":
        if len(parts[0]) != len(parts[1]) or parts[2]:
            raise cursor.error("y/from/to/ needs <from> and <to> of the same length", token)
        table = str.maketrans(parts[0], parts[1])
        return lambda value: value.translate(table)
    pattern, replacement, flags = parts
    if flags not in ("", "g") and not flags.isdigit():
        raise cursor.error(f"unsupported sed flags {flags!r} (g or a number)", token)
    occurrence = 0 if flags == "g" else int(flags or 1)
    regex = compiled_regex(cursor, token, pattern)
    return regex_guard(lambda value: substitute(regex, replacement, value, occurrence), cursor, token)


def _arguments(cursor: Cursor) -> tuple[dict[str, Token], Token]:
    """rex's key=value options (key -> the value's token) and its expression, in any order."""
    options: dict[str, Token] = {}
    expression: Token | None = None
    while not cursor.at(EOF):
        if opt := option(cursor, _OPTIONS):
            options[opt[0]] = cursor.tokens[cursor.index - 1]
        elif expression is None and cursor.peek().kind in (STRING, WORD):
            expression = cursor.next()
        else:
            cursor.fail("unexpected argument to rex")
    if expression is None:
        cursor.fail("rex needs a regular expression in double quotes")
    return options, expression


def _extraction(cursor: Cursor, field: str, expression: Token, max_match: Token | None) -> tree.Rex:
    regex = compiled_regex(cursor, expression)
    names = group_names(regex)
    if not names:
        raise cursor.error(f"the regex {regex.pattern!r} extracts nothing: it needs a named group "
                           "such as (?<name>...)", expression)
    if max_match is not None and not max_match.value.isdigit():
        raise cursor.error(f"max_match must be a non-negative integer, got {max_match.value!r}", max_match)
    return tree.Rex(field, names=tuple(names), finditer=regex_guard(regex.finditer, cursor, expression),
                   max_match=int(max_match.value) if max_match is not None else 1)


def parse(spl: str, start: int, end: int) -> tree.Rex | tree.RexSed:
    cursor = search_cursor(spl, start, end)
    options, expression = _arguments(cursor)
    if "offset_field" in options:
        raise unsupported(cursor, "rex offset_field=", options["offset_field"])
    field = options["field"].value if "field" in options else "_raw"
    mode = options.get("mode")
    if mode is None:
        return _extraction(cursor, field, expression, options.get("max_match"))
    if mode.value != "sed":
        raise cursor.error(f"rex mode={mode.value} is not a mode (mode=sed)", mode)
    return tree.RexSed(field, _sed(cursor, expression))


def _extract(node: tree.Rex, row: dict) -> dict:
    matches = []
    for value in values_of(row.get(node.field)):
        for match in node.finditer(as_text(value)):
            matches.append(match)
            if node.max_match and len(matches) == node.max_match:
                break
        if node.max_match and len(matches) == node.max_match:
            break
    if not matches:
        return row
    row = dict(row)
    for name in node.names:
        found = [m.group(name) for m in matches if m.group(name) is not None]
        if found:
            row[name] = found[0] if len(found) == 1 else found
    return row


def _edit(node: tree.RexSed, row: dict) -> dict:
    value = row.get(node.field)
    if value is None:
        return row
    edited = [node.sed(as_text(v)) for v in values_of(value)]
    return {**row, node.field: edited if isinstance(value, list) else edited[0]}


def prepare(node: tree.Rex | tree.RexSed, spl: str):
    if isinstance(node, tree.RexSed):
        return lambda rows, context: (_edit(node, row) for row in rows)
    return lambda rows, context: (_extract(node, row) for row in rows)


def columns(node: tree.Rex | tree.RexSed, cols):
    if cols is None:
        return None
    names = node.names if isinstance(node, tree.Rex) else ()
    return cols + [name for name in names if name not in cols]


COMMAND = Command(NAME, parse, prepare, columns, keeps)
