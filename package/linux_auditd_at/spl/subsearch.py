"""Subsearches (`[ ... ]`) and the text their results become (Search Manual, "About subsearches"
and "Change the format of subsearch results"; Search Reference, format and return).

A subsearch runs once, before the search that holds it, and its place in the SPL is replaced by
its results written as a search expression, the way the implicit `format` writes them:

    ( ( f1="v1" AND f2="v2" ) OR ( f1="v3" AND f2="v4" ) )

- fields starting with `_` are left out; a field named `search` or `query` is written as its
  value, unquoted (that is how `format` and `return` inside the subsearch hand over their text);
- a multivalue field is `( f="a" OR f="b" )` (`mvsep`, default OR: format's example 3 gives
  `( foo="eventtype" mvseparator foo="log_level" )`);
- fields in name order, whatever the column order: format's example 1 turns `fields source,
  sourcetype, host` into `( host="..." AND source="..." AND sourcetype="..." )` (byte order, so
  `UID` before `dest`, is UNVERIFIED: the example has lower-case names only);
- no rows (or only rows without fields) give `NOT ( )`, the format command's empty string as its
  example 4 prints it; `()` matches every event, so `search [empty]` keeps nothing and
  `search NOT [empty]` keeps everything (the empty group's meaning is UNVERIFIED);
- at most SUBSEARCH_MAXOUT rows are used ("By default, subsearches return a maximum of 10,000
  results", Search Reference, append); the rows past it are counted in a warning.

Offline there is no index to search, so a subsearch must start with a generating command
(`| inputlookup ...`); one that searches events is not supported by the offline engine. It runs
with the current time and UTC as its context (no command it can hold depends on them).
"""

from __future__ import annotations

from collections.abc import Callable

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import tree
from linux_auditd_at.spl.lexer import outside_quotes
from linux_auditd_at.spl.values import as_text, values_of

SUBSEARCH_MAXOUT = 10000
DEFAULT_FORMAT = tree.Format()
_VERBATIM = ("search", "query")


def quoted(value: object) -> str:
    """A value as a double-quoted search term, `"` and `\\` escaped."""
    return '"' + as_text(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _term(name: str, value: object, mvsep: str) -> str | None:
    values = values_of(value)
    if not values:
        return None
    if name in _VERBATIM:
        return " ".join(as_text(v) for v in values)
    terms = [f"{name}={quoted(v)}" for v in values]
    return terms[0] if len(terms) == 1 else "( " + f" {mvsep} ".join(terms) + " )"


def format_rows(rows: list[dict], columns: list[str], spec: tree.Format = DEFAULT_FORMAT) -> str:
    """The rows as one search expression, as `format` writes them (see the module docstring)."""
    row_open, column_open, column_sep, column_end, row_sep, row_end = spec.parts
    rows = rows[:spec.maxresults] if spec.maxresults else rows
    names = sorted(name for name in columns if not name.startswith("_"))
    written = []
    for row in rows:
        terms = [t for name in names if (t := _term(name, row.get(name), spec.mvsep)) is not None]
        if terms:
            written.append(f"{column_open} " + f" {column_sep} ".join(terms) + f" {column_end}")
    if not written:
        return spec.emptystr
    return f"{row_open} " + f" {row_sep} ".join(written) + f" {row_end}"


def subsearch_spans(spl: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost `[ ... ]` outside double-quoted strings (end after `]`)."""
    spans, start = [], 0
    for i, char, depth in outside_quotes(spl):
        if char == "[" and depth == 0:
            start = i
        elif char == "]" and depth == 0:
            spans.append((start, i + 1))
    return spans


def expand_subsearches(spl: str, run: Callable[[str], tuple[list[dict], list[str]]],
                       warnings: list[str]) -> str:
    """`spl` with each subsearch replaced by its formatted results. `run(inner)` compiles and runs
    the inner SPL and returns (rows, columns); its SPLErrors are re-raised pointing into `spl`."""
    out, last = [], 0
    for start, end in subsearch_spans(spl):
        inner = spl[start + 1:end - 1]
        try:
            rows, columns = run(inner)
        except SPLError as exc:
            position = start + 1 + (exc.position or 0)
            raise type(exc)(f"in the subsearch: {exc.message}", spl=spl, position=position) from None
        if len(rows) > SUBSEARCH_MAXOUT:
            warnings.append(f"the subsearch at position {start} returned {len(rows)} rows; as in Splunk, "
                            f"only the first {SUBSEARCH_MAXOUT} were used")
            rows = rows[:SUBSEARCH_MAXOUT]
        out += [spl[last:start], " ", format_rows(rows, columns), " "]
        last = end
    return "".join(out) + spl[last:]
