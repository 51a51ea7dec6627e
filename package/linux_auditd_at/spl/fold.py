"""The stats fold: the stages before a `stats` and the stats itself as one loop over the events.

`compile_fold(stages, reorder_at, spl)` derives it from the parsed pipeline when every stage
before the first `stats` is `search`, `where` or a `rename` without wildcards, and the events'
order reaches no result (`reorder_at` is None: stats has no first()/last()). Renames are resolved
at compile time: for each renamed name the fold knows the event field that holds its value (or
that it has none), so it reads the events themselves, never a renamed copy. A search or where
after a rename is compiled on the events' names; stats groups and aggregates by them and names
its columns as written. The tests are chained `filter`s (no generator per stage, no row copied)
feeding stats' own `aggregate` and `group_rows`, so values, groups, their order and null handling
are those of the general engine by construction.

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

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.context import Context, Row
from linux_auditd_at.spl.projection import names_read
from linux_auditd_at.spl.search_expr import compile_matcher, matches_everything

if TYPE_CHECKING:
    from linux_auditd_at.spl.pipeline import Stage

Test = Callable[[Context], Callable[[Row], bool]]
"""A search or where stage's test, bound to the run's Context."""
Tally = Callable[[], list[int]]
"""After the rows are taken: the rows that crossed the stage boundaries it counts, in stage order
(the rows the first stage read, then the rows each stage passed)."""
Names = dict[str, str | None]
"""A renamed name -> the event field holding its value, None when it has none; others are their own."""


def counted(rows: Iterable[Row]) -> tuple[Iterator[Row], Iterator[int]]:
    """`rows` unchanged, and a counter whose next value is how many of them were taken: zip pulls
    a row first and a number only when there was one, so counting costs no Python code per row."""
    taken = itertools.count()
    return map(itemgetter(0), zip(rows, taken, strict=False)), taken


@dataclass(frozen=True)
class Fold:
    """The stages up to the stats at `stats_at`: `tests` by stage index (the others are renames and
    `search *`), `node` the stats on the events' names, `stats` as written."""

    stats_at: int
    tests: dict[int, Test]
    node: tree.Stats
    stats: tree.Stats

    def run(self, events: Iterable[Row], context: Context) -> tuple[Iterator[Row], Tally]:
        """The stats rows, and the counts of the events and of what each stage up to it passed
        (stats passes the rows taken from it)."""
        from linux_auditd_at.spl.commands.stats import aggregate, group_rows  # loaded with the command

        rows, entered = counted(events)
        counters = [entered]
        for test in self.tests.values():
            rows, passed = counted(filter(test(context), rows))
            counters.append(passed)
        out, taken = counted(group_rows(aggregate(rows, self.node), self.stats))
        return out, lambda: self._reached([next(counter) for counter in counters], next(taken))

    def _reached(self, counts: list[int], groups: int) -> list[int]:
        """The events, then what each stage passed: a test what it kept, another stage all it read."""
        tested = iter(counts[1:])
        reached = [counts[0]]
        for index in range(self.stats_at):
            reached.append(next(tested) if index in self.tests else reached[-1])
        return [*reached, groups]


def compile_fold(stages: list[Stage], reorder_at: int | None, spl: str) -> Fold | None:
    """The fold of the stages up to the first stats, or None where it declines (module docstring)."""
    at = next((i for i, stage in enumerate(stages) if stage.command.name == "stats"), None)
    if at is None or reorder_at is not None:
        return None
    names: Names = {}
    tests: dict[int, Test] = {}
    for index, stage in enumerate(stages[:at]):
        match stage.command.name, stage.node:
            case "rename", tree.Rename(pairs) if not any("*" in name for pair in pairs for name in pair):
                _rename(names, pairs)
            case "search", tree.Search(expr) if matches_everything(expr):
                pass  # it passes all it reads, like a rename
            case "search", tree.Search(expr) if _readable(expr, names):
                tests[index] = _search(_on_event_names(expr, names))
            case "where", tree.Where(expr) if _readable(expr, names):
                tests[index] = _where(_on_event_names(expr, names), spl)
            case _:
                return None
    node = _stats_on_event_names(stages[at].node, names)
    return None if node is None else Fold(at, tests, node, stages[at].node)


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
        return dataclasses.replace(node, field=held.get(node.field, node.field))
    if isinstance(node, tree.FieldRef):
        return dataclasses.replace(node, name=held.get(node.name, node.name))
    if isinstance(node, tuple):
        return tuple(_renamed(item, held) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return dataclasses.replace(node, **{f.name: _renamed(getattr(node, f.name), held)
                                            for f in dataclasses.fields(node)})
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
    aggregations = tuple(a if a.field is None else dataclasses.replace(a, field=fields[a.field])
                         for a in node.aggregations)
    return tree.Stats(aggregations, tuple(fields[name] for name in node.by))
