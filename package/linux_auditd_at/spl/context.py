"""The shapes a search runs on and returns: events in, rows out, per-stage counts, run context."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import tzinfo
from typing import Protocol, TypeVar, runtime_checkable

from linux_auditd_at.spl.values import to_number
from linux_auditd_at.structs import Struct, field

Event = dict[str, object]
Row = dict[str, object]


def exact_rows(rows: Iterable[Row], columns: list[str]) -> bool:
    """Whether every row holds exactly `columns`, in order: no other field, none missing (told
    for all rows at once, no Python call per row)."""
    return all(map(columns.__eq__, map(list, rows)))


class Context(Struct):
    """What a search runs under: the time it runs at, the user's time zone and the time range."""

    now: float
    tz: tzinfo
    earliest: float | None = None
    latest: float | None = None


    def outside(self, event: Event) -> bool:
        """Whether the event's `_time` falls outside the time range (an event without one is in)."""
        when = to_number(event.get("_time"))
        return when is not None and ((self.earliest is not None and when < self.earliest)
                                     or (self.latest is not None and when >= self.latest))


def in_time_range(events: Iterable[Event], context: Context) -> tuple[Iterable[Event], Callable[[], int]]:
    """The events inside the context's time range, and the count of those left out so far."""
    if context.earliest is None and context.latest is None:
        return events, lambda: 0
    left_out = [0]

    def inside(events: Iterable[Event]) -> Iterator[Event]:
        for event in events:
            if context.outside(event):
                left_out[0] += 1
            else:
                yield event
    return inside(events), lambda: left_out[0]


Reduced = TypeVar("Reduced")


@runtime_checkable
class Spans(Protocol):
    """Events that can also be handed over a part (a span) at a time: the audit reader, whose
    worker processes read the spans of a large file. `map_spans(reduce)` yields `reduce(the
    events of a span)` for each span in order, computed by the process that read it, so that only
    what `reduce` returns crosses to the caller's; every event is in exactly one span."""

    def __iter__(self) -> Iterator[Event]: ...

    def map_spans(self, reduce: Callable[..., Reduced], program: Program | None = None) -> Iterator[Reduced]:
        """With `program`, a reader may run it (spl/fold_program.py) on raw lines itself and call
        `reduce(events, folded)`: the lines it took are in `folded`, complete once the events
        are, and are not among the events."""
        ...


Program = Callable[[Mapping[str, object]], tuple | None]
"""The program of the fold for the lines of an input with these metadata fields, or None."""


class Folded(Protocol):
    """What a reader folded itself by a program: the groups (`key -> [value per aggregate]`,
    fold_program.states) and, by number of tests passed, how many lines it took."""

    groups: dict[tuple, list]
    passed: list[int]


class StageStats(Struct, frozen=False):
    """How many events or rows one stage (`command` is its SPL text) read and passed on."""

    command: str
    read: int = 0
    passed: int = 0


class Result(Struct, frozen=False):
    """Rows as Splunk's JSON results give them. `outside_time_range` counts events the time range
    (Context.earliest/latest) dropped before the first stage, so no event disappears uncounted."""

    columns: list[str]
    rows: list[Row]
    stages: list[StageStats] = field(default_factory=list)
    outside_time_range: int = 0
