"""The shapes a search runs on and returns: events in, rows out, per-stage counts, run context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

Event = dict[str, object]
Row = dict[str, object]


@dataclass(frozen=True)
class Context:
    """What a search runs under: the time it runs at, the user's time zone and the time range."""

    now: float
    tz: tzinfo
    earliest: float | None = None
    latest: float | None = None


@dataclass
class StageStats:
    """How many events or rows one stage (`command` is its SPL text) read and passed on."""

    command: str
    read: int = 0
    passed: int = 0


@dataclass
class Result:
    """Rows as Splunk's JSON results give them. `outside_time_range` counts events the time range
    (Context.earliest/latest) dropped before the first stage, so no event disappears uncounted."""

    columns: list[str]
    rows: list[Row]
    stages: list[StageStats] = field(default_factory=list)
    outside_time_range: int = 0
