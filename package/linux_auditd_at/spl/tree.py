"""Syntax tree: search expressions, eval expressions and one node per command.

Every node that can be wrong at run time keeps `pos`, its offset in the expanded SPL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from typing import Literal as Fixed

if TYPE_CHECKING:
    from linux_auditd_at.spl.lookups import LookupTable

# --- search expressions (the search command) ---------------------------------------------------


@dataclass(frozen=True)
class And:
    items: tuple[SearchExpr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[SearchExpr, ...]


@dataclass(frozen=True)
class Not:
    item: SearchExpr


@dataclass(frozen=True)
class FieldCompare:
    """`field op value`; op is one of = != < <= > >=; `*` in value is a wildcard."""

    field: str
    op: str
    value: str
    case_sensitive: bool = False


@dataclass(frozen=True)
class FieldIn:
    """`field IN (v1, v2)`: the same as `field=v1 OR field=v2`."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class BareTerm:
    """A term without a field: matched against `_raw` between breakers."""

    text: str
    case_sensitive: bool = False


SearchExpr = And | Or | Not | FieldCompare | FieldIn | BareTerm
"""A node of a search expression."""


# --- eval expressions (eval, where) -------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None
    pos: int = 0


@dataclass(frozen=True)
class FieldRef:
    name: str
    pos: int = 0


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[EvalExpr, ...]
    pos: int = 0


@dataclass(frozen=True)
class BinaryOp:
    op: str  # + - * / % . = == != < <= > >= AND OR XOR LIKE
    left: EvalExpr
    right: EvalExpr
    pos: int = 0


@dataclass(frozen=True)
class UnaryOp:
    op: str  # NOT, -
    operand: EvalExpr
    pos: int = 0


@dataclass(frozen=True)
class InList:
    """`x IN ("a", "b")` in eval/where."""

    operand: EvalExpr
    values: tuple[EvalExpr, ...]
    pos: int = 0


EvalExpr = Literal | FieldRef | Call | BinaryOp | UnaryOp | InList
"""A node of an eval expression."""


# --- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    expr: SearchExpr | None  # None for a search with no terms


@dataclass(frozen=True)
class Where:
    expr: EvalExpr


@dataclass(frozen=True)
class Eval:
    assignments: tuple[tuple[str, EvalExpr], ...]


@dataclass(frozen=True)
class Rename:
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Aggregation:
    function: str  # canonical name: count, dc, min, max, sum, avg, values, first, last
    field: str | None
    name: str  # output column


@dataclass(frozen=True)
class Stats:
    aggregations: tuple[Aggregation, ...]
    by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Convert:
    timeformat: str
    conversions: tuple[tuple[str, str, str], ...]  # (function, field, output field)


@dataclass(frozen=True)
class Fields:
    remove: bool
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    fields: tuple[str, ...]


SortKind = Fixed["auto", "num", "str"]
"""How sort compares a key: auto (numbers before strings), num, str."""


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False
    kind: SortKind = "auto"


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]
    limit: int = 10000  # 0 = no limit
    reverse: bool = False


@dataclass(frozen=True)
class Head:
    count: int = 10


@dataclass(frozen=True)
class Dedup:
    fields: tuple[str, ...]
    count: int = 1
    keepempty: bool = False
    consecutive: bool = False


@dataclass(frozen=True)
class Fillnull:
    value: str = "0"
    fields: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RegexFilter:
    field: str
    keep: bool  # True: keep the rows that match (field=); False: those that do not (field!=)
    search: Callable[[str], re.Match[str] | None]  # a match-limit hit raises SPLError


@dataclass(frozen=True)
class Rex:
    field: str
    names: tuple[str, ...]
    finditer: Callable[[str], Iterator[re.Match[str]]]  # a match-limit hit raises SPLError
    max_match: int = 1


@dataclass(frozen=True)
class RexSed:
    """`rex mode=sed`: `sed` is the edit; a match-limit hit raises SPLError."""

    field: str
    sed: Callable[[str], str]


@dataclass(frozen=True)
class Bin:
    field: str
    target: str
    size: float
    unit: str  # "" for a numeric span, else s, m, h, d, mon


@dataclass(frozen=True)
class Mvexpand:
    field: str
    limit: int = 0  # 0: every value


@dataclass(frozen=True)
class Lookup:
    """`lookup NAME in [AS ev] ... [OUTPUT|OUTPUTNEW out [AS ev] ...]`; `table` is bound when the
    pipeline is compiled (see `pipeline.parse_stages`)."""

    name: str
    inputs: tuple[tuple[str, str], ...]  # (lookup field, event field)
    outputs: tuple[tuple[str, str], ...] = ()  # (lookup field, event field); () = every other column
    new_only: bool = False  # OUTPUTNEW
    pos: int = 0
    table: LookupTable | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class InputLookup:
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


@dataclass(frozen=True)
class Format:
    """`format [mvsep=] [maxresults=] [row/column strings] [emptystr=]`: the rows as one search."""

    mvsep: str = "OR"
    maxresults: int = 0
    parts: tuple[str, str, str, str, str, str] = ("(", "(", "AND", ")", "OR", ")")
    emptystr: str = "NOT ( )"


@dataclass(frozen=True)
class Return:
    """`return [N] [alias=field ...] [field ...] [$field ...]`: one row whose `search` is the text."""

    count: int = 1
    items: tuple[tuple[str | None, str], ...] = ()  # (name shown, field); name None: `$field`, the value
