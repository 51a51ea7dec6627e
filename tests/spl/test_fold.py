"""The stats fold (spl/fold.py): where it applies it gives the general engine's Result (rows,
columns, order, stage counts, events outside the time range); each way it declines is pinned by
the search that makes it decline. The random differential test is in tests/test_fast_path.py."""

from __future__ import annotations

import copy
from datetime import UTC

import pytest

from linux_auditd_at import runner
from linux_auditd_at.spl import Context, compile_search
from paths import REPO

CONTEXT = Context(now=0.0, tz=UTC)
EVENTS = [
    {"_time": 10.5, "_raw": "comm=at exe=/usr/bin/at", "comm": "at", "exe": "/usr/bin/at", "pid": "7",
     "host": "h1", "UID": "root"},
    {"_time": 9.25, "_raw": "comm=at exe=/usr/bin/at", "comm": "at", "exe": "/usr/bin/at", "pid": "10",
     "host": "h1", "UID": "root"},
    {"_time": 11.0, "_raw": "comm=atd", "comm": "atd", "exe": "/usr/sbin/atd", "pid": ["3", "x"],
     "host": "h2"},
    {"_time": 12.0, "_raw": "comm=atq", "comm": "atq", "host": "h2", "UID": "daemon"},
    {"_raw": "no time", "comm": "AT", "exe": "/usr/bin/at", "pid": "9", "host": "h1", "UID": "root"},
]


def _both(spl: str, context: Context = CONTEXT):
    """The fold's Result and the general engine's, over copies of EVENTS (left unchanged)."""
    pipeline = compile_search(spl)
    assert pipeline.fold is not None, spl
    events = copy.deepcopy(EVENTS)
    folded = pipeline.execute(events, context)
    assert events == EVENTS  # read, never changed
    return folded, pipeline.execute(copy.deepcopy(EVENTS), context, general=True)


@pytest.mark.parametrize("spl", [
    "comm=at* | rename host as dest | stats count min(_time) as first max(_time) as last by comm dest",
    "comm=at* | rename comm as c, exe as comm | search c=at* | where len(comm) > 3 | stats count by c comm",
    "* | rename comm as exe, exe as comm | stats values(comm) as comms count by host",
    "* | rename comm as comm | search comm=at | stats count by comm",
    "* | stats count(pid) min(pid) max(pid) sum(pid) avg(pid) count by host",
    "* | stats min(UID) max(comm) values(pid) by pid",
    'UID=* | where searchmatch("comm=at") | stats count',
    "comm=nothing | stats count sum(pid)",
    "search * | rename comm as c | search ** | stats count by c",
    "* | rename pid as p | stats count by p | convert ctime(p) | search * | head 2",  # stats passes 2
])
def test_the_fold_gives_the_general_engines_result(spl):
    folded, general = _both(spl)
    assert folded == general
    assert folded.stages[-1].read or "nothing" in spl


def test_the_time_range_is_applied_before_the_fold_and_counted():
    folded, general = _both("* | stats count by comm", Context(now=0.0, tz=UTC, earliest=10.0, latest=12.0))
    assert folded == general
    assert folded.outside_time_range == 2 and folded.stages[0].read == 3


def test_stage_counts_of_a_rename_between_tests_are_those_it_read():
    folded, _ = _both("comm=at* | rename comm as c | search c!=atq | where isnotnull(exe) | stats count by c")
    assert [(s.read, s.passed) for s in folded.stages] == [(5, 5), (5, 5), (5, 4), (4, 4), (4, 3)]


def test_the_shipped_search_folds_up_to_its_stats():
    _, pipeline = runner.compile_detection(REPO)
    assert pipeline.fold is not None and pipeline.fold.stats_at == 2
    assert pipeline.fold.node.by[-1] == "host" and pipeline.fold.stats.by[-1] == "dest"


@pytest.mark.parametrize("spl", [
    "comm=at | table comm",  # no stats
    "comm=at | eval x=1 | stats count by x",  # a command the fold does not run
    "comm=at | fields comm | stats count by comm",
    "comm=at | rename c* as d* | stats count by d",  # names that depend on the row
    "comm=at | stats first(exe) by comm",  # the events' order reaches the result
    "comm=at | stats last(exe) count by comm",
    "comm=at | rename comm as c | search comm=at | stats count",  # reads a field the rename emptied
    "comm=at | rename comm as c | where isnull(comm) | stats count",
    "comm=at | rename _raw as text | search at | stats count",  # bare terms read _raw
    "comm=at | rename exe as _raw | search comm | stats count",
    'comm=at | rename exe as e | where searchmatch("e=x") | stats count',  # fields named in a string
    "comm=at | rename comm as c | stats count by comm",  # stats reads a field the rename emptied
    "comm=at | rename pid as p | stats max(pid) by comm",
])
def test_the_fold_declines_and_the_general_engine_runs(spl):
    pipeline = compile_search(spl)
    assert pipeline.fold is None
    general = pipeline.execute(copy.deepcopy(EVENTS), CONTEXT, general=True)
    assert pipeline.execute(copy.deepcopy(EVENTS), CONTEXT) == general


def test_a_search_before_any_rename_may_read_every_field():
    assert compile_search('comm=at | where searchmatch("exe=x") | rename comm as c | stats count').fold


class InSpans:
    """Events in spans, as the audit reader hands them over with --jobs (spl.context.Spans):
    `map_spans` reduces each span on its own; iterating gives the events one by one. Records
    which way it was read."""

    def __init__(self, spans: list[list[dict]]):
        self.spans, self.ways = copy.deepcopy(spans), []

    def __iter__(self):
        self.ways.append("events")
        return (event for span in self.spans for event in span)

    def map_spans(self, reduce, program=None):  # a reader that folds no line itself
        self.ways.append("spans")
        return (reduce(iter(span)) for span in self.spans)


SPANS = [EVENTS[:2], [], EVENTS[2:4], EVENTS[4:]]


@pytest.mark.parametrize(("spl", "context"), [
    ("comm=at* | rename host as dest | stats count min(_time) as first max(_time) as last by comm dest",
     CONTEXT),
    ("* | stats count dc(pid) as pids values(exe) as exes min(UID) max(pid) by host", CONTEXT),
    ("comm=nothing | stats count min(pid)", CONTEXT),  # no group: stats without BY still gives its row
    ("* | search comm!=atq | stats count by comm", Context(now=0.0, tz=UTC, earliest=10.0, latest=12.0)),
])
def test_events_in_spans_are_folded_span_by_span_into_the_general_engines_result(spl, context):
    pipeline = compile_search(spl)
    source = InSpans(SPANS)
    assert pipeline.execute(source, context) == pipeline.execute(copy.deepcopy(EVENTS), context, general=True)
    assert source.ways == ["spans"]


def test_of_equal_values_min_and_max_keep_the_first_read_across_spans():
    """sort_key("01") == sort_key("1"): one pass keeps the first seen, and so does the merge."""
    spans = [[{"pid": "01", "host": "h"}], [{"pid": "1", "host": "h"}, {"pid": "1.0", "host": "h"}]]
    pipeline = compile_search("* | stats min(pid) as low max(pid) as high by host")
    assert pipeline.execute(InSpans(spans), CONTEXT).rows == [{"host": "h", "low": "01", "high": "01"}]


@pytest.mark.parametrize("spl", ["* | stats sum(pid) by host", "* | stats count avg(_time)"])
def test_a_sum_is_not_merged_from_spans_but_read_event_by_event(spl):
    """A float total depends on the order of its additions: sum and avg see the events one by one."""
    pipeline = compile_search(spl)
    source = InSpans(SPANS)
    assert pipeline.execute(source, CONTEXT) == pipeline.execute(copy.deepcopy(EVENTS), CONTEXT, general=True)
    assert source.ways == ["events"]
