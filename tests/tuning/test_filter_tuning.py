"""Filter tuning: a filter that removes one host removes exactly its rows, and the alert rate follows."""

from __future__ import annotations

from datetime import UTC

from linux_auditd_at.runner import compile_detection, load_events
from linux_auditd_at.spl import Context
from linux_auditd_at.tuning.backtest import TimeSortedEvents
from linux_auditd_at.tuning.tune import compare_filters, row_difference
from logbuilder import utc, write_log

# web-01 at 09:05 and 09:20 and build-01 at 09:10 fall in the 10:00 run's window [08:50, 09:50);
# build-01 at 10:05 and 10:30 in the 11:00 run's window [09:50, 10:50).
ENTRIES = [
    (utc("2026-11-29T09:05:00"), 7001, "web-01"),
    (utc("2026-11-29T09:10:00"), 7101, "build-01"),
    (utc("2026-11-29T09:20:00"), 7002, "web-01"),
    (utc("2026-11-29T10:05:00"), 7102, "build-01"),
    (utc("2026-11-29T10:30:00"), 7103, "build-01"),
]


def test_filter_removing_one_host_removes_exactly_its_rows(app, tmp_path):
    log = write_log(tmp_path / "audit.log", ENTRIES)
    current, pipeline = compile_detection(app)
    events = TimeSortedEvents(load_events(pipeline, [str(log)], host_from_node=True)[0])
    comparison = compare_filters(current, 'search NOT dest IN ("build-01")', events,
                                 Context(now=utc("2026-11-29T12:00:00"), tz=UTC))
    assert sorted(row["pid"] for row in comparison.current_rows) == ["7001", "7002", "7101", "7102", "7103"]
    assert sorted((row["dest"], row["pid"]) for row in comparison.removed) == [
        ("build-01", "7101"), ("build-01", "7102"), ("build-01", "7103")]
    assert sorted(row["pid"] for row in comparison.kept) == ["7001", "7002"]
    assert {row["dest"] for row in comparison.kept} == {"web-01"}
    assert comparison.added == []
    # runs: 10:00 (web-01 x2, build-01 x1) and 11:00 (build-01 x2), windows 08:50 .. 10:50 = 2 hours
    assert [len(run.rows) for run in comparison.before.runs] == [3, 2]
    assert [len(run.rows) for run in comparison.after.runs] == [2, 0]
    assert comparison.before.per_day(comparison.before.alerts) == 24.0
    assert comparison.after.per_day(comparison.after.alerts) == 12.0
    assert comparison.alerts_per_day_change == -12.0


def test_broader_filter_lists_added_rows(app, tmp_path):
    log = write_log(tmp_path / "audit.log", ENTRIES)
    current, pipeline = compile_detection(app, filter_definition='search dest="web-01"')
    events = TimeSortedEvents(load_events(pipeline, [str(log)], host_from_node=True)[0])
    comparison = compare_filters(current, "search *", events, Context(now=utc("2026-11-29T12:00:00"), tz=UTC))
    assert comparison.removed == []
    assert sorted(row["pid"] for row in comparison.added) == ["7101", "7102", "7103"]


def test_row_difference_is_a_multiset_difference():
    a, b = {"x": "1"}, {"x": "2"}
    assert row_difference([a, a, b], [a]) == [a, b]
    assert row_difference([a], [a, a]) == []
