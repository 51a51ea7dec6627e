"""The schedule backtest: known windows give known per-run counts, and coverage is honest.

The expected numbers are worked out by hand from the shipped schedule: cron `0 * * * *`, window
`-70m@m` .. `-10m@m`, earliest inclusive, latest exclusive. So the run at 10:00 searches
[08:50:00, 09:50:00), the run at 11:00 [09:50:00, 10:50:00), and so on.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from linux_auditd_at.detection import load_detection
from linux_auditd_at.errors import ConfError, ToolkitError
from linux_auditd_at.runner import compile_detection, load_events
from linux_auditd_at.structs import replace
from linux_auditd_at.tuning.backtest import (
    TimeSortedEvents,
    Window,
    clusters,
    coverage,
    run_backtest,
    schedule,
)
from logbuilder import utc, write_log

# (time, pid, host): times straddle the 08:50 / 09:50 / 10:50 window edges
STRADDLE = [
    ("2026-11-29T08:49:59", 7001),      # run 09:00 [07:50, 08:50)
    ("2026-11-29T09:49:59.999", 7002),  # run 10:00 [08:50, 09:50)
    ("2026-11-29T09:50:00", 7003),      # run 11:00 [09:50, 10:50): the edge belongs to the later window
    ("2026-11-29T09:50:59", 7004),      # run 11:00
    ("2026-11-29T10:49:59.999", 7005),  # run 11:00
    ("2026-11-29T10:50:00", 7006),      # run 12:00 [10:50, 11:50)
]


def load(app, path, filter_definition=None):
    detection, pipeline = compile_detection(app, filter_definition=filter_definition)
    events, _ = load_events(pipeline, [str(path)], host_from_node=True)
    return detection, pipeline, TimeSortedEvents(events)


@pytest.fixture
def straddle_log(tmp_path):
    # the atd job start (UID daemon) at 09:30 is read but excluded by the search
    write_log(tmp_path / "atd.log", [(utc("2026-11-29T09:30:00"), 7100, "web-01")], serial="9")
    return write_log(tmp_path / "audit.log", [(utc(t), pid, "web-01") for t, pid in STRADDLE])


def test_per_run_counts_over_the_logs_span(app, straddle_log):
    detection, pipeline, events = load(app, straddle_log)
    result = run_backtest(detection, events, UTC, pipeline=pipeline)
    runs = [(r.window.run.strftime("%H:%M"), len(r.rows), r.risk_score) for r in result.runs]
    assert runs == [("09:00", 1, 9.0), ("10:00", 1, 9.0), ("11:00", 3, 27.0), ("12:00", 1, 9.0)]
    first = result.runs[0].window
    assert (first.earliest, first.latest) == (utc("2026-11-29T07:50:00"), utc("2026-11-29T08:50:00"))
    assert [row["pid"] for row in result.runs[2].rows] == ["7003", "7004", "7005"]
    assert result.alerts == 4
    assert [(d.date.isoformat(), d.runs, d.alerts, d.risk_events, d.risk_score) for d in result.by_day()] == [
        ("2026-11-29", 4, 4, 6, 54.0)]
    # windows span 07:50 .. 11:50, four hours: 4 alerts in 1/6 day
    assert result.days == pytest.approx(4 / 24)
    assert result.per_day(result.alerts) == pytest.approx(24.0)
    assert result.noisiest("dest") == [("web-01", 6)]
    assert result.noisiest("comm") == [("at", 6)]
    assert result.noisiest("UID") == [("root", 6)]
    # hourly 60-minute windows tile time: each matched event is in exactly one window
    assert (result.coverage.matched, result.coverage.uncovered, result.coverage.repeated) == (6, [], [])


def test_from_to_limits_run_times_and_shows_the_uncovered_tail(app, straddle_log):
    detection, pipeline, events = load(app, straddle_log)
    result = run_backtest(detection, events, UTC, pipeline=pipeline,
                          start=utc("2026-11-29T10:00:00"), end=utc("2026-11-29T11:00:00"))
    runs = [(r.window.run.strftime("%H:%M"), len(r.rows)) for r in result.runs]
    assert runs == [("10:00", 1), ("11:00", 3)]
    # events between 10:00 and 11:00: 10:49:59.999 is in the 11:00 window; 10:50:00 waits for
    # the 12:00 run, outside the range
    assert result.coverage.matched == 2
    assert result.coverage.uncovered == [utc("2026-11-29T10:50:00")]


def test_overlapping_schedule_counts_events_in_two_windows(app, straddle_log):
    detection, pipeline, events = load(app, straddle_log)
    settings = {**detection.settings, "cron_schedule": "*/30 * * * *"}
    half_hourly = replace(detection, settings=settings)
    result = run_backtest(half_hourly, events, UTC, pipeline=pipeline)
    # every event sits in two 60-minute windows that start 30 minutes apart
    assert result.coverage.matched == 6
    assert result.coverage.uncovered == []
    assert [count for _, count in result.coverage.repeated] == [2] * 6
    assert sum(len(r.rows) for r in result.runs) == 12


def test_schedule_is_walked_in_the_users_time_zone(app):
    detection = load_detection(app)
    daily = replace(detection, settings={**detection.settings, "cron_schedule": "0 2 * * *"})
    tz = ZoneInfo("America/New_York")
    windows = schedule(daily, utc("2026-11-28T00:00:00"), utc("2026-11-30T00:00:00"), tz)
    # 02:00 New York (UTC-5 in November) is 07:00 UTC
    assert [w.run.timestamp() for w in windows] == [utc("2026-11-28T07:00:00"), utc("2026-11-29T07:00:00")]
    assert windows[0].earliest == utc("2026-11-28T05:50:00")


def test_coverage_counts_windows_per_event():
    windows = [Window(None, 0.0, 60.0), Window(None, 30.0, 90.0), Window(None, 200.0, 260.0)]
    result = coverage([0.0, 29.9, 30.0, 59.9, 60.0, 90.0, 199.0, 259.9, 260.0], windows)
    assert result.uncovered == [90.0, 199.0, 260.0]
    assert result.repeated == [(30.0, 2), (59.9, 2)]


def test_bad_cron_names_the_key(app):
    detection = load_detection(app)
    broken = replace(detection, settings={**detection.settings, "cron_schedule": "0 * * *"})
    with pytest.raises(ConfError, match="cron_schedule"):
        schedule(broken, 0.0, 7200.0, UTC)


def test_bad_cron_in_local_names_the_local_file(app):
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(
        "[Linux Auditd At Application Execution - Rule]\ncron_schedule = 0 * *\n")
    with pytest.raises(ConfError, match=r"local/savedsearches\.conf, \[Linux Auditd .*\], cron_schedule"):
        schedule(load_detection(app), 0.0, 7200.0, UTC)


def test_dst_change_keeps_hourly_windows_tiling(app):
    """Europe/Berlin falls back at 03:00 CEST on 2026-10-25: the local hour 02:00 happens twice and
    both runs are taken, so the windows stay one hour apart in absolute time, no minute twice."""
    detection = load_detection(app)
    start, end = utc("2026-10-24T23:00:00"), utc("2026-10-25T04:00:00")
    windows = schedule(detection, start, end, ZoneInfo("Europe/Berlin"))
    assert [w.run.isoformat() for w in windows] == [
        "2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00", "2026-10-25T05:00:00+01:00"]
    minutes = [start + 60 * n for n in range(int((end - start) // 60))]
    result = coverage(minutes, windows)
    assert result.repeated == []
    # the windows end at 03:50 UTC (the 05:00 CET run): the last 10 minutes wait for the next run
    assert result.uncovered == minutes[-10:]


def test_within_keeps_earliest_inclusive_latest_exclusive_in_time_order():
    events = TimeSortedEvents([{"_time": t, "n": str(t)} for t in (3.0, 1.0, 2.0, 2.0, 4.0)])
    part = events.within(2.0, 4.0)
    assert [e["_time"] for e in part.events] == [2.0, 2.0, 3.0]
    assert part.span == (2.0, 3.0)
    assert part.between(2.5, 10.0) == [{"_time": 3.0, "n": "3.0"}]
    assert len(events.events) == 5  # the original is left whole


def test_clusters_split_where_events_are_further_apart_than_the_gap():
    assert clusters([], 10) == []
    assert clusters([0, 5, 10, 21, 22, 100], 10) == [(0, 10), (21, 22), (100, 100)]


def test_events_centuries_apart_walk_only_the_runs_near_them(app, tmp_path):
    """An event in the year 3000 beside one in 2026: two short walks, not 8.5 million hourly runs.
    Runs between them hold no event, and a `stats ... by` search returns nothing on no events."""
    log = write_log(tmp_path / "audit.log", [(utc("2026-11-29T09:05:00"), 7001, "web-01"),
                                             (utc("3000-01-01T09:05:00"), 7002, "web-02")])
    detection, pipeline, events = load(app, log)
    result = run_backtest(detection, events, UTC, pipeline=pipeline)
    alerting = [(r.window.run.isoformat(), [row["pid"] for row in r.rows]) for r in result.runs if r.alerted]
    assert alerting == [("2026-11-29T10:00:00+00:00", ["7001"]), ("3000-01-01T10:00:00+00:00", ["7002"])]
    assert len(result.runs) < 200
    assert result.coverage.uncovered == [] and result.coverage.matched == 2


def test_a_search_that_returns_rows_on_no_events_walks_every_run_or_refuses(app, tmp_path):
    """`stats count` gives a row with count 0 on an empty window, so every run counts; a span of
    centuries is refused with one error instead of hours of work."""
    near = write_log(tmp_path / "near.log", [(utc("2026-11-29T09:05:00"), 7001, "web-01"),
                                             (utc("2026-11-29T12:05:00"), 7002, "web-01")])
    detection, pipeline, events = load(app, near, filter_definition="search * | stats count")
    result = run_backtest(detection, events, UTC, pipeline=pipeline)
    assert [r.rows[0]["count"] for r in result.runs] == ["1", "0", "0", "1"]
    far = write_log(tmp_path / "far.log", [(utc("2026-11-29T09:05:00"), 7001, "web-01"),
                                           (utc("3000-01-01T09:05:00"), 7002, "web-02")])
    detection, pipeline, events = load(app, far, filter_definition="search * | stats count")
    first, last = utc("2026-11-29T09:05:00"), utc("3000-01-01T09:05:00")
    with pytest.raises(ToolkitError, match=f"^the search returns rows on no events, so every run from "
                                           f"{first:.0f} to {last:.0f} would be executed"):
        run_backtest(detection, events, UTC, pipeline=pipeline)


def test_an_event_past_the_year_9999_is_one_error(app, tmp_path):
    log = write_log(tmp_path / "audit.log", [(utc("2026-11-29T09:05:00"), 7001, "web-01"),
                                             (253402300805.0, 7002, "web-02")])
    detection, pipeline, events = load(app, log)
    with pytest.raises(ToolkitError, match=r"^an event or run time at epoch 253402300805 is past the year"):
        run_backtest(detection, events, UTC, pipeline=pipeline)
    result = run_backtest(detection, events, UTC, pipeline=pipeline, end=utc("2026-12-01T00:00:00"))
    assert [r.window.run.hour for r in result.runs if r.alerted] == [10]
