"""`eval` and `where`: eval precedence, comparisons, null rules and the supported functions."""

from __future__ import annotations

import itertools

import pytest

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl.parser import MAX_NESTING


def evaluate(run, expression: str, event: dict | None = None):
    """The value `eval x=<expression>` gives on one event (None when x is null)."""
    return run(f"* | eval x={expression}", [event or {}]).rows[0].get("x")


# --- where ---------------------------------------------------------------------------------------

def test_where_uses_eval_precedence_and_before_or(matching):
    events = [{"a": a, "b": b, "c": c} for a, b, c in itertools.product("10", "20", "30")]
    expected = [i for i, e in enumerate(events) if e["a"] == "1" or (e["b"] == "2" and e["c"] == "3")]
    assert matching("* | where a=1 OR b=2 AND c=3", events) == expected
    assert matching("* | where NOT a=1 AND b=2", events) == [
        i for i, e in enumerate(events) if e["a"] != "1" and e["b"] == "2"]


def test_where_compares_numbers_numerically_and_strings_case_sensitively(matching):
    events = [{"pid": "9", "u": "root"}, {"pid": "10", "u": "ROOT"}]
    assert matching("* | where pid > 9", events) == [1]
    assert matching('* | where u="root"', events) == [0]
    assert matching('* | where u=="ROOT"', events) == [1]
    assert matching('* | where u!="root"', events) == [1]
    assert matching('* | where u < "a"', events) == [1]  # "ROOT" sorts before lower case


def test_unquoted_name_is_a_field_quoted_is_a_string(matching):
    events = [{"host": "web1", "web1": "web1"}, {"host": "web1"}]
    assert matching("* | where host=web1", events) == [0]  # compares two fields
    assert matching('* | where host="web1"', events) == [0, 1]


def test_numeric_strings_compare_as_numbers(matching):
    # UNVERIFIED pin: "10.0" and 10 are equal because both spell numbers
    assert matching('* | where pid="10"', [{"pid": "10.0"}, {"pid": "10"}, {"pid": "1"}]) == [0, 1]


def test_single_quoted_field_names(matching):
    events = [{"my-field": "x"}, {"my-field": "y"}]
    assert matching("* | where 'my-field'=\"x\"", events) == [0]


def test_where_drops_rows_where_the_field_is_missing(matching):
    events = [{"u": "root"}, {}]
    assert matching('* | where u!="daemon"', events) == [0]
    assert matching('* | where NOT u="daemon"', events) == [0]


def test_where_like_and_in_operators(matching):
    events = [{"exe": "/usr/bin/at"}, {"exe": "/usr/bin/AT"}, {"exe": "/bin/cat"}]
    assert matching('* | where exe LIKE "/usr/bin/%"', events) == [0, 1]
    assert matching('* | where like(exe, "%/_at")', events) == [2]  # _ is exactly one character
    assert matching('* | where like(exe, "%/at")', events) == [0]  # case-sensitive
    assert matching('* | where exe IN ("/bin/cat", "/usr/bin/at")', events) == [0, 2]
    assert matching('* | where in(exe, "/usr/bin/AT")', events) == [1]


def test_where_match_regex_and_null_tests(matching):
    events = [{"comm": "atq"}, {"comm": "cron"}, {}]
    assert matching('* | where match(comm, "^at")', events) == [0]
    assert matching("* | where isnull(comm)", events) == [2]
    assert matching("* | where isnotnull(comm)", events) == [0, 1]


def test_where_multivalue_any_match(matching):
    assert matching('* | where tag="b"', [{"tag": ["a", "b"]}, {"tag": ["a"]}]) == [0]


def test_three_valued_logic(matching):
    events = [{"a": "1"}, {}]
    assert matching("* | where a=1 OR b=2", events) == [0]
    assert matching("* | where isnull(b) OR b=2", events) == [0, 1]
    assert matching("* | where NOT (b=2)", events) == []  # NOT null is null


# --- eval ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "expected"), [
    ("1+2", "3"),
    ("7-10", "-3"),
    ("6*7", "42"),
    ("7/2", "3.5"),
    ("8/2", "4"),
    ("7%4", "3"),
    ("2+3*4", "14"),
    ("(2+3)*4", "20"),
    ("-pid", "-10"),
    ("pid+1", "11"),
    ("1/0", None),
    ('"a"."b"', "ab"),
    ('comm."-".pid', "at-10"),
    ('"a"+"b"', "ab"),
    ('comm+1', None),
    ("missing+1", None),
    ('"x".missing', None),
    ("lower(UID)", "root"),
    ('upper("at")', "AT"),
    ("len(exe)", "11"),
    ('tonumber("0x1F", 16)', "31"),
    ('tonumber("12.5")', "12.5"),
    ('tonumber("abc")', None),
    ("tostring(pid)", "10"),
    ("tostring(255, \"hex\")", "0xFF"),
    ("coalesce(missing, UID, comm)", "ROOT"),
    ('if(comm="at", "yes", "no")', "yes"),
    ('if(missing="at", "yes", "no")', "no"),
    ('case(pid>100, "big", pid>5, "medium", true(), "small")', "medium"),
    ('case(pid>100, "big")', None),
    ("null()", None),
    ("lower(tag)", ["a", "b"]),
    ('1+2."x"', "3x"),              # UNVERIFIED pin: `.` shares the level of + and -
    ('"x".1+2', None),              # ("x".1)+2: a string plus a number is null
    ("tag.pid", "A10"),             # UNVERIFIED pin: a multivalue operand uses its first value
    ("pid*tag", None),
])
def test_eval_values(run, expression, expected):
    event = {"pid": "10", "comm": "at", "UID": "ROOT", "exe": "/usr/bin/at", "tag": ["A", "B"]}
    assert evaluate(run, expression, event) == expected


def test_eval_assignments_run_left_to_right_and_null_removes(run):
    result = run('* | eval a=1, b=a+1, comm=null()', [{"comm": "at"}])
    assert result.rows == [{"a": "1", "b": "2"}]


def test_eval_overwrites_and_adds_columns_after_stats(run):
    result = run('* | stats count by comm | eval count=count*2, kind="x"', [{"comm": "at"}, {"comm": "at"}])
    assert result.columns == ["comm", "count", "kind"]
    assert result.rows == [{"comm": "at", "count": "4", "kind": "x"}]


def test_eval_cannot_assign_a_boolean():
    from linux_auditd_at.spl import compile_search
    with pytest.raises(SPLError, match="cannot assign a boolean to x") as err:
        compile_search("* | eval x=a=1")
    assert err.value.position == len("* | eval x=")


@pytest.mark.parametrize(("spl", "message", "position"), [
    ("* | eval x=frobnicate(a)", r"unknown eval function frobnicate\(\)", 11),
    ("* | eval x=if(a, b)", r"if\(\) takes 3 arguments, got 2", 11),
    ("* | where lower(a, b)=1", r"lower\(\) takes 1 argument, got 2", 10),
    ('* | where match(a, "(")', "bad regular expression", 19),
    ("* | eval x=1 y=2", "expected ',' between assignments", 13),
    ("* | where (a=1", r"expected '\)'", 14),
    ("* | where a=1 and b=2", "unexpected token in where", 14),
    ("* | eval x=1 +", "expected a value", 14),
    ("* | where", "where needs an expression", 9),
    ("* | where comm", "where needs a true/false expression", 10),
    ('* | where "a" . comm', "where needs a true/false expression", 10),
    ("* | eval x=case(a)", r"case\(\) takes at least 2 arguments, got 1", 11),
    ("* | eval x=case(a, 1, b)", r"case\(\) takes condition, value pairs", 11),
])
def test_eval_errors_name_the_problem_and_position(spl, message, position):
    from linux_auditd_at.spl import compile_search
    with pytest.raises(SPLError, match=message) as err:
        compile_search(spl)
    assert err.value.position == position


@pytest.mark.parametrize(("spl", "position"), [
    ("* | where comm AND a=1", 10),         # the operand that is not true/false, not the AND
    ("* | where a=2 OR lower(comm)", 17),
    ('* | eval x=if(comm, "y", "n")', 14),
    ("* | where NOT comm", 14),
])
def test_logical_operator_on_a_non_boolean_is_an_error_at_the_operand(run, spl, position):
    with pytest.raises(SPLError, match="expected a boolean expression") as err:
        run(spl, [{"comm": "at", "a": "1"}])
    assert err.value.position == position


def test_eval_uses_the_same_precedence_as_where(run):
    events = [{"a": a, "b": b, "c": c} for a, b, c in itertools.product("10", "20", "30")]
    rows = run('* | eval x=if(a=1 OR b=2 AND c=3, "y", "n"), z=if(NOT a=1 AND b=2, "y", "n")', events).rows
    assert [r["x"] == "y" for r in rows] == [
        e["a"] == "1" or (e["b"] == "2" and e["c"] == "3") for e in events]
    assert [r["z"] == "y" for r in rows] == [e["a"] != "1" and e["b"] == "2" for e in events]


# --- nesting: up to MAX_NESTING levels work, deeper is one SPL error at the token past it --------

def _nested(depth: int) -> dict[str, str]:
    return {
        "where parentheses": "* | where " + "(" * depth + "a=1" + ")" * depth,
        "search parentheses": "(" * depth + "a=1" + ")" * depth,
        "function calls": "* | where " + "lower(" * depth + "a" + ")" * depth + '="1"',
        "NOT": "* | where " + "NOT " * (depth - 1) + "NOT a=2",
        "search NOT": "NOT " * depth + "a=2",
        "unary minus": "* | where " + "-" * depth + "1 != a",
        "mixed": "* | where " + "NOT (" * depth + "a=2" + ")" * depth,
        # left-associative, so each operator nests the chain one level deeper
        "operators in a row": "* | where a != " + "1 + " * depth + "1",
        "concatenation in a row": '* | where a != "1"' + ' . "1"' * depth,
        "operators in a row inside parentheses": "* | where a != (" + "1 - " * (depth - 3) + "(1 * 1))",
    }


@pytest.mark.parametrize("kind", _nested(1))
def test_nesting_up_to_the_limit_evaluates_and_beyond_is_an_spl_error(run, matching, kind):
    assert matching(_nested(MAX_NESTING)[kind], [{"a": "1"}]) in ([0], [])
    spl = _nested(MAX_NESTING + 1)[kind]
    with pytest.raises(SPLError, match=f"^nested more than {MAX_NESTING} levels deep") as err:
        run(spl, [{"a": "1"}])
    assert spl[err.value.position] in "(-N+.*"


def test_thousands_of_ors_and_ands_in_where_evaluate_left_to_right(matching):
    """A long allow-list in `where` is one chain, not 10,000 levels of nesting."""
    values = [str(n) for n in range(10_000)]
    events = [{"a": "9999"}, {"a": "x"}, {"b": "1"}]
    assert matching("* | where " + " OR ".join(f'a="{v}"' for v in values), events) == [0]
    assert matching("* | where " + " AND ".join(f'a!="{v}"' for v in values), events) == [1]
    assert matching("* | where " + " XOR ".join(['a="x"'] * 3), events) == [1]
    # three-valued logic is kept: null OR true is true, null AND false is false, on any chain length
    assert matching("* | where " + " OR ".join(["isnull(z)=false()"] * 7 + ['b="1"']), events) == [2]


def test_numbers_of_5000_digits_are_infinite_not_a_crash(run):
    big = "9" * 5000
    assert evaluate(run, f"{big} * 2") == "inf"
    assert evaluate(run, f'tonumber("{big}", 16)') == "inf"
    assert evaluate(run, f'tostring({big}, "hex")') is None
    assert evaluate(run, 'tostring(255, "hex")') == "0xFF"
    assert evaluate(run, f'tostring({big}, "commas")') is None
    assert evaluate(run, f'tostring({big}, "duration")') is None
    assert evaluate(run, f"round({big}, 2)") == "inf"
