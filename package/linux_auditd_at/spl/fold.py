"""The stats fold: the stages before a `stats` and the stats itself as one loop over the events.

`compile_fold(stages, reorder_at, spl)` derives it from the parsed pipeline when every stage
before the first `stats` is `search`, `where` or a `rename` without wildcards, and the events'
order reaches no result (`reorder_at` is None: stats has no first()/last()). Renames are resolved
at compile time: for each renamed name the fold knows the event field that holds its value (or
that it has none), so it reads the events themselves, never a renamed copy. A search or where
after a rename is compiled on the events' names; stats groups and aggregates by them and names
its columns as written. The tests are chained `filter`s (no generator per stage, no row copied)
feeding stats' own `accumulate`, `results` and `group_rows`, so values, groups, their order and
null handling are those of the general engine by construction. The time range is applied first
(events outside it are counted, as the general engine counts them).

Events in spans (`context.Spans`: the audit reader's `--jobs` processes, each reading spans of a
file) are folded where they are read: each process turns its span's events into a `Partial`
(groups' states and counts), only that crosses to the caller, which merges the Partials in span
order (`stats.merge`). This is used when every stats function merges exactly
(`aggregations.Mergeable`: count, dc, values, min, max); with sum or avg the events cross one by
one, since a float total depends on the order of its additions. Where every test is a search the
reader may fold raw lines itself (`Spans.map_spans` with a program, `fold_program`): its groups
and counts are added to the span's Partial.

It declines (None: the general engine runs every stage) for any other command before stats, a
wildcard rename, first()/last() in stats, and, after a rename, a search or where that reads a
field the rename left without a value, a renamed `_raw` (bare terms read `_raw`) or every field
(`searchmatch()`), or a stats that reads a field a rename left without a value.

Each stage's counts are the general engine's: a search or where reads what reaches it and passes
what its test keeps, a rename or `search *` passes all it reads, stats passes the rows taken from it
(one per group, unless a later stage stops early). The stages
after stats run on the general engine (`Pipeline.execute`).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.context import Context, Folded, Program, Row, Spans, in_time_range
from linux_auditd_at.spl.projection import names_read
from linux_auditd_at.spl.search_expr import compile_matcher, matches_everything
from linux_auditd_at.structs import Struct, fields, replace

if TYPE_CHECKING:
    from linux_auditd_at.spl.aggregations import Function, Mergeable
    from linux_auditd_at.spl.commands.stats import Groups
    from linux_auditd_at.spl.pipeline import Stage

Test = Callable[[Context], Callable[[Row], bool]]
"""A search or where stage's test, bound to the run's Context."""
Tally = Callable[[], list[int]]
"""After the rows are taken: the rows that crossed the stage boundaries it counts, in stage order
(the rows the first stage read, then the rows each stage passed)."""
Reduce = Callable[[Iterator[Row]], "Partial"]
"""The fold of some events into a Partial (run by a reading process for events in spans)."""
Names = dict[str, str | None]
"""A renamed name -> the event field holding its value, None when it has none; others are their own."""


def counted(rows: Iterable[Row]) -> tuple[Iterator[Row], Iterator[int]]:
    """`rows` unchanged, and a counter whose next value is how many of them were taken: zip pulls
    a row first and a number only when there was one, so counting costs no Python code per row."""
    taken = itertools.count()
    return map(itemgetter(0), zip(rows, taken, strict=False)), taken


class Partial(Struct, frozen=False):
    """What the fold made of some events: each group's stats states, how many events it read and
    how many each test passed (in stage order), and how many fell outside the time range."""

    groups: Groups
    counts: list[int]
    outside: int

    def merge(self, later: Partial, functions: list[Mergeable]) -> Partial:
        """This and the Partial of the events after these: the Partial of all of them."""
        from linux_auditd_at.spl.commands.stats import merge

        self.groups = merge(self.groups, later.groups, functions)
        self.counts = [a + b for a, b in zip(self.counts, later.counts, strict=True)]
        self.outside += later.outside
        return self


class Fold(Struct):
    """The stages up to the stats at `stats_at`: `tests` by stage index (the others are renames and
    `search *`), `node` the stats on the events' names, `stats` as written; `searches` the tests'
    expressions on the events' names when every test is a search (None when one is a where)."""

    stats_at: int
    tests: dict[int, Test]
    node: tree.Stats
    stats: tree.Stats
    searches: list[tree.SearchExpr | None] | None

    def run(self, events: Iterable[Row], context: Context) -> tuple[Iterator[Row], Tally, Callable[[], int]]:
        """The stats rows, the counts of the events and of what each stage up to it passed (stats
        passes the rows taken from it), and the count of events outside the time range, each
        known once the rows are taken. Events that come in spans (`Spans`) are folded span by
        span where they are read when every stats function merges exactly, else one by one."""
        # loaded with the command
        from linux_auditd_at.spl.commands.stats import functions_of, group_rows, results

        functions = functions_of(self.node)
        reduce = self._reduce(context, functions)
        folded = [Partial({}, [0] * (len(self.tests) + 1), 0)]  # until the rows are taken

        def stats_rows() -> list[Row]:
            done = _fold(events, reduce, functions, self._program(context))
            folded[0] = Partial({}, done.counts, done.outside)  # memory: states, then results, go
            return group_rows(results(done.groups, functions), self.stats)

        def rows() -> Iterator[Row]:  # the events are read when the first row is taken, as in the engine
            yield from stats_rows()

        out, taken = counted(rows())
        return out, lambda: self._reached(folded[0].counts, next(taken)), lambda: folded[0].outside

    def _reduce(self, context: Context, functions: list[Function]) -> Reduce:
        """The fold of some events (in a reading process, for `Spans`) into a Partial."""
        from linux_auditd_at.spl.commands.stats import accumulate

        tests = [test(context) for test in self.tests.values()]

        def reduce(events: Iterator[Row], folded: Folded | None = None) -> Partial:
            inside, outside = in_time_range(events, context)
            rows, entered = counted(inside)
            counters = [entered]
            for test in tests:
                rows, passed = counted(filter(test, rows))
                counters.append(passed)
            part = Partial(accumulate(rows, self.node, functions), [next(c) for c in counters], outside())
            return part if folded is None else self._with_folded(part, folded, functions)
        return reduce

    def _program(self, context: Context) -> Program | None:
        """For a reader that folds lines itself: the program for an input's metadata
        (`fold_program`), None when a test is a where."""
        if self.searches is None:
            return None
        from linux_auditd_at.spl.fold_program import fold_program

        first = self.searches[0] if self.searches and 0 in self.tests else None  # the prefilter's stage
        return lambda metadata: fold_program(self.searches or [], first, self.node, metadata, context)

    def _with_folded(self, part: Partial, folded: Folded, functions: list[Function]) -> Partial:
        """A span's Partial with the lines a reader folded itself (folded.passed[j]: lines that
        passed the first j tests and no other; those that passed all are in its groups)."""
        if not any(folded.passed):
            return part
        from linux_auditd_at.spl.fold_program import states

        reached = [sum(folded.passed[stage:]) for stage in range(len(folded.passed))]
        mine = Partial(states(folded.groups, self.node, functions), reached, 0)
        return mine.merge(part, cast("list[Mergeable]", functions))

    def _reached(self, counts: list[int], groups: int) -> list[int]:
        """The events, then what each stage passed: a test what it kept, another stage all it read."""
        tested = iter(counts[1:])
        reached = [counts[0]]
        for index in range(self.stats_at):
            reached.append(next(tested) if index in self.tests else reached[-1])
        return [*reached, groups]


def _fold(events: Iterable[Row], reduce: Reduce, functions: list[Function],
          program: Program | None) -> Partial:
    """The Partial of all the events: span by span when they come in spans and every function
    merges exactly (the reader folding the lines it can by `program`), else in one pass."""
    from linux_auditd_at.spl.aggregations import Mergeable

    mergeable: list[Mergeable] = [function for function in functions if isinstance(function, Mergeable)]
    if not isinstance(events, Spans) or len(mergeable) < len(functions):
        return reduce(iter(events))
    parts = events.map_spans(reduce, program)
    return functools.reduce(lambda total, part: total.merge(part, mergeable), parts, reduce(iter(())))


def compile_fold(stages: list[Stage], reorder_at: int | None, spl: str) -> Fold | None:
    """The fold of the stages up to the first stats, or None where it declines (module docstring)."""
    at = next((i for i, stage in enumerate(stages) if stage.command.name == "stats"), None)
    if at is None or reorder_at is not None:
        return None
    names: Names = {}
    tests: dict[int, Test] = {}
    searches: list[tree.SearchExpr | None] | None = []
    for index, stage in enumerate(stages[:at]):
        match stage.command.name, stage.node:
            case "rename", tree.Rename(pairs) if not any("*" in name for pair in pairs for name in pair):
                _rename(names, pairs)
            case "search", tree.Search(expr) if matches_everything(expr):
                pass  # it passes all it reads, like a rename
            case "search", tree.Search(expr) if _readable(expr, names):
                tests[index] = _search(_on_event_names(expr, names))
                searches = None if searches is None else [*searches, _on_event_names(expr, names)]
            case "where", tree.Where(expr) if _readable(expr, names):
                tests[index] = _where(_on_event_names(expr, names), spl)
                searches = None
            case _:
                return None
    node = _stats_on_event_names(stages[at].node, names)
    return None if node is None else Fold(at, tests, node, stages[at].node, searches)


def _rename(names: Names, pairs: tuple[tuple[str, str], ...]) -> None:
    """`rename`'s effect on the names: the target takes the source's value, the source has none."""
    for source, target in pairs:
        held = names.get(source, source)
        names[source] = None
        names[target] = held


def _readable(expr: object, names: Names) -> bool:
    """Whether an expression can be compiled on the events' names: it reads no field a rename left
    without a value, no renamed `_raw` and not every field."""
    if not names:
        return True
    reads = names_read(expr)
    return ("*" not in reads and all(names.get(name, name) is not None for name in reads)
            and ("_raw" not in reads or names.get("_raw", "_raw") == "_raw"))


def _on_event_names(node: Any, names: Names) -> Any:
    """A search or eval expression with each field it names replaced by the event field holding it
    (`_readable`: it names none that a rename left without a value)."""
    held = {name: field for name, field in names.items() if field is not None}
    return _renamed(node, held) if names else node


def _renamed(node: Any, held: dict[str, str]) -> Any:
    if isinstance(node, tree.FieldCompare | tree.FieldIn):
        return replace(node, field=held.get(node.field, node.field))
    if isinstance(node, tree.FieldRef):
        return replace(node, name=held.get(node.name, node.name))
    if isinstance(node, tuple):
        return tuple(_renamed(item, held) for item in node)
    if isinstance(node, Struct):
        return replace(node, **{name: _renamed(getattr(node, name), held) for name in fields(node)})
    return node


def _search(expr: tree.SearchExpr | None) -> Test:
    matches = compile_matcher(expr)
    return lambda context: matches


def _where(expr: tree.EvalExpr, spl: str) -> Test:
    from linux_auditd_at.spl.eval_expr import compile_expression  # loaded with the where command

    expression = compile_expression(expr, spl)

    def bind(context: Context) -> Callable[[Row], bool]:
        condition = expression.bind(context)
        return lambda row: condition(row) is True
    return bind


def _stats_on_event_names(node: tree.Stats, names: Names) -> tree.Stats | None:
    """The stats reading the events' names, or None when it reads a field a rename left empty."""
    read = (*node.by, *(a.field for a in node.aggregations if a.field is not None))
    fields = {name: held for name in read if (held := names.get(name, name)) is not None}
    if len(fields) < len(set(read)):
        return None
    aggregations = tuple(a if a.field is None else replace(a, field=fields[a.field])
                         for a in node.aggregations)
    return tree.Stats(aggregations, tuple(fields[name] for name in node.by))
