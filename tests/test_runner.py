"""runner: detection + reader + engine wired together, on real records."""

from __future__ import annotations

from datetime import UTC

from linux_auditd_at import runner
from linux_auditd_at.spl import Context
from paths import AUDIT_DATA, REPO

LOG = str(AUDIT_DATA / "enriched.log")
CONTEXT = Context(now=1795921200.0, tz=UTC)


def test_run_detection_returns_rows_and_reader_counts():
    _, pipeline = runner.compile_detection(REPO)
    outcome = runner.run_detection(pipeline, [LOG], CONTEXT, host="lab-1")
    assert sorted(row["pid"] for row in outcome.result.rows) == ["5658", "5660", "5663", "5665"]
    stats = outcome.stats
    assert stats.events + stats.prefiltered == stats.lines
    assert stats.prefiltered > 0  # the search's prefilter skipped lines that cannot match


def test_load_events_once_then_execute_many_times():
    _, pipeline = runner.compile_detection(REPO)
    events, stats = runner.load_events(pipeline, [LOG], host="lab-1")
    assert len(events) == stats.events
    inside = pipeline.execute(events, CONTEXT)
    outside = pipeline.execute(events, Context(now=CONTEXT.now, tz=UTC, earliest=1795918494.0))
    assert len(inside.rows) == 4 and outside.rows == []


def test_filter_definition_is_applied():
    detection, pipeline = runner.compile_detection(REPO, filter_definition='search comm="atq"')
    assert detection.macros["linux_auditd_at_application_execution_filter"].definition == 'search comm="atq"'
    outcome = runner.run_detection(pipeline, [LOG], CONTEXT)
    assert [row["comm"] for row in outcome.result.rows] == ["atq"]


def test_without_a_pipeline_every_line_is_an_event():
    events, stats = runner.load_events(None, [LOG])
    assert stats.prefiltered == 0 and len(events) == stats.lines
