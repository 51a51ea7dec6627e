"""The stats fold as a program a reader may run on raw lines itself (audit/_lines.c `fold`), and
the stats states of the groups it made.

`fold_program(searches, prefiltered, node, metadata, context)` derives it when every stage before
stats is a search (on the events' names, `fold.Fold`) whose terms are `f=v`, `f!=v`, `f IN (...)`,
`f=*` (no `*` inside a value, no CIDR block), NOT, AND and OR, and stats reads only `count`,
`count(f)`, `min(_time)` and `max(_time)`, grouped by fields; else None (the events go through
the fold in Python). A term on an input's metadata field (`host`, `source`, ...: the same for every
line of the input) is decided here by the engine's own matcher on `metadata`; a by-field from the
metadata is that constant. Every other field is a slot: the value of the line's first `key=` pair
of that name, as the reader extracts it. `_time`, `_raw` or a field the reader sets otherwise in a
term or a by-field: None.

The program, in builtins only (the reader knows nothing of SPL):
`(keys, tests, kept, by, aggregates, earliest, latest)` where
- `keys`: the slots' field names;
- `tests`: each search stage's test, in order; a test is
  True, False, `(ALL, t...)`, `(ANY, t...)`, `(NOT, t)`, `(PRESENT, slot)`,
  `(EQ | NE, slot, case_sensitive, literals)`: EQ when the slot has a value equal to one of the
  literals (bytes: the search's value lower-cased by Python's `str.lower` unless case-sensitive,
  in UTF-8; the line's ASCII value is lower-cased the same way, so they compare as the engine's
  `value.lower() == literal.lower()` does), NE when it has a value equal to none; a line without
  the field passes neither, as in `search_expr`;
- `kept`: a test that a line passes only when the reader's prefilter, derived from the first
  stage (`prefiltered`: its expression, None when the first stage is no test), keeps it: a line
  failing the first test but passing `kept` is an event the search read and dropped, which the
  C fold counts without the Python path. It is the first stage's test with what the prefilter
  does not check (NOT, `!=`, `<`...) taken as true, since the prefilter takes them so, and every
  field term `f=v` kept (the field's first value being v means the line holds `f=v` at a key
  start, which the prefilter looks for); a term the program cannot test is false (the Python
  path decides);
- `by`: per by-field a slot (int) or the constant (str); a line whose slot has no value is in no
  group (stats' null by-field);
- `aggregates`: `(COUNT, -1)` every line, `(COUNT, slot)` lines with a value, `(MIN_TIME, -1)`,
  `(MAX_TIME, -1)`;
- `earliest`, `latest`: the time range (float or None): a line outside is left to the caller.

`line_program(expr, metadata)` is the first search stage alone, `(keys, tests, kept)` as above
with its one test, for a reader that builds the events of candidate lines itself
(`_lines.events`): a line passing the test or `kept` is one the prefilter keeps. None where the
stage is not a program's.

`states(groups, node, functions)` turns the groups the C fold made (`key -> [value per aggregate]`)
into stats states (`commands.stats.Groups`): `Count.counted` of the counts, `Extreme.timed` of the
times (the state `start` gives a group whose first event has that time).
"""

from __future__ import annotations

from collections.abc import Mapping

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.cidr import parse_cidr
from linux_auditd_at.spl.commands.stats import Groups
from linux_auditd_at.spl.context import Context
from linux_auditd_at.spl.search_expr import compile_matcher, matches_everything

ALL, ANY, NOT, EQ, NE, PRESENT = range(6)
COUNT, MIN_TIME, MAX_TIME = range(3)
_SET_OTHERWISE = frozenset({"_time", "_raw"})
"""Fields a reader sets itself (not from a line's pairs), besides the metadata."""
_TIME_FUNCTIONS = {"min": MIN_TIME, "max": MAX_TIME}


class _Declined(Exception):
    """The stages are not a program's (the fold in Python runs them)."""


class _Slots:
    """Field names to slots, in order of first use, and the metadata's constants."""

    def __init__(self, metadata: Mapping[str, object]):
        self.keys: dict[str, int] = {}
        self.metadata = metadata

    def slot(self, name: str) -> int:
        if name in _SET_OTHERWISE or name in self.metadata:
            raise _Declined
        return self.keys.setdefault(name, len(self.keys))


def fold_program(searches: list[tree.SearchExpr | None], prefiltered: tree.SearchExpr | None,
                 node: tree.Stats, metadata: Mapping[str, object], context: Context) -> tuple | None:
    """The program of the search stages `searches` and stats `node` for the lines of an input with
    these metadata fields, else None (module docstring)."""
    slots = _Slots(metadata)
    try:
        tests = tuple(_test(expr, slots) for expr in searches)
        by = tuple(_by(name, slots) for name in node.by)
        aggregates = tuple(_aggregate(a, slots) for a in node.aggregations)
        window = tuple(_bound(bound) for bound in (context.earliest, context.latest))
    except _Declined:
        return None
    kept = False if prefiltered is None else _kept(prefiltered, slots)
    return (tuple(slots.keys), tests, kept, by, aggregates, *window)


def line_program(expr: tree.SearchExpr, metadata: Mapping[str, object]) -> tuple | None:
    """`(keys, (test,), kept)` of a first search stage for the lines of an input with these
    metadata fields, else None (module docstring)."""
    slots = _Slots(metadata)
    try:
        test = _test(expr, slots)
    except _Declined:
        return None
    kept = _kept(expr, slots)
    return tuple(slots.keys), (test,), kept


def states(groups: dict[tuple, list], node: tree.Stats, functions: list) -> Groups:
    """The stats states of the groups a program's fold made (module docstring), a function's
    column at a time."""
    if not groups:
        return {}
    values = zip(*groups.values(), strict=True)
    columns = [function.counted([*column]) if a.function == "count" else function.timed([*column])
               for a, function, column in zip(node.aggregations, functions, values, strict=True)]
    return dict(zip(groups, map(list, zip(*columns, strict=True)), strict=True))


def _all(tests: list[object]) -> object:
    kept = [test for test in tests if test is not True]
    if False in kept:
        return False
    return True if not kept else kept[0] if len(kept) == 1 else (ALL, *kept)


def _any(tests: list[object]) -> object:
    kept = [test for test in tests if test is not False]
    if True in kept:
        return True
    return False if not kept else kept[0] if len(kept) == 1 else (ANY, *kept)


def _test(expr: tree.SearchExpr | None, slots: _Slots) -> object:
    if matches_everything(expr):
        return True
    match expr:
        case tree.And(items):
            return _all([_test(item, slots) for item in items])
        case tree.Or(items):
            return _any([_test(item, slots) for item in items])
        case tree.Not(item):
            inner = _test(item, slots)
            return (not inner) if isinstance(inner, bool) else (NOT, inner)
        case tree.FieldIn(field) | tree.FieldCompare(field) if field in slots.metadata:
            return compile_matcher(expr)(dict(slots.metadata))  # the same for every line of the input
        case tree.FieldIn(field, values):
            return (EQ, slots.slot(field), False, _literals(values, False))
        case tree.FieldCompare(field, "=" | "!=" as op, "*"):
            return (PRESENT, slots.slot(field)) if op == "=" else False
        case tree.FieldCompare(field, "=" | "!=" as op, value, case_sensitive):
            return (EQ if op == "=" else NE, slots.slot(field), case_sensitive,
                    _literals((value,), case_sensitive))
    raise _Declined  # a bare term, < > <= >=


def _kept(expr: tree.SearchExpr, slots: _Slots) -> object:
    """The `kept` test of the first stage's expression (module docstring)."""
    match expr:
        case tree.And(items):
            return _all([_kept(item, slots) for item in items])
        case tree.Or(items):
            return _any([_kept(item, slots) for item in items])
        case tree.Not() | tree.FieldCompare(op="!=" | "<" | "<=" | ">" | ">="):
            return True
    try:
        return _test(expr, slots)
    except _Declined:
        return False


def _literals(values: tuple[str, ...], case_sensitive: bool) -> tuple[bytes, ...]:
    if any("*" in value or parse_cidr(value) for value in values):
        raise _Declined
    return tuple((value if case_sensitive else value.lower()).encode() for value in values)


def _by(name: str, slots: _Slots) -> int | str:
    if name in slots.metadata:
        value = slots.metadata[name]
        if type(value) is not str:
            raise _Declined
        return value
    return slots.slot(name)


def _aggregate(aggregation: tree.Aggregation, slots: _Slots) -> tuple[int, int]:
    name, field = aggregation.function, aggregation.field
    if name == "count":
        return COUNT, -1 if field is None else slots.slot(field)
    if name in _TIME_FUNCTIONS and field == "_time":
        return _TIME_FUNCTIONS[name], -1
    raise _Declined


def _bound(bound: float | None) -> float | None:
    """A time bound as the C fold compares it, exactly (an int a float cannot hold: declined)."""
    if bound is None or type(bound) is float:
        return bound
    if float(bound) != bound:
        raise _Declined
    return float(bound)
