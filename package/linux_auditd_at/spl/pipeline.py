"""A compiled search: the stages, their execution with per-stage counts, and the result shape.

Subsearches (`[ ... ]`) run first and are replaced by their formatted results (`subsearch`);
positions in later errors are offsets into the SPL with the subsearches replaced. The first
command is `search` unless the SPL starts with `|`, which must be followed by an explicit
`search` or a generating command (`inputlookup`). Command names are case-insensitive. A Splunk
command the engine does not implement is an UnsupportedSPLError, a name Splunk does not know an
SPLError. Lookup tables are bound to the `lookup`/`inputlookup` nodes here, through the
`lookups` resolver the caller passes (see `spl.lookups`), so a missing lookup fails before any
event is read. Events outside Context.earliest (inclusive) .. Context.latest (exclusive) are
dropped, and counted, before the first stage (an event without `_time` is kept). Stages are
chained generators: streaming commands hold one row at a time, stats one state per function and
group; sort, fillnull without fields, and the final result list hold all rows. Where `fold`
applies, the stages up to the first stats run as one loop instead, with the same rows and counts
(`execute(..., general=True)` runs every stage as a generator).

Order: Splunk searches the most recent events first (Search Reference, dedup and head), while a
log is read oldest first. When the result shows the events' order (a list of events, or head,
dedup, sort or stats first()/last() before any command that orders rows itself), the events that
pass the leading search/where commands are put in search order there: newest first, the one
read later first on equal times (UNVERIFIED). That holds those events; the shipped search (stats
count, min, max) never needs it. Rows that stats, sort, head or dedup put out keep their order.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC
from typing import Any

from linux_auditd_at.errors import SPLError, UnsupportedSPLError
from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands import COMMANDS, SPLUNK_COMMANDS, Command, Order
from linux_auditd_at.spl.context import Context, Event, Result, Row, StageStats, exact_rows, in_time_range
from linux_auditd_at.spl.fold import Tally, compile_fold, counted
from linux_auditd_at.spl.lexer import split_pipeline, strip_comments
from linux_auditd_at.spl.lookups import Lookups
from linux_auditd_at.spl.prefilter import Prefilter, build_prefilter
from linux_auditd_at.spl.projection import Fields, fields_read
from linux_auditd_at.spl.search_expr import matches_everything
from linux_auditd_at.spl.subsearch import expand_subsearches
from linux_auditd_at.spl.values import all_text, to_number, to_result
from linux_auditd_at.structs import Struct, replace

_COMMAND_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Stage(Struct):
    """One command: its SPL text, parsed node, contract and prepared step."""

    text: str
    node: Any
    command: Command[Any]
    step: Callable


def _command(name: str, spl: str, offset: int, end: int) -> Command:
    """The Command named `name`; an error saying whether Splunk has such a command."""
    command = COMMANDS.get(name)
    if command is not None:
        return command
    shown = name or spl[offset:end].split()[0]
    if name in SPLUNK_COMMANDS:
        raise UnsupportedSPLError(f"command {shown!r} is valid SPL but not supported by the offline engine",
                                  spl=spl, position=offset)
    raise SPLError(f"unknown search command {shown!r}", spl=spl, position=offset)


def bind_table(node, spl: str, lookups: Lookups | None):
    """A lookup/inputlookup node with its table from `lookups` (whose error for a lookup it cannot
    find, naming the places it looked, passes through); other nodes unchanged."""
    if not isinstance(node, tree.Lookup | tree.InputLookup):
        return node
    if lookups is None:
        raise SPLError(f"lookup {node.name!r}: no lookup tables were given to the engine", spl=spl,
                       position=node.pos)
    return replace(node, table=lookups(node.name))


def parse_stages(spl: str, lookups: Lookups | None = None) -> list[Stage]:
    """Split the pipeline (inline comments replaced by a space) and parse each command with its
    Command (see `commands.contract`); `spl` has no subsearches."""
    spl = strip_comments(spl)
    if not spl.strip():
        raise SPLError("empty search", spl=spl, position=0)
    bounds = split_pipeline(spl)
    leading_pipe = not spl[bounds[0][0]:bounds[0][1]].strip() and len(bounds) > 1
    if leading_pipe:
        bounds = bounds[1:]
    stages = []
    for index, (start, end) in enumerate(bounds):
        text = spl[start:end]
        offset = start + len(text) - len(text.lstrip())
        if offset >= end:
            raise SPLError("empty command between pipes", spl=spl, position=start)
        match = _COMMAND_NAME.match(spl, offset, end)
        name = match.group().lower() if match else ""
        is_keyword = match is not None and (match.end() == end or spl[match.end()].isspace())
        if index == 0 and not leading_pipe and not (name == "search" and is_keyword):
            command, args_start = COMMANDS["search"], offset
        else:
            command = _command(name if is_keyword else "", spl, offset, end)
            if index == 0 and name != "search" and not command.generating:
                raise SPLError(f"a search must start with search or a generating command, not {name!r}",
                               spl=spl, position=offset)
            if index > 0 and command.generating:
                raise SPLError(f"{name} must be the first command of a search", spl=spl, position=offset)
            assert match is not None  # _command("") raised: a command has a name
            args_start = match.end()
        node = bind_table(command.parse(spl, args_start, end), spl, lookups)
        stages.append(Stage(text.strip(), node, command, command.prepare(node, spl)))
    return stages


def search_order(rows: Iterable[Row]) -> list[Row]:
    """Events read oldest first in Splunk's search order: newest first, of equal times the one
    read later first; rows without a time keep their order after them."""
    def key(item: tuple[int, Row]) -> tuple:
        index, row = item
        when = to_number(row.get("_time"))
        return (1, 0, index) if when is None else (0, -when, -index)
    return [row for _, row in sorted(enumerate(rows), key=key)]


def _result_row(row: Row, columns: list[str]) -> Row:
    """The row as a result row: each column's value in the shape of Splunk's JSON results
    (`to_result`); a copy as it is when it holds exactly the columns, in order, as strings."""
    if [*row] == columns and all_text(row.values()):
        return row.copy()
    return {name: value if type(value := row.get(name)) is str else to_result(value) for name in columns}


def _result_rows(rows: list[Row], columns: list[str]) -> list[Row]:
    """Each row as a result row (`_result_row`); when every row holds exactly the columns, in
    order, as strings (told for all rows at once), copies as they are."""
    if (exact_rows(rows, columns)
            and all_text(itertools.chain.from_iterable(map(dict.values, rows)))):
        return [*map(dict.copy, rows)]
    return [_result_row(row, columns) for row in rows]


def _tally(counter: Iterator[int]) -> Tally:
    return lambda: [next(counter)]


def reorder_point(stages: list[Stage]) -> int | None:
    """The stage before which events go into search order (len(stages): at the end), or None
    when no result shows their order (see the module docstring)."""
    leading = next((i for i, stage in enumerate(stages) if stage.command.name not in ("search", "where")),
                   len(stages))
    for stage in stages:
        order = stage.command.order(stage.node)
        if order is Order.NEEDS:
            return leading
        if order is Order.SETS:
            return None
    return leading


class Pipeline:
    """A parsed search: a list of command stages (see `linux_auditd_at.spl` for the interface)."""

    def __init__(self, spl: str, lookups: Lookups | None = None):
        self.warnings: list[str] = []
        def run(inner: str) -> tuple[list[Row], list[str]]:
            return _run_subsearch(inner, lookups, self.warnings)

        self.spl = expand_subsearches(strip_comments(spl), run, self.warnings)
        self.stages = parse_stages(self.spl, lookups)
        self.reorder_at = reorder_point(self.stages)
        self.fold = compile_fold(self.stages, self.reorder_at, self.spl)

    def raw_prefilter(self) -> Prefilter | None:
        """A predicate on the raw log line from the first search stage (None: nothing to test)."""
        return build_prefilter(self._first_search())

    def _first_search(self) -> tree.SearchExpr | None:
        """The expression of the first stage when it is a search, else None."""
        match self.stages[0].node:
            case tree.Search(expr):
                return expr
            case _:
                return None

    def line_program(self) -> Callable[[Mapping[str, object]], tuple | None] | None:
        """For a reader that builds candidate lines' events itself: the first search stage as a
        program for an input's metadata (`fold_program.line_program`), None without one."""
        expr = self._first_search()
        if expr is None or matches_everything(expr):
            return None
        from linux_auditd_at.spl.fold_program import line_program

        return lambda metadata: line_program(expr, metadata)

    def fields_read(self) -> Fields:
        """The event fields the search can read (None: every field); see `projection`."""
        return fields_read(self.stages)

    def execute(self, events: Iterable[Event], context: Context, *, general: bool = False) -> Result:
        """Run the search over `events`; the stages up to stats through the fold where it applies
        (`spl.fold`, which folds events that come in spans where they are read), unless `general`:
        the same Result either way."""
        result = Result(columns=[], rows=[], stages=[StageStats(stage.text) for stage in self.stages])
        start = 0
        rows: Iterable[Row]
        if self.fold is not None and not general:
            rows, tally, outside = self.fold.run(events, context)
            start = self.fold.stats_at + 1
        else:
            rows, outside = in_time_range(events, context)
            rows, entered = counted(rows)
            tally = _tally(entered)
        tallies = [tally]
        for index, stage in enumerate(self.stages[start:], start):
            if index == self.reorder_at:
                rows = search_order(rows)
            rows, passed = counted(stage.step(rows, context))
            tallies.append(_tally(passed))
        rows = search_order(rows) if self.reorder_at == len(self.stages) else list(rows)
        reached = [count for tally in tallies for count in tally()]  # a stage reads what the last passed
        for index, stats in enumerate(result.stages):
            stats.read, stats.passed = reached[index], reached[index + 1]
        result.outside_time_range = outside()
        columns = self.columns()
        if columns is None:
            columns = list(dict.fromkeys(name for row in rows for name in row))
        result.columns = columns
        result.rows = _result_rows(rows, columns)
        return result

    def columns(self) -> list[str] | None:
        """The result's columns as the commands declare them (None: from the rows)."""
        columns = None
        for stage in self.stages:
            columns = stage.command.columns(stage.node, columns)
        return columns


def _run_subsearch(spl: str, lookups: Lookups | None, warnings: list[str]) -> tuple[list[Row], list[str]]:
    """A subsearch's rows and columns. It reads no events: one that does not start with a generating
    command would search the index, which the offline engine has not got."""
    pipeline = Pipeline(spl, lookups)
    warnings += pipeline.warnings
    first = pipeline.stages[0]
    if not first.command.generating:
        start = len(spl) - len(spl.lstrip(" |"))
        raise UnsupportedSPLError("a subsearch over indexed events is not supported by the offline engine "
                                  "(start it with | inputlookup)", spl=spl, position=start)
    result = pipeline.execute([], Context(now=time.time(), tz=UTC))
    return result.rows, result.columns
