"""Syntax tree: search expressions, eval expressions and one node per command.

Every node that can be wrong at run time keeps `pos`, its offset in the expanded SPL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from typing import Literal as Fixed

from linux_auditd_at.structs import Struct, field

if TYPE_CHECKING:
    from linux_auditd_at.spl.lookups import LookupTable

# --- search expressions (the search command) ---------------------------------------------------


class And(Struct):
    """Every item matches (AND, or terms side by side)."""

    items: tuple[SearchExpr, ...]


class Or(Struct):
    """Any item matches."""

    items: tuple[SearchExpr, ...]


class Not(Struct):
    """The item does not match."""

    item: SearchExpr


class FieldCompare(Struct):
    """`field op value`; op is one of = != < <= > >=; `*` in value is a wildcard."""

    field: str
    op: str
    value: str
    case_sensitive: bool = False


class FieldIn(Struct):
    """`field IN (v1, v2)`: the same as `field=v1 OR field=v2`."""

    field: str
    values: tuple[str, ...]


class BareTerm(Struct):
    """A term without a field: matched against `_raw` between breakers."""

    text: str
    case_sensitive: bool = False


SearchExpr = And | Or | Not | FieldCompare | FieldIn | BareTerm
"""A node of a search expression."""


# --- eval expressions (eval, where) -------------------------------------------------------------


class Literal(Struct):
    """A string, number, boolean or null written in the expression."""

    value: str | int | float | bool | None
    pos: int = 0


class FieldRef(Struct):
    """A field's value in the row (a bare name, or one in single quotes)."""

    name: str
    pos: int = 0


class Call(Struct):
    """An eval function call; the parser has checked the name and the argument count."""

    name: str
    args: tuple[EvalExpr, ...]
    pos: int = 0


class BinaryOp(Struct):
    """`left op right`: arithmetic, concatenation, comparison or logic."""

    op: str  # + - * / % . = == != < <= > >= AND OR XOR LIKE
    left: EvalExpr
    right: EvalExpr
    pos: int = 0


class UnaryOp(Struct):
    """`NOT operand` or `-operand`."""

    op: str  # NOT, -
    operand: EvalExpr
    pos: int = 0


class InList(Struct):
    """`x IN ("a", "b")` in eval/where."""

    operand: EvalExpr
    values: tuple[EvalExpr, ...]
    pos: int = 0


EvalExpr = Literal | FieldRef | Call | BinaryOp | UnaryOp | InList
"""A node of an eval expression."""


# --- commands -----------------------------------------------------------------------------------


class Search(Struct):
    """`search <expression>`."""

    expr: SearchExpr | None  # None for a search with no terms


class Where(Struct):
    """`where <eval expression>`."""

    expr: EvalExpr


class Eval(Struct):
    """`eval f=expr, ...`: (field, expression) pairs, applied left to right."""

    assignments: tuple[tuple[str, EvalExpr], ...]


class Rename(Struct):
    """`rename a AS b, ...`: (source, target) pairs."""

    pairs: tuple[tuple[str, str], ...]


class Aggregation(Struct):
    """One stats function: `function(field) AS name`."""

    function: str  # canonical name: count, dc, min, max, sum, avg, values, first, last
    field: str | None
    name: str  # output column


class Stats(Struct):
    """`stats` (and `eventstats`): aggregations per group of the `by` fields."""

    aggregations: tuple[Aggregation, ...]
    by: tuple[str, ...] = ()


class Convert(Struct):
    """`convert [timeformat=...] ctime(field) [AS name] ...`."""

    timeformat: str
    conversions: tuple[tuple[str, str, str], ...]  # (function, field, output field)


class Fields(Struct):
    """`fields [+|-] f1, f2 ...`: keep the fields, or remove them."""

    remove: bool
    fields: tuple[str, ...]


class Table(Struct):
    """`table f1 f2 ...`: exactly these columns, in this order."""

    fields: tuple[str, ...]


SortKind = Fixed["auto", "num", "str"]
"""How sort compares a key: auto (numbers before strings), num, str."""


class SortKey(Struct):
    """One sort field: its direction and how values compare."""

    field: str
    descending: bool = False
    kind: SortKind = "auto"


class Sort(Struct):
    """`sort [N] key ... [desc]`: `reverse` is the trailing `desc`."""

    keys: tuple[SortKey, ...]
    limit: int = 10000  # 0 = no limit
    reverse: bool = False


class Head(Struct):
    """`head [N]`: the first `count` rows."""

    count: int = 10


class Dedup(Struct):
    """`dedup [N] f1 f2 ... [keepempty=] [consecutive=]`: `count` rows per combination."""

    fields: tuple[str, ...]
    count: int = 1
    keepempty: bool = False
    consecutive: bool = False


class Fillnull(Struct):
    """`fillnull [value=X] [f1 f2 ...]`: () fills every field any row has."""

    value: str = "0"
    fields: tuple[str, ...] = field(default_factory=tuple)


class RegexFilter(Struct):
    """`regex [field=|field!=]"<PCRE>"`."""

    field: str
    keep: bool  # True: keep the rows that match (field=); False: those that do not (field!=)
    search: Callable[[str], re.Match[str] | None]  # a match-limit hit raises SPLError


class Rex(Struct):
    """`rex [field=f] [max_match=N] "<PCRE>"`: `names` are the named groups, in order."""

    field: str
    names: tuple[str, ...]
    finditer: Callable[[str], Iterator[re.Match[str]]]  # a match-limit hit raises SPLError
    max_match: int = 1


class RexSed(Struct):
    """`rex mode=sed`: `sed` is the edit; a match-limit hit raises SPLError."""

    field: str
    sed: Callable[[str], str]


class Bin(Struct):
    """`bin span=<span> <field> [AS <target>]`: bins of `size` (in `unit`) each."""

    field: str
    target: str
    size: float
    unit: str  # "" for a numeric span, else s, m, h, d, mon


class Mvexpand(Struct):
    """`mvexpand <field> [limit=N]`."""

    field: str
    limit: int = 0  # 0: every value


class Lookup(Struct):
    """`lookup NAME in [AS ev] ... [OUTPUT|OUTPUTNEW out [AS ev] ...]`; `table` is bound when the
    pipeline is compiled (see `pipeline.parse_stages`)."""

    name: str
    inputs: tuple[tuple[str, str], ...]  # (lookup field, event field)
    outputs: tuple[tuple[str, str], ...] = ()  # (lookup field, event field); () = every other column
    new_only: bool = False  # OUTPUTNEW
    pos: int = 0
    table: LookupTable | None = field(default=None, compare=False, repr=False)


class InputLookup(Struct):
    """`| inputlookup [start=N] [max=N] NAME [WHERE search-expression]` (a generating command)."""

    name: str
    where: SearchExpr | None = None
    start: int = 0
    max: int = 1000000000
    pos: int = 0
    table: LookupTable | None = field(default=None, compare=False, repr=False)


def bound_table(node: Lookup | InputLookup) -> LookupTable:
    """The table `pipeline.bind_table` gave `node`; a command never runs an unbound node."""
    if node.table is None:
        raise RuntimeError(f"lookup {node.name!r} has no table bound")
    return node.table


class Format(Struct):
    """`format [mvsep=] [maxresults=] [row/column strings] [emptystr=]`: the rows as one search."""

    mvsep: str = "OR"
    maxresults: int = 0
    parts: tuple[str, str, str, str, str, str] = ("(", "(", "AND", ")", "OR", ")")
    emptystr: str = "NOT ( )"


class Return(Struct):
    """`return [N] [alias=field ...] [field ...] [$field ...]`: one row whose `search` is the text."""

    count: int = 1
    items: tuple[tuple[str | None, str], ...] = ()  # (name shown, field); name None: `$field`, the value
