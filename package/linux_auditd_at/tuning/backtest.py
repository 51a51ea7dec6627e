"""Replay the saved search's schedule over recorded audit logs: what would have fired, and when.

Each scheduled run (`cron_schedule`, walked with croniter in the user's time zone) searches the
dispatch window `dispatch.earliest_time` .. `dispatch.latest_time`, both resolved and snapped
relative to the scheduled time, earliest inclusive and latest exclusive, as Splunk does.
`schedule_window = auto` and `allow_skew` let the scheduler start a run later than scheduled;
they do not move its time window, so they change nothing here.

The events are read once, sorted by time, and each run gets its slice by bisection: a week of
hourly runs does not re-read or re-scan the logs.
"""

from __future__ import annotations

import bisect
import copy
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from linux_auditd_at.detection import Detection
from linux_auditd_at.errors import ToolkitError
from linux_auditd_at.risk import RiskAction, RiskEvent, setting_error
from linux_auditd_at.spl import Context, Event, Pipeline, Row
from linux_auditd_at.spl.lexer import split_pipeline
from linux_auditd_at.spl.timemodifiers import resolve_time
from linux_auditd_at.spl.values import as_text, format_number, values_of

NOISE_FIELDS = ("dest", "UID", "comm")
"""The result fields whose most frequent values the summary names (the risk object, user, program)."""
LOOKBACK = timedelta(days=1)
LOOKBACK_SECONDS = LOOKBACK.total_seconds()
DAY = 86400.0
QUIET_GAP = 2 * LOOKBACK_SECONDS + DAY
"""Events further apart than this are walked as separate clusters (their runs' windows cannot meet)."""
MAX_RUN_DAYS = 3660
"""The longest span (ten years) walked run by run when the search returns rows on no events."""
LAST_EPOCH = datetime(9999, 12, 30, tzinfo=UTC).timestamp()
"""The latest time the schedule can be walked to (Python's datetime ends with the year 9999)."""


@dataclass(frozen=True)
class Window:
    """One scheduled run and the time range it searches, [earliest, latest)."""

    run: datetime
    earliest: float
    latest: float


@dataclass(frozen=True)
class Run:
    """What one scheduled run found."""

    window: Window
    rows: list[Row]
    risk_events: list[RiskEvent]

    @property
    def risk_score(self) -> float:
        return sum(event.risk_score for event in self.risk_events)

    @property
    def alerted(self) -> bool:
        """The search alerts when it returns any row (`relation = greater than`, `quantity = 0`)."""
        return bool(self.rows)


@dataclass(frozen=True)
class Coverage:
    """How the windows cover the events the base search matches (before any `|`)."""

    matched: int
    uncovered: list[float] = field(default_factory=list)
    repeated: list[tuple[float, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Day:
    """The runs scheduled on one local day: how many, how many alerted, their risk events and score."""

    date: date
    runs: int
    alerts: int
    risk_events: int
    risk_score: float


@dataclass(frozen=True)
class Backtest:
    runs: list[Run]
    coverage: Coverage

    def by_day(self) -> list[Day]:
        """Totals per day of the scheduled run time, in the zone the schedule was walked in."""
        days: dict[date, list[Run]] = {}
        for run in self.runs:
            days.setdefault(run.window.run.date(), []).append(run)
        return [Day(day, len(runs), sum(r.alerted for r in runs), sum(len(r.risk_events) for r in runs),
                    sum(r.risk_score for r in runs)) for day, runs in days.items()]

    @property
    def days(self) -> float:
        """Days the windows span, first earliest to last latest."""
        if not self.runs:
            return 0.0
        return (self.runs[-1].window.latest - self.runs[0].window.earliest) / DAY

    @property
    def alerts(self) -> int:
        return sum(run.alerted for run in self.runs)

    @property
    def risk_event_count(self) -> int:
        return sum(len(run.risk_events) for run in self.runs)

    def per_day(self, count: int) -> float:
        return count / self.days if self.days else 0.0

    def noisiest(self, name: str, top: int = 1) -> list[tuple[str, int]]:
        """The values of `name` in the most result rows across all runs."""
        counts: Counter[str] = Counter()
        for run in self.runs:
            for row in run.rows:
                for value in values_of(row.get(name)):
                    counts[as_text(value)] += 1
        return counts.most_common(top)


def _modifier(detection: Detection, key: str) -> str:
    value = detection.settings.get(key, "").strip()
    if not value:
        raise setting_error(detection, key, "not set; the backtest needs the dispatch window")
    return value


def window_for(detection: Detection, run: datetime) -> Window:
    """The dispatch window of a run scheduled at `run`."""
    earliest = resolve_time(_modifier(detection, "dispatch.earliest_time"), run)
    latest = resolve_time(_modifier(detection, "dispatch.latest_time"), run)
    return Window(run, earliest, latest)


def _cron(detection: Detection, start: datetime) -> croniter:
    expression = detection.settings.get("cron_schedule", "").strip()
    if not expression:
        raise setting_error(detection, "cron_schedule", "not set; the search is not scheduled")
    try:
        return croniter(expression, start, ret_type=datetime)
    except CroniterBadCronError as exc:
        raise setting_error(detection, "cron_schedule",
                            f"invalid cron expression {expression!r}: {exc}") from exc


def _runs(detection: Detection, start: datetime):
    cron = _cron(detection, start)
    try:
        while True:
            yield cron.get_next(datetime)
    except CroniterBadDateError:
        return


def schedule(detection: Detection, start: float, end: float, tz: tzinfo) -> list[Window]:
    """Windows of the runs scheduled in [start, end] (epoch seconds), walked in `tz`."""
    windows = []
    for run in _runs(detection, datetime.fromtimestamp(start, tz) - timedelta(seconds=1)):
        if run.timestamp() > end:
            break
        if run.timestamp() >= start:
            windows.append(window_for(detection, run))
    return windows


def schedule_covering(detection: Detection, first: float, last: float, tz: tzinfo) -> list[Window]:
    """Windows of every run whose window overlaps [first, last]: the logs' whole time span."""
    windows = []
    for run in _runs(detection, datetime.fromtimestamp(first, tz) - LOOKBACK):
        window = window_for(detection, run)
        if window.earliest > last:
            break
        if window.latest > first:
            windows.append(window)
    return windows


def coverage(times: Sequence[float], windows: Sequence[Window]) -> Coverage:
    """For each event time, how many windows hold it: #(earliest <= t) - #(latest <= t)."""
    starts = sorted(w.earliest for w in windows)
    ends = sorted(w.latest for w in windows)
    uncovered, repeated = [], []
    for time in times:
        count = bisect.bisect_right(starts, time) - bisect.bisect_right(ends, time)
        if count == 0:
            uncovered.append(time)
        elif count > 1:
            repeated.append((time, count))
    return Coverage(len(times), uncovered, repeated)


def base_search(spl: str) -> str:
    """The first command of `spl`: the event search, before the first `|` outside quotes."""
    start, end = split_pipeline(spl)[0]
    return spl[start:end]


class TimeSortedEvents:
    """Events held once in memory, sorted by `_time`, sliced per window by bisection."""

    def __init__(self, events: Sequence[Event]):
        self.events = sorted(events, key=_time)
        self.times = [_time(e) for e in self.events]

    def between(self, earliest: float, latest: float) -> list[Event]:
        return self.events[self._slice(earliest, latest)]

    def within(self, earliest: float, latest: float) -> TimeSortedEvents:
        """Only the events `between` these times, without sorting them again."""
        part, where = copy.copy(self), self._slice(earliest, latest)
        part.events, part.times = self.events[where], self.times[where]
        return part

    def _slice(self, earliest: float, latest: float) -> slice:
        """From `earliest` (inclusive) to `latest` (exclusive), as Context.earliest/latest are."""
        return slice(bisect.bisect_left(self.times, earliest), bisect.bisect_left(self.times, latest))

    @property
    def span(self) -> tuple[float, float] | None:
        return (self.times[0], self.times[-1]) if self.times else None


def _time(event: Event) -> float:
    return float(event["_time"])  # type: ignore[arg-type]  # the reader sets _time to a float


def run_backtest(detection: Detection, events: TimeSortedEvents, tz: tzinfo, *,
                 start: float | None = None, end: float | None = None,
                 pipeline: Pipeline | None = None) -> Backtest:
    """Run the search on each scheduled window over `events`; [start, end] limits the run times,
    else every run whose window touches the logs' time span is taken (see `_windows`)."""
    pipeline = pipeline or detection.compile()
    risk = RiskAction.from_detection(detection)
    quiet = not pipeline.execute([], Context(now=events.span[0] if events.span else 0.0, tz=tz)).rows
    windows = _windows(detection, events, tz, start, end, quiet=quiet)
    runs = []
    for window in windows:
        now = window.run.timestamp()
        # the slice is the window already ([earliest, latest) as the pipeline's time range would be)
        result = pipeline.execute(events.between(window.earliest, window.latest), Context(now=now, tz=tz))
        runs.append(Run(window, result.rows, risk.events(result.rows, now)))
    return Backtest(runs, _base_coverage(detection, events, windows, tz, start, end))


def _windows(detection: Detection, events: TimeSortedEvents, tz: tzinfo, start: float | None,
             end: float | None, *, quiet: bool) -> list[Window]:
    """The runs to execute. When the search returns nothing on no events (`quiet`, as a `stats ...
    by` search does), a run whose window holds no event cannot alert: only the runs near events
    are walked, cluster by cluster (events less than QUIET_GAP apart), so two events centuries
    apart cost two short walks, not every hour between them. Otherwise every run is walked."""
    span = events.span
    lo = start if start is not None else (span[0] if span else 0.0)
    hi = end if end is not None else (span[1] if span else 0.0)
    if not quiet:
        _check_walkable(lo, hi, every_run=True)
        if start is None and end is None:
            return schedule_covering(detection, lo, hi, tz) if span else []
        return schedule(detection, lo, hi, tz)
    times = events.times
    if start is not None or end is not None:
        times = times[bisect.bisect_left(times, lo - LOOKBACK_SECONDS):
                      bisect.bisect_right(times, hi + LOOKBACK_SECONDS)]
    windows: list[Window] = []
    for first, last in clusters(times, QUIET_GAP):
        _check_walkable(first, last, every_run=False)
        windows.extend(w for w in schedule_covering(detection, first, last, tz)
                       if (start is None and end is None) or lo <= w.run.timestamp() <= hi)
    return windows


def clusters(times: Sequence[float], gap: float) -> list[tuple[float, float]]:
    """(first, last) of each run of sorted `times` whose neighbours are at most `gap` apart."""
    found, i = [], 0
    while i < len(times):
        j = i
        while (k := bisect.bisect_right(times, times[j] + gap) - 1) > j:
            j = k
        found.append((times[i], times[j]))
        i = j + 1
    return found


def _check_walkable(first: float, last: float, *, every_run: bool) -> None:
    """Refuse a span the schedule cannot be walked across: a date past the year 9999 (Python's
    last), or, when `every_run` must be executed, more than MAX_RUN_DAYS of runs."""
    if last > LAST_EPOCH:
        raise ToolkitError(f"an event or run time at epoch {format_number(last)} is past the year 9999, "
                           "beyond which the schedule cannot be walked; leave it out with --latest")
    if every_run and (last - first) / DAY > MAX_RUN_DAYS:
        raise ToolkitError(f"the search returns rows on no events, so every run from "
                           f"{format_number(first)} to {format_number(last)} would be executed "
                           f"(over {MAX_RUN_DAYS} days); narrow it with --from/--to or --earliest/--latest")


def _base_coverage(detection: Detection, events: TimeSortedEvents, windows: list[Window], tz: tzinfo,
                   start: float | None, end: float | None) -> Coverage:
    """Coverage of the events the base search matches, within [start, end] when given. The base
    search is one stage: its step gives the events it keeps, as they are (no result rows are made
    of them: only their times are read)."""
    lo = start if start is not None else -math.inf
    hi = math.nextafter(end, math.inf) if end is not None else math.inf
    candidates = events.between(lo, hi)
    (stage,) = detection.compile(base_search(detection.expanded_search())).stages
    now = windows[-1].run.timestamp() if windows else 0.0
    matched = stage.step(candidates, Context(now=now, tz=tz))
    return coverage(sorted(_time(event) for event in matched), windows)
