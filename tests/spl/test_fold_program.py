"""The stats fold as a program for the reader's C fold (spl/fold_program.py): which searches it
takes and which it leaves to the fold in Python, terms on an input's metadata decided per input,
and the C fold's groups turned into the states stats gives. That the C fold gives the general
engine's rows and counts is the random differential test in tests/test_fast_path.py."""

from __future__ import annotations

from datetime import UTC

import pytest

from linux_auditd_at.audit import native
from linux_auditd_at.spl import Context, compile_search
from linux_auditd_at.spl.commands.stats import accumulate, functions_of
from linux_auditd_at.spl.fold_program import fold_program, line_program, states

CONTEXT = Context(now=0.0, tz=UTC)
METADATA = {"host": "h1", "source": "/var/log/audit/audit.log", "sourcetype": "linux:audit", "index": "main"}
C_FOLD = pytest.mark.skipif(native.fold() is None, reason="the C extension did not build: install gcc and "
                                                          "the Python headers, then `make venv`")


def _program(spl: str, metadata=METADATA, context=CONTEXT):
    fold = compile_search(spl).fold
    assert fold is not None, spl
    first = fold.searches[0] if fold.searches and 0 in fold.tests else None
    return None if fold.searches is None else fold_program(fold.searches, first, fold.node, metadata, context)


@pytest.mark.parametrize("spl", [
    "at | stats count",  # a bare term reads _raw
    "comm=a* | stats count",  # a wildcard inside a value
    "addr=10.0.0.0/8 | stats count",  # a CIDR block
    "pid>5 | stats count",
    "comm=at | where isnotnull(pid) | stats count",
    "comm=at | stats dc(pid)",
    "comm=at | stats min(pid)",
    "comm=at | stats values(exe)",
    "comm=at | stats count by _time",
    "comm=at | stats count(host)",
    "_raw=x | stats count",
])
def test_searches_the_c_fold_cannot_run_are_left_to_python(spl):
    assert _program(spl) is None


@pytest.mark.parametrize("spl", [
    "comm=at | stats count",
    'comm IN ("at", "atd") OR exe=/usr/bin/at NOT UID=daemon | stats count min(_time) max(_time) by comm',
    "comm=* | rename host as dest | search dest=h1 uid!=0 | stats count(pid) by dest exe",
    "index=main comm=CASE(At) | stats count",
])
def test_field_terms_counts_and_time_extremes_make_a_program(spl):
    assert _program(spl) is not None


def test_a_metadata_term_is_decided_for_each_input():
    spl = "index=main comm=at | stats count by host comm"
    keys, tests, _, by, *_ = _program(spl)
    assert keys == ("comm",) and by == ("h1", 0)  # host is the input's, comm the line's
    assert _program(spl, {**METADATA, "index": "other"})[1] == (False,)  # no line of that input can pass
    assert _program("host=H* | stats count", METADATA)[1] == (True,)  # the engine's own matcher decides


def test_a_time_bound_a_float_cannot_hold_exactly_is_left_to_python():
    window = Context(now=0.0, tz=UTC, earliest=2 ** 53 + 1)
    assert _program("comm=at | stats count", context=window) is None
    assert _program("comm=at | stats count", context=Context(now=0.0, tz=UTC, earliest=5))[5] == 5.0


def test_the_groups_of_the_c_fold_become_the_states_stats_gives():
    pipeline = compile_search("comm=at | stats count count(pid) min(_time) max(_time) by comm")
    fold = pipeline.fold
    events = [{"comm": "at", "pid": "1", "_time": 2.5}, {"comm": "at", "_time": 1.25}]
    expected = accumulate(events, fold.node, functions_of(fold.node))
    assert states({("at",): [2, 1, 1.25, 2.5]}, fold.node, functions_of(fold.node)) == expected


def _c_fold(spl: str, lines: list[bytes]) -> tuple[list[int], dict, list[int], list[int]]:
    """The starts the C fold leaves of a block of `lines`, the groups it made, the lines it took by
    number of tests passed, and every start."""
    program = _program(spl)
    keys = (*program[0], "type")
    block = b"\n".join(lines) + b"\n"
    starts = [0, *(i + 1 for i, byte in enumerate(block[:-1]) if byte == 10)]
    groups: dict = {}
    passed = [0] * (len(program[1]) + 1)
    left = native.fold()(block, starts, (keys, *program[1:]), keys.index("type"), groups, passed)
    return left, groups, passed, starts


LINES = [b'type=SYSCALL msg=audit(10.5:1): comm="AT" pid=7 UID="root"',
         b'type=SYSCALL msg=audit(11:2): comm="atd" UID="root"',  # no pid
         b'type=SYSCALL msg=audit(12:3): comm="at" pid=7 UID="daemon"',  # fails the test
         b'msg=audit(13:4): comm="at" pid=7',  # no type=: not a record, for Python to say
         b'type=SYSCALL comm="at" pid=8',  # no stamp
         b'type=SYSCALL msg=audit(9.25:5): comm="at" pid=7 UID=root']


@C_FOLD
def test_the_c_fold_takes_the_lines_that_pass_and_leaves_the_others():
    left, groups, passed, starts = _c_fold('comm IN ("at", "AtD") NOT UID=daemon | stats count count(pid) '
                                           'min(_time) max(_time) by comm host', LINES)
    assert left == [starts[3], starts[4]]  # not records: for Python to say
    assert groups == {("AT", "h1"): [1, 1, 10.5, 10.5], ("atd", "h1"): [1, 0, 11.0, 11.0],
                      ("at", "h1"): [1, 1, 9.25, 9.25]}
    assert passed == [1, 3]  # the daemon's line fails the test, yet holds comm=at: the prefilter keeps it


@C_FOLD
def test_a_line_without_a_by_field_is_taken_into_no_group():
    left, groups, passed, starts = _c_fold("UID=root | stats count by pid", LINES)
    assert left == [starts[2], starts[3], starts[4]]  # the daemon's line holds no UID=root: Python says
    assert groups == {("7",): [2]} and passed == [0, 3]  # the line without pid is taken all the same


@C_FOLD
def test_a_line_failing_a_later_stage_is_counted_at_the_stage_that_drops_it():
    left, _, passed, starts = _c_fold("type=SYSCALL | search UID=root | search pid=7 | stats count", LINES)
    assert left == [starts[3], starts[4]]
    assert passed == [0, 1, 1, 2]  # the daemon's line passes one test, the line without pid two


@C_FOLD
def test_the_c_pass_builds_the_events_of_the_lines_the_prefilter_keeps():
    """`line_program`: a line passing the first stage's test, or `kept` (it holds a field term the
    prefilter looks for), is built with its fields in the line's order; other lines are left."""
    expr = compile_search('comm IN ("at", "AtD") NOT UID=daemon | table comm').stages[0].node.expr
    keys, (test,), kept = line_program(expr, METADATA)
    keys = (*keys, "pid", "type")
    block = b"\n".join(LINES) + b"\n"
    starts = [0, *(i + 1 for i, byte in enumerate(block[:-1]) if byte == 10)]
    built = native.events()(block, starts, keys, keys.index("type"), test, kept)
    assert built[2] == (12.0, {"type": "SYSCALL", "comm": "at", "pid": "7", "UID": "daemon"})  # kept
    assert [*built[0][1]] == ["type", "comm", "pid", "UID"]  # the line's order, not the keys'
    assert built[3:5] == [starts[3], starts[4]]  # no type=, no stamp: for Python to say
    assert line_program(compile_search("at | table comm").stages[0].node.expr, METADATA) is None
