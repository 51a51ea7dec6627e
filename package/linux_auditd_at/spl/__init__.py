"""The embedded SPL engine: evaluates the app's own (macro-expanded) SPL over Splunk-shaped events.

OWNER: SPL engine helper. The interface below is what the rest of the toolkit codes against;
keep these names and shapes.

    pipeline = compile_search(expanded_spl)          # raises SPLError with a position
    keep = pipeline.raw_prefilter()                  # Callable[[str], bool] | None, on the raw line
    result = pipeline.execute(events, Context(now=..., tz=..., earliest=..., latest=...))
    result.columns, result.rows, result.stages

An event is a dict: `_raw` (str), `_time` (float epoch seconds), `host`, `source`, `sourcetype`,
`index`, and the extracted fields; a value is a str, or a list of str for a multivalue field.
A result row maps column -> str, list[str] or None, the way Splunk's JSON results give them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    columns: list[str]
    rows: list[Row]
    stages: list[StageStats] = field(default_factory=list)


class Pipeline:
    """A parsed search: a list of command stages."""

    spl: str

    def raw_prefilter(self) -> Callable[[str], bool] | None:
        raise NotImplementedError

    def execute(self, events: Iterable[Event], context: Context) -> Result:
        raise NotImplementedError


def compile_search(spl: str) -> Pipeline:
    """Parse expanded SPL; unsupported commands and syntax errors raise SPLError with a position."""
    raise NotImplementedError
