"""Stats functions: one small accumulator per function and group, so memory grows with groups.

count counts events (count(f): events where f has a value); dc and values treat values as
strings; min/max compare numbers numerically and strings after numbers (Splunk's docs: "numbers
are smaller than strings") and return the value as the event had it (`_time` prints as
`1795915736.369`); sum/avg use the values that are numbers and are null when there are none;
first/last are the first/last value in the order rows reach stats, which for events is Splunk's
search order, newest first (the pipeline puts them in it: "the most recent instance", Search
Reference, event order functions).
"""

from __future__ import annotations

import re
from typing import Protocol

from linux_auditd_at.spl.values import as_text, format_number, sort_key, to_number, values_of

ALIASES = {"count": "count", "c": "count", "dc": "dc", "distinct_count": "dc", "min": "min", "max": "max",
           "sum": "sum", "avg": "avg", "mean": "avg", "values": "values", "first": "first", "last": "last"}

# Search Reference 9.x, "Statistical and charting functions" (quick reference): names Splunk's
# stats takes that ALIASES lacks are valid SPL the offline engine cannot run.
SPLUNK_STATS_FUNCTIONS = frozenset("""
avg c count dc distinct_count estdc estdc_error max mean median min mode range stdev stdevp sum sumsq
var varp first last list values earliest earliest_time latest latest_time rate rate_avg rate_sum
""".split())
_PERCENTILE = re.compile(r"(?:perc|p|exactperc|upperperc)\d+(?:\.\d+)?")


def is_splunk_stats_function(name: str) -> bool:
    return name in SPLUNK_STATS_FUNCTIONS or _PERCENTILE.fullmatch(name) is not None


class Accumulator(Protocol):
    """One stats function over one group: fed row by row, then asked for its value."""

    def add(self, row: dict) -> None: ...

    def result(self) -> object: ...


class Count:
    def __init__(self, field: str | None):
        self.field, self.n = field, 0

    def add(self, row: dict) -> None:
        if self.field is None or values_of(row.get(self.field)):
            self.n += 1

    def result(self):
        return str(self.n)


class DistinctCount:
    def __init__(self, field: str):
        self.field, self.seen = field, set[str]()

    def add(self, row: dict) -> None:
        self.seen.update(as_text(v) for v in values_of(row.get(self.field)))

    def result(self):
        return str(len(self.seen))


class Extreme:
    """min (want=-1) or max (want=1)."""

    def __init__(self, field: str, want: int):
        self.field, self.want = field, want
        self.best: object = None
        self.key: tuple | None = None

    def add(self, row: dict) -> None:
        found = row.get(self.field)
        for value in [found] if type(found) is float else values_of(found):  # `_time`: one number
            key = (0, value, "") if type(value) is float else sort_key(value)
            if self.key is None or (key < self.key if self.want < 0 else key > self.key):
                self.best, self.key = value, key

    def result(self):
        return None if self.best is None else as_text(self.best)


class Sum:
    def __init__(self, field: str):
        self.field, self.n = field, 0
        self.total: int | float = 0

    def add(self, row: dict) -> None:
        for value in values_of(row.get(self.field)):
            number = to_number(value)
            if number is not None:
                self.total += number
                self.n += 1

    def result(self):
        return format_number(self.total) if self.n else None


class Avg(Sum):
    def result(self):
        return format_number(self.total / self.n) if self.n else None


class Values(DistinctCount):
    """The distinct values themselves, sorted (null when there are none)."""

    def result(self):
        return sorted(self.seen) or None


class First:
    """The first value the field has, in the order rows arrive."""

    def __init__(self, field: str):
        self.field = field
        self.value: object = None

    def add(self, row: dict) -> None:
        if self.value is None:
            self.value = row.get(self.field)

    def result(self):
        return self.value


class Last(First):
    """The last value the field has, in the order rows arrive."""

    def add(self, row: dict) -> None:
        value = row.get(self.field)
        if value is not None:
            self.value = value


def accumulator(function: str, field: str | None) -> Accumulator:
    """A fresh accumulator for a canonical function name (see ALIASES); only count takes no field
    (the parser makes sure)."""
    if function == "count":
        return Count(field)
    if field is None:
        raise ValueError(f"{function}() needs a field")
    if function == "dc":
        return DistinctCount(field)
    if function in ("min", "max"):
        return Extreme(field, -1 if function == "min" else 1)
    if function == "sum":
        return Sum(field)
    if function == "avg":
        return Avg(field)
    if function == "values":
        return Values(field)
    if function == "last":
        return Last(field)
    return First(field)
