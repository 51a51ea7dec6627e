"""Multivalue functions (Search Reference, "Multivalue eval functions"): mvappend, mvcount,
mvindex, mvfind, mvjoin, mvfilter, split. A multivalue value is a list of values (see `values`);
a list of one value acts as that value and one of none as null.

- mvindex(mv, start[, end]): 0-based, negative indexes count from the end, `end` inclusive;
  out of range gives null.
- mvfind(mv, "regex"): the index of the first value the PCRE regex matches, else null.
- mvfilter(condition): the values of the one field the condition names for which it is true,
  null when none is.
- split(s, delim): the pieces between delimiters (empty pieces kept); an empty delimiter splits
  into characters (UNVERIFIED).
"""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.functions.conditional import guarded, literal_regex
from linux_auditd_at.spl.functions.registry import Kind, function
from linux_auditd_at.spl.values import as_text, to_number, values_of
from linux_auditd_at.structs import Struct, fields


def _multivalue(values: list) -> object:
    return values if values else None


@function("mvappend", 1, None, Kind.VALUE)
def _mvappend(compiler, call):
    args = [compiler.compile(a) for a in call.args]
    return lambda row: _multivalue([v for a in args for v in values_of(a(row))])


@function("mvcount", 1, 1, Kind.VALUE)
def _mvcount(compiler, call):
    arg = compiler.compile(call.args[0])
    return lambda row: len(values) if (values := values_of(arg(row))) else None


def _index(values: list, position: object) -> int | None:
    number = to_number(position)
    if not isinstance(number, int):
        return None
    index = number + len(values) if number < 0 else number
    return index if 0 <= index < len(values) else None


@function("mvindex", 2, 3, Kind.VALUE)
def _mvindex(compiler, call):
    arg, start = compiler.compile(call.args[0]), compiler.compile(call.args[1])
    end = compiler.compile(call.args[2]) if len(call.args) > 2 else None

    def pick(row):
        values = values_of(arg(row))
        first = _index(values, start(row))
        if first is None:
            return None
        if end is None:
            return values[first]
        last = _index(values, end(row))
        return None if last is None or last < first else _multivalue(values[first:last + 1])
    return pick


@function("mvfind", 2, 2, Kind.VALUE)
def _mvfind(compiler, call):
    arg = compiler.compile(call.args[0])
    regex = literal_regex(compiler, call, 1)
    first = guarded(compiler, call.args[1].pos, lambda values: next(
        (i for i, v in enumerate(values) if regex.search(as_text(v)) is not None), None))
    return lambda row: first(values_of(arg(row)))


@function("mvjoin", 2, 2, Kind.VALUE)
def _mvjoin(compiler, call):
    arg, delimiter = compiler.compile(call.args[0]), compiler.compile(call.args[1])

    def join(row):
        values, text = values_of(arg(row)), delimiter(row)
        if not values or text is None:
            return None
        return as_text(text).join(as_text(v) for v in values)
    return join


def _field_names(expr) -> set[str]:
    """The fields an expression reads."""
    if isinstance(expr, tree.FieldRef):
        return {expr.name}
    if not isinstance(expr, Struct):
        return set()
    names = set()
    for field in fields(expr):
        child = getattr(expr, field)
        for item in child if isinstance(child, tuple) else (child,):
            names |= _field_names(item)
    return names


@function("mvfilter", 1, 1, Kind.VALUE)
def _mvfilter(compiler, call):
    names = _field_names(call.args[0])
    if len(names) != 1:
        raise compiler.error("mvfilter() needs a condition on exactly one field", call.pos)
    name = names.pop()
    condition = compiler.truth(call.args[0])

    def keep(row):
        return _multivalue([v for v in values_of(row.get(name)) if condition({**row, name: v}) is True])
    return keep


@function("split", 2, 2, Kind.VALUE)
def _split(compiler, call):
    arg, delimiter = compiler.compile(call.args[0]), compiler.compile(call.args[1])

    def split(row):
        value, text = arg(row), delimiter(row)
        if value is None or text is None:
            return None
        value, text = as_text(values_of(value)[0]), as_text(values_of(text)[0])
        return _multivalue(list(value) if text == "" else value.split(text))
    return split
