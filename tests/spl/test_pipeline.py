"""The pipeline: splitting, the implicit search, time range, stage counts, columns, and errors that
name the problem and its position in the expanded SPL."""

from __future__ import annotations

from datetime import UTC

import pytest

from linux_auditd_at.errors import SPLError, ToolkitError
from linux_auditd_at.spl import Context, compile_search


def test_implicit_and_explicit_search_are_the_same(matching):
    events = [{"a": "1"}, {"a": "2"}]
    assert matching("a=1", events) == [0]
    assert matching("search a=1", events) == matching("| search a=1", events) == [0]


def test_pipes_inside_quotes_do_not_split(matching):
    assert matching('a="x|y" | search a="x|y"', [{"a": "x|y"}, {"a": "x"}]) == [0]


def test_command_names_are_case_insensitive(run):
    assert run("* | STATS count", [{}]).rows == [{"count": "1"}]


def test_an_empty_search_term_list_matches_everything(run):
    assert len(run("search", [{}, {}]).rows) == 2


def test_time_range_earliest_inclusive_latest_exclusive(run):
    events = [{"_time": t} for t in (99.999, 100.0, 150.0, 199.999, 200.0)]
    result = run("* | table _time", events, earliest=100.0, latest=200.0)
    assert [r["_time"] for r in result.rows] == ["199.999", "150", "100"]  # newest first
    assert result.outside_time_range == 2
    assert result.stages[0].read == 3


def test_stage_counts_and_texts(run):
    events = [{"a": "1"}, {"a": "1"}, {"a": "2"}, {}]
    result = run("a=*  |  eval b=a | stats count by b | where count > 1", events)
    assert [(s.command, s.read, s.passed) for s in result.stages] == [
        ("a=*", 4, 3), ("eval b=a", 3, 3), ("stats count by b", 3, 2), ("where count > 1", 2, 1)]


def test_event_results_have_every_field_as_a_column(run):
    result = run("*", [{"_raw": "x", "_time": 1.25, "a": "1"}, {"b": ["p", "q"]}])
    assert result.columns == ["_raw", "_time", "a", "b"]
    assert result.rows == [{"_raw": "x", "_time": "1.25", "a": "1", "b": None},
                           {"_raw": None, "_time": None, "a": None, "b": ["p", "q"]}]


def test_execute_consumes_a_one_shot_iterator_and_leaves_input_events_unchanged():
    event = {"host": "h", "_time": 5.0}
    pipeline = compile_search("* | rename host as dest | eval x=1")
    result = pipeline.execute(iter([event]), Context(now=0, tz=UTC))
    assert result.rows == [{"_time": "5", "dest": "h", "x": "1"}]
    assert event == {"host": "h", "_time": 5.0}


@pytest.mark.parametrize(("spl", "message", "position"), [
    ("", "empty search", 0),
    ("a=1 | makeresults count=1", "command 'makeresults' is valid SPL but not supported by the offline", 6),
    ("a=1 | tstats count", "command 'tstats' is valid SPL but not supported by the offline engine", 6),
    ("| makeresults", "command 'makeresults' is valid SPL but not supported", 2),
    ("a=1 | serach b=2", "unknown search command 'serach'", 6),
    ("| stats count", "a search must start with search or a generating command, not 'stats'", 2),
    ("a=1 || stats count", "empty command between pipes", 5),
    ("a=1 | search [search b=2]", "in the subsearch: a subsearch over indexed events is not supported", 14),
    ("a=1 | search [| inputlookup t where]", "in the subsearch: expected a search expression after", 30),
    ("a=1 | search [| inputlookup", "subsearch '\\[' is not closed", 13),
    ("a=1 | search x]", "']' without a '\\['", 14),
    ('a="x', "unterminated quoted string", 2),
    ("a=", "expected a value after '='", 2),
    ("a==1", "'==' is not a search operator", 1),
    ("NOT", "expected a search term", 3),
    ("a=1 OR", "expected a search term", 6),
    ("AND a=1", "expected a search term", 0),
    ("(a=1", "expected '\\)'", 4),
    ("a=1)", "unexpected token in search", 3),
    ("a IN ()", "empty IN list", 0),
    ("src_*=10.0.0.1", "wildcards in field names are not supported", 0),
    ("a IN (1 2)", "expected ',' or '\\)' in IN list", 8),
    ("a, b", "unexpected token in search", 1),
    ("earliest=-1h a=1", "time modifier earliest= inside the search is not supported", 0),
    ("* | stats mediam(x)", "unsupported stats function 'mediam'", 10),
    ("* | stats min", r"min needs a field: min\(field\)", 13),
    ("* | stats count by", "expected field names after BY", 18),
    ("* | stats count(eval(a=1))", r"eval\(\) inside stats functions is not supported", 16),
    ("* | stats", "stats needs at least one function", 9),
    ("* | stats alnum=true count", "unsupported stats option 'alnum'", 10),
    ("* | rename a b", "expected AS after 'a'", 13),
    ("* | rename a* AS b", "wildcards in 'a\\*' and 'b' must match in number", 11),
    ("* | rename", "rename needs 'field AS newname'", 10),
    ("* | convert mktime(t)", "unsupported convert function 'mktime'", 12),
    ('* | convert timeformat="%H"', r"convert needs a conversion such as ctime\(field\)", 27),
    ("* | convert foo=1 ctime(t)", "unsupported option 'foo'", 12),
    ("* | sort", "sort needs a field", 8),
    ("* | sort limit=x n", "limit must be a non-negative integer", 15),
    ("* | sort ip(n)", r"unsupported sort type ip\(\)", 9),
    ("* | head x", "unexpected argument to head", 9),
    ("* | dedup", "dedup needs at least one field", 9),
    ("* | dedup a sortby b", "dedup sortby is not supported", 12),
    ("* | dedup a keepempty=maybe", "keepempty= expects true or false", 22),
    ("* | fields", "fields needs at least one field name", 10),
    ("* | table", "table needs at least one field name", 9),
    ("* | fillnull other=1", "unsupported option 'other'", 13),
    ("* | eval 1=2", "expected a field name to assign", 9),
    ("* | eval x=#", "unexpected character '#' in expression", 11),
])
def test_errors_name_the_problem_and_position(spl, message, position):
    with pytest.raises(SPLError, match=message) as err:
        compile_search(spl)
    assert err.value.position == position
    assert isinstance(err.value, ToolkitError)
    assert f"at position {position}" in str(err.value)


# Splunk's search order: "For historical searches, the most recent events are searched first"
# (Search Reference, dedup and head). A log file is read oldest first, so the engine puts events
# in that order wherever the order shows: the event list, head, dedup, sort ties, first/last.
TIMED = [{"n": str(i), "g": "x" if i % 2 else "y", "_time": float(100 + i)} for i in range(5)]


def test_events_are_listed_newest_first(run):
    assert [r["n"] for r in run("* | table n", TIMED).rows] == ["4", "3", "2", "1", "0"]
    same_second = [{"n": "a", "_time": 5.0}, {"n": "b", "_time": 5.0}, {"n": "c", "_time": 4.0}]
    assert [r["n"] for r in run("* | table n", same_second).rows] == ["b", "a", "c"]


def test_head_dedup_and_first_last_see_the_newest_event_first(run):
    assert [r["n"] for r in run("* | head 2", TIMED).rows] == ["4", "3"]
    assert [r["n"] for r in run("* | dedup g", TIMED).rows] == ["4", "3"]
    assert run("* | stats first(n) last(n) count by g", TIMED).rows == [
        {"g": "x", "first(n)": "3", "last(n)": "1", "count": "2"},
        {"g": "y", "first(n)": "4", "last(n)": "0", "count": "3"}]
    assert [r["n"] for r in run("* | sort g", TIMED).rows] == ["3", "1", "4", "2", "0"]  # ties: search order


def test_rows_a_command_has_ordered_keep_that_order(run):
    assert [r["g"] for r in run("* | stats count by g | head 1", TIMED).rows] == ["x"]
    by_time = run("* | stats count by _time | head 2", TIMED).rows
    assert [r["_time"] for r in by_time] == ["100", "101"]  # stats order, not newest first
    assert [r["n"] for r in run("* | sort n | table n", TIMED).rows] == ["0", "1", "2", "3", "4"]


def test_only_searches_whose_result_shows_order_hold_events_to_reorder_them():
    shipped = ('sourcetype="linux:audit" type=SYSCALL | rename host as dest | stats count min(_time) '
               'max(_time) as lastTime by comm dest | convert ctime(lastTime) | search *')
    assert compile_search(shipped).reorder_at is None  # stats count/min/max: streaming, no reorder
    assert compile_search("a=1 | where b=2 | eval c=1 | head 3").reorder_at == 2  # after the filters
    assert compile_search("a=1 | table a").reorder_at == 1
    assert compile_search("a=1 | stats count by a | head 3").reorder_at is None


def test_result_rows_are_new_rows_in_the_shape_of_json_results():
    events = [{"a": "1", "b": "2"}, {"a": "1", "b": ["x"], "c": 3.5}]
    rows = compile_search("a=1").execute(events, Context(now=0.0, tz=UTC)).rows
    assert rows == [{"a": "1", "b": "2", "c": None}, {"a": "1", "b": "x", "c": "3.5"}]
    table = compile_search("a=1 | table a b").execute(events, Context(now=0.0, tz=UTC)).rows
    assert table[0] == events[0] and table[0] is not events[0]
