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

from linux_auditd_at.spl import ast
from linux_auditd_at.spl.commands.arguments import (
    expect_end,
    integer,
    option,
    regex_argument,
    regex_guard,
    search_cursor,
)
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.lexer import EOF, STRING
from linux_auditd_at.spl.regex import Regex, RegexError, group_names, substitute
from linux_auditd_at.spl.values import as_text, values_of

NAME = "rex"
_OPTIONS = ("field", "max_match", "mode", "offset_field")


def _sed(cursor, token) -> tuple:
    """A sed expression -> ("s", Regex, replacement, occurrence) or ("y", table)."""
    text = token.value
    parts, current, i = [], [], 2
    if len(text) < 2 or text[0] not in "sy" or text[1] != "/":
        raise cursor.error("mode=sed needs \"s/regex/replacement/flags\" or \"y/from/to/\"", token)
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == "/":
            current.append("/")
            i += 2
            continue
        if text[i] == "/":
            parts.append("".join(current))
            current = []
        else:
            current.append(text[i])
        i += 1
    parts.append("".join(current))
    if len(parts) != 3:
        raise cursor.error("a sed expression has three parts: s/regex/replacement/flags", token)
    if text[0] == "y":
        if len(parts[0]) != len(parts[1]) or parts[2]:
            raise cursor.error("y/from/to/ needs <from> and <to> of the same length", token)
        return ("y", str.maketrans(parts[0], parts[1]))
    flags = parts[2]
    if flags not in ("", "g") and not flags.isdigit():
        raise cursor.error(f"unsupported sed flags {flags!r} (g or a number)", token)
    occurrence = 0 if flags == "g" else int(flags or 1)
    try:
        regex = Regex(parts[0])
    except RegexError as err:
        raise cursor.error(f"bad regular expression: {err}", token) from None
    edit = regex_guard(lambda value: substitute(regex, parts[1], value, occurrence), cursor, token)
    return ("s", edit)


def parse(spl: str, start: int, end: int) -> ast.Rex:
    cursor = search_cursor(spl, start, end)
    options, regex, max_match = {}, None, 1
    while not cursor.at(EOF):
        if opt := option(cursor, _OPTIONS):
            options[opt[0]] = (opt[1], cursor.tokens[cursor.index - 1])
            if opt[0] == "max_match":
                max_match = integer(cursor, opt[1], "max_match")
            continue
        if regex is not None:
            cursor.fail("unexpected argument to rex")
        if options.get("mode", ("",))[0] == "sed" and cursor.at(STRING):
            regex = ("sed", cursor.next())
        else:
            regex = ("extract", *regex_argument(cursor))
    if regex is None:
        cursor.fail("rex needs a regular expression in double quotes")
    field = options.get("field", ("_raw",))[0]
    if "offset_field" in options:
        raise cursor.error("rex offset_field= is not supported by the offline engine",
                           options["offset_field"][1])
    mode = options.get("mode", ("",))
    if mode[0] not in ("", "sed"):
        raise cursor.error(f"rex mode={mode[0]} is not a mode (mode=sed)", mode[1])
    expect_end(cursor, NAME)
    if mode[0] == "sed":
        if regex[0] != "sed":
            raise cursor.error("mode=sed needs its expression after it", regex[2])
        return ast.Rex(field, sed=_sed(cursor, regex[1]))
    _, compiled, token = regex
    names = group_names(compiled)
    if not names:
        raise cursor.error(f"the regex {compiled.pattern!r} extracts nothing: it needs a named group "
                           "such as (?<name>...)", token)
    finditer = regex_guard(compiled.finditer, cursor, token)
    return ast.Rex(field, names=tuple(names), finditer=finditer, max_match=max_match)


def _extract(node: ast.Rex, row: dict) -> dict:
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


def _edit(node: ast.Rex, row: dict) -> dict:
    value = row.get(node.field)
    if value is None:
        return row
    kind, how = node.sed
    edit = (lambda text: text.translate(how)) if kind == "y" else how
    edited = [edit(as_text(v)) for v in values_of(value)]
    return {**row, node.field: edited if isinstance(value, list) else edited[0]}


def prepare(node: ast.Rex, spl: str):
    change = _edit if node.sed else _extract
    return lambda rows, context: (change(node, row) for row in rows)


def columns(node: ast.Rex, cols):
    if cols is None:
        return None
    return cols + [name for name in node.names if name not in cols]


COMMAND = Command(NAME, parse, prepare, columns, keeps)
