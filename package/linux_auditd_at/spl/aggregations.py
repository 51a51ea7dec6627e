"""Stats functions: one small state per function and group, so memory grows with groups.

count counts events (count(f): events where f has a value); dc and values treat values as
strings; min/max compare numbers numerically and strings after numbers (Splunk's docs: "numbers
are smaller than strings") and return the value as the event had it (`_time` prints as
`1795915736.369`); sum/avg use the values that are numbers and are null when there are none;
first/last are the first/last value in the order rows reach stats, which for events is Splunk's
search order, newest first (the pipeline puts them in it: "the most recent instance", Search
Reference, event order functions).
"""

from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol, cast, runtime_checkable

from linux_auditd_at.patterns import compiled
from linux_auditd_at.spl.values import as_text, as_texts, format_number, sort_key, to_number, values_of

ALIASES = {"count": "count", "c": "count", "dc": "dc", "distinct_count": "dc", "min": "min", "max": "max",
           "sum": "sum", "avg": "avg", "mean": "avg", "values": "values", "first": "first", "last": "last"}

# Search Reference 9.x, "Statistical and charting functions" (quick reference): names Splunk's
# stats takes that ALIASES lacks are valid SPL the offline engine cannot run.
SPLUNK_STATS_FUNCTIONS = frozenset("""
avg c count dc distinct_count estdc estdc_error max mean median min mode range stdev stdevp sum sumsq
var varp first last list values earliest earliest_time latest latest_time rate rate_avg rate_sum
""".split())
_PERCENTILE = r"(?:perc|p|exactperc|upperperc)\d+(?:\.\d+)?"


def is_splunk_stats_function(name: str) -> bool:
    return name in SPLUNK_STATS_FUNCTIONS or compiled(_PERCENTILE).fullmatch(name) is not None


class Function(Protocol):
    """One stats function over one field, for every group: a group's state is `empty()` (a group
    that exists before any row: stats without BY) or `start(row)` (its first row); `add` takes each
    further row and returns the new state; `results` gives the function's value for each of the
    groups' states, in their order, all at once (so a group costs no call of its own). The
    function holds no group's data, so a group costs its state alone."""

    def empty(self) -> object: ...

    def start(self, row: dict) -> object: ...

    def add(self, state: Any, row: dict) -> object: ...

    def results(self, states: list[Any]) -> Sequence[object]: ...


@runtime_checkable
class Mergeable(Protocol):
    """A function whose states of two runs over parts of the rows merge into the state of one run
    over all of them, exactly (so rows may be aggregated where they are read, `spl/fold.py`);
    `merge(a, b)` with a from the earlier part. sum and avg are not: a float total depends on the
    order of its additions."""

    def merge(self, a: Any, b: Any) -> object: ...


class _Base(ABC):
    def __init__(self, field: str | None):
        self.field = field

    def empty(self) -> object:
        return None

    def start(self, row: dict) -> object:
        return self.add(self.empty(), row)

    @abstractmethod
    def add(self, state: Any, row: dict) -> object: ...

    @abstractmethod
    def results(self, states: list[Any]) -> Sequence[object]: ...


class Count(_Base):
    def empty(self) -> int:
        return 0

    def start(self, row: dict) -> int:  # a group's first row: add(0, row) without the call
        return 1 if self.field is None or values_of(row.get(self.field)) else 0

    def add(self, n: int, row: dict) -> int:
        return n + 1 if self.field is None or values_of(row.get(self.field)) else n

    def merge(self, a: int, b: int) -> int:
        return a + b

    def results(self, counts: list[int]) -> Sequence[object]:
        return [*map(str, counts)]

    def counted(self, counts: list[int]) -> list[int]:
        """The states of groups that counted these numbers of rows (a fold made them)."""
        return counts


class DistinctCount(_Base):
    def empty(self) -> set[str]:
        return set()

    def add(self, seen: set[str], row: dict) -> set[str]:
        seen.update(as_text(v) for v in values_of(row.get(self.field)))
        return seen

    def merge(self, a: set[str], b: set[str]) -> set[str]:
        a |= b
        return a

    def results(self, seens: list[set[str]]) -> Sequence[object]:
        return [*map(str, map(len, seens))]


class Extreme(_Base):
    """min (want=-1) or max (want=1); the state is (sort key, value) of the best value so far."""

    def __init__(self, field: str, want: int):
        super().__init__(field)
        self.better = operator.lt if want < 0 else operator.gt

    def start(self, row: dict) -> tuple | None:  # a group's first row: add(None, row)
        found = row.get(self.field)
        if type(found) is float:
            return (0, found, ""), found
        return self.add(None, row)

    def timed(self, times: list[float]) -> list[tuple]:
        """The states of groups whose best `_time` is each of `times` (a fold found them): those
        `start` gives a group whose first row has that time."""
        return [((0, time, ""), time) for time in times]

    def add(self, best: tuple | None, row: dict) -> tuple | None:
        found = row.get(self.field)
        if type(found) is float:  # `_time`: one number, its own sort key
            key = (0, found, "")
            return (key, found) if best is None or self.better(key, best[0]) else best
        for value in values_of(found):
            key = sort_key(value)
            if best is None or self.better(key, best[0]):
                best = (key, value)
        return best

    def merge(self, a: tuple | None, b: tuple | None) -> tuple | None:
        """The earlier part's best unless the later one's is strictly better, as one run keeps the
        first of equal values."""
        return b if a is None or (b is not None and self.better(b[0], a[0])) else a

    def results(self, bests: list[tuple | None]) -> Sequence[object]:
        if None in bests:
            return [None if best is None else as_text(best[1]) for best in bests]
        return as_texts([*map(operator.itemgetter(1), cast("list[tuple]", bests))])


class Sum(_Base):
    """The state is [total, how many numbers]."""

    def empty(self) -> list:
        return [0, 0]

    def add(self, state: list, row: dict) -> list:
        for value in values_of(row.get(self.field)):
            number = to_number(value)
            if number is not None:
                state[0] += number
                state[1] += 1
        return state

    def results(self, states: list[list]) -> Sequence[object]:
        return [format_number(total) if numbers else None for total, numbers in states]


class Avg(Sum):
    def results(self, states: list[list]) -> Sequence[object]:
        return [format_number(total / numbers) if numbers else None for total, numbers in states]


class Values(DistinctCount):
    """The distinct values themselves, sorted (null when there are none)."""

    def results(self, seens: list[set[str]]) -> Sequence[object]:
        return [sorted(seen) or None for seen in seens]


class First(_Base):
    """The first value the field has, in the order rows arrive."""

    def add(self, value: object, row: dict) -> object:
        return row.get(self.field) if value is None else value

    def results(self, values: list[object]) -> Sequence[object]:
        return values


class Last(First):
    """The last value the field has, in the order rows arrive."""

    def add(self, value: object, row: dict) -> object:
        found = row.get(self.field)
        return value if found is None else found


def stats_function(name: str, field: str | None) -> Function:
    """The stats function for a canonical name (see ALIASES) over `field`; only count takes no
    field (the parser makes sure)."""
    if name == "count":
        return Count(field)
    if field is None:
        raise ValueError(f"{name}() needs a field")
    if name in ("min", "max"):
        return Extreme(field, -1 if name == "min" else 1)
    return _BY_NAME[name](field)


_BY_NAME: dict[str, type[_Base]] = {"dc": DistinctCount, "sum": Sum, "avg": Avg, "values": Values,
                                   "first": First, "last": Last}
