"""lookup, inputlookup, format, return and subsearches in the engine, over LookupTables built here.

Sources: Search Reference "lookup" (syntax: `field [AS evfield]`, OUTPUT/OUTPUTNEW with AS; "If you
do not specify OUTPUT or OUTPUTNEW, all fields in the lookup table that are not the match fields
are used as output fields"), "inputlookup" (`WHERE <search-query>`, start, max), "format" (row and
column strings, mvsep, maxresults, emptystr with the default `NOT( )`), "return" (count,
alias=field, $field); Search Manual "About subsearches" (a subsearch starts with a generating
command and runs first) and "Change the format of subsearch results" (`(field1=val1_1 AND
field2=val1_2) OR (...)`, `_` fields left out, `search`/`query` written as their value); Search
Reference "append" ("By default, subsearches return a maximum of 10,000 results"); Knowledge
Manager Manual "Add field matching rules to your lookup configuration" (max_matches default 100
in file order, min_matches, default_match) and transforms.conf.spec (case_sensitive_match default
true, match_type WILDCARD()/CIDR()). Choices they leave open are UNVERIFIED in the modules'
docstrings and in CONFORMANCE.md.
"""

from __future__ import annotations

from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linux_auditd_at.errors import SPLError, UnsupportedSPLError
from linux_auditd_at.spl import Context, LookupTable, compile_search
from linux_auditd_at.spl.commands.arguments import search_cursor
from linux_auditd_at.spl.lookups import CsvText
from linux_auditd_at.spl.parser import parse_search_expression
from linux_auditd_at.spl.search_expr import compile_matcher
from linux_auditd_at.spl.subsearch import SUBSEARCH_MAXOUT, format_rows

ALLOW = LookupTable("allow", "allow.csv", ("dest", "UID", "reason"), [
    ["build-01", "root", "ci"],
    ["web-02", "", "backup"],
    ["build-01", "root", "ci again"],
])


def tables(*extra: LookupTable):
    known = {t.name: t for t in (ALLOW, *extra)}

    def resolve(name: str) -> LookupTable:
        return known[name]
    return resolve


def rows(spl: str, events: list[dict], *extra: LookupTable) -> list[dict]:
    return compile_search(spl, tables(*extra)).execute(events, Context(now=0.0, tz=UTC)).rows


def test_lookup_output_with_as_and_as_on_the_input():
    got = rows("* | lookup allow dest AS host OUTPUT reason AS why", [{"host": "web-02"}, {"host": "db"}])
    assert got == [{"host": "web-02", "why": "backup"}, {"host": "db", "why": None}]


def test_lookup_without_output_gives_every_column_but_the_match_fields():
    got = rows("* | lookup allow dest", [{"dest": "web-02"}])
    assert got == [{"dest": "web-02", "reason": "backup"}]  # web-02's row has no UID: none is written


def test_several_matching_rows_give_a_multivalue_field_in_file_order():
    got = rows("* | lookup allow dest OUTPUT reason UID", [{"dest": "build-01"}])
    assert got == [{"dest": "build-01", "reason": ["ci", "ci again"], "UID": ["root", "root"]}]


def test_output_overwrites_and_outputnew_keeps_existing_fields():
    events = [{"dest": "web-02", "reason": "old"}, {"dest": "db", "reason": "old"}]
    assert [r["reason"] for r in rows("* | lookup allow dest OUTPUT reason", events)] == ["backup", None]
    assert [r["reason"] for r in rows("* | lookup allow dest OUTPUTNEW reason", events)] == ["old", "old"]
    assert rows("* | lookup allow dest OUTPUTNEW reason AS r", [{"dest": "web-02"}])[0]["r"] == "backup"


def test_every_input_field_must_match_and_a_missing_one_matches_nothing():
    events = [{"dest": "build-01", "UID": "root"}, {"dest": "build-01", "UID": "daemon"},
              {"dest": "build-01"}]
    assert [r["reason"] for r in rows("* | lookup allow dest UID OUTPUT reason", events)] == [
        ["ci", "ci again"], None, None]


def test_matching_is_case_sensitive_unless_the_definition_says_otherwise():
    event = [{"dest": "BUILD-01"}]
    assert rows("* | lookup allow dest OUTPUT reason", event) == [{"dest": "BUILD-01"}]
    folded = LookupTable("folded", "f.csv", ALLOW.columns, ALLOW.records, case_sensitive=False)
    assert rows("* | lookup folded dest OUTPUT reason", event, folded)[0]["reason"] == ["ci", "ci again"]
    both = [{"dest": "Build-01", "UID": "ROOT"}]
    assert rows("* | lookup folded dest UID OUTPUT reason", both, folded)[0]["reason"] == ["ci", "ci again"]


def test_wildcard_and_cidr_match_types():
    nets = LookupTable("nets", "n.csv", ("ip", "host", "zone"), [
        ["10.0.0.0/8", "*", "lan"],
        ["2001:db8::/32", "web-*", "v6"],
        ["192.0.2.7", "*", "one"],
        ["not a network", "*", "never"],
    ], wildcard=frozenset({"host"}), cidr=frozenset({"ip"}))
    events = [{"ip": "10.9.8.7", "host": "a"}, {"ip": "2001:db8::1", "host": "web-3"},
              {"ip": "2001:db8::1", "host": "db"}, {"ip": "192.0.2.7", "host": "x"},
              {"ip": "nonsense", "host": "x"}]
    assert [r["zone"] for r in rows("* | lookup nets ip host OUTPUT zone", events, nets)] == [
        "lan", "v6", None, "one", None]


def test_a_wildcard_cell_with_many_stars_on_a_long_value_finishes():
    """A WILDCARD() cell `*a*a*a*a*b` against a 100,000-character dest was a backtracking regex
    (minutes); it now matches as search's `*` terms do, in one pass, with the same answers."""
    hosts = LookupTable("hosts", "h.csv", ("host", "zone"), [["*a*a*a*a*b", "odd"], ["web-*", "web"]],
                        wildcard=frozenset({"host"}))
    events = [{"host": "a" * 100_000}, {"host": "xaxaxaxab"}, {"host": "web-3"}]
    assert [r.get("zone") for r in rows("* | lookup hosts host OUTPUT zone", events, hosts)] == [
        None, "odd", "web"]


def test_max_matches_min_matches_and_default_match():
    capped = LookupTable("capped", "c.csv", ALLOW.columns, ALLOW.records, max_matches=1, min_matches=1,
                         default_match="unknown")
    got = rows("* | lookup capped dest OUTPUT reason", [{"dest": "build-01"}, {"dest": "db"}], capped)
    assert [r["reason"] for r in got] == ["ci", "unknown"]


def test_a_multivalue_input_is_looked_up_value_by_value():
    got = rows("* | lookup allow dest OUTPUT reason", [{"dest": ["web-02", "db", "build-01"]}])
    assert got[0]["reason"] == ["backup", "ci", "ci again"]


def test_inputlookup_where_start_and_max():
    assert rows("| inputlookup allow", []) == [
        {"dest": "build-01", "UID": "root", "reason": "ci"},
        {"dest": "web-02", "UID": None, "reason": "backup"},
        {"dest": "build-01", "UID": "root", "reason": "ci again"}]
    assert [r["reason"] for r in rows("| inputlookup allow WHERE dest=BUILD-*", [])] == ["ci", "ci again"]
    assert [r["reason"] for r in rows("| inputlookup start=1 max=1 allow", [])] == ["backup"]
    assert [r["reason"] for r in rows("| inputlookup allow where NOT UID=*", [])] == ["backup"]


def test_implicit_format_of_subsearch_rows():
    pipeline = compile_search("* | search NOT [| inputlookup allow | fields dest UID]", tables())
    assert pipeline.stages[1].text == (
        'search NOT  ( ( UID="root" AND dest="build-01" ) OR ( dest="web-02" ) '
        'OR ( UID="root" AND dest="build-01" ) )')  # name order, bytes: UNVERIFIED
    events = [{"dest": "build-01", "UID": "root"}, {"dest": "build-01", "UID": "x"}, {"dest": "web-02"},
              {"dest": "db"}]
    assert [r["dest"] for r in pipeline.execute(events, Context(now=0.0, tz=UTC)).rows] == ["build-01", "db"]


def test_comments_go_before_subsearches_run_so_brackets_in_them_are_text():
    spl = "* | search NOT [| inputlookup allow ```a [note] | here``` | fields dest] ```[ ]```"
    assert [r["dest"] for r in rows(spl, [{"dest": "web-02"}, {"dest": "db"}])] == ["db"]


def test_an_empty_subsearch_is_not_parenthesis_so_not_keeps_everything():
    empty = LookupTable("empty", "e.csv", ("dest",), [])
    assert format_rows([], ["dest"]) == "NOT ( )"
    events = [{"dest": "a"}, {"dest": "b"}]
    assert len(rows("* | search NOT [| inputlookup empty]", events, empty)) == 2
    assert rows("* | search [| inputlookup empty]", events, empty) == []


def test_format_leaves_out_underscore_fields_writes_search_verbatim_and_multivalues_with_mvsep():
    rows_ = [{"_time": "1", "a": ["x", 'q"uote'], "b": None}, {"search": "c>2"}]
    got = format_rows(rows_, ["_time", "a", "b", "search"])
    assert got == '( ( ( a="x" OR a="q\\"uote" ) ) OR ( c>2 ) )'


def test_explicit_format_with_its_own_strings_and_return():
    assert rows('| inputlookup allow | fields dest | format "[" "{" "&&" "}" "||" "]"', []) == [
        {"search": '[ { dest="build-01" } || { dest="web-02" } || { dest="build-01" } ]'}]
    assert rows("| inputlookup allow | format maxresults=1 mvsep=AND", [])[0]["search"] == (
        '( ( UID="root" AND dest="build-01" AND reason="ci" ) )')
    assert rows("| inputlookup allow | return 2 host=dest $reason", []) == [
        {"search": '(host="build-01" ci) OR (host="web-02" backup)'}]
    kept = rows("* | search [| inputlookup allow | return host=dest]", [{"host": "build-01"}, {"host": "db"}])
    assert kept == [{"host": "build-01"}]


def test_subsearch_output_is_cut_at_splunks_default_limit():
    big = LookupTable("big", "b.csv", ("n",), [[str(i)] for i in range(SUBSEARCH_MAXOUT + 5)])
    pipeline = compile_search("* | search NOT [| inputlookup big]", tables(big))
    assert f'n="{SUBSEARCH_MAXOUT - 1}"' in pipeline.spl and f'n="{SUBSEARCH_MAXOUT}"' not in pipeline.spl
    assert pipeline.warnings == [f"the subsearch at position 15 returned {SUBSEARCH_MAXOUT + 5} rows; as in "
                                 f"Splunk, only the first {SUBSEARCH_MAXOUT} were used"]


def test_lookup_columns_follow_the_fixed_columns():
    result = compile_search("* | stats count by dest | lookup allow dest", tables()).execute(
        [{"dest": "web-02"}], Context(now=0.0, tz=UTC))
    assert result.columns == ["dest", "count", "UID", "reason"]


@pytest.mark.parametrize(("spl", "error", "message", "position"), [
    ("* | lookup", SPLError, "lookup needs a lookup table name", 10),
    ("* | lookup allow", SPLError, "lookup allow needs at least one lookup field", 16),
    ("* | lookup allow dest OUTPUT", SPLError, "expected output field names after OUTPUT", 28),
    ("* | lookup allow dest AS", SPLError, "expected a field name after AS", 24),
    ("* | lookup local=maybe allow dest", SPLError, "local= expects true or false", 17),
    ("* | lookup allow host OUTPUT reason why", SPLError,
     r"lookup allow: 'host', 'why' not among the columns of allow.csv \(dest, UID, reason\)", 11),
    ("* | inputlookup allow", SPLError, "inputlookup must be the first command of a search", 4),
    ("| inputlookup append=true allow", UnsupportedSPLError, "inputlookup append= is valid SPL but not", 14),
    ("| inputlookup allow dest", SPLError, "unexpected argument to inputlookup", 20),
    ("| inputlookup allow | format \"(\" \"(\"", SPLError, "format takes all six row and column strings", 36),
    ("| inputlookup allow | return", SPLError, "return needs at least one field", 28),
    ("* | search [| inputlookup allow | iplocation dest]", UnsupportedSPLError,
     "in the subsearch: command 'iplocation' is valid SPL but not supported", 34),
])
def test_errors_name_the_problem_and_position(spl, error, message, position):
    with pytest.raises(error, match=message) as caught:
        compile_search(spl, tables())
    assert caught.value.position == position


def test_without_a_resolver_a_lookup_is_an_error_naming_it():
    with pytest.raises(SPLError, match="lookup 'allow': no lookup tables were given to the engine"):
        compile_search("* | lookup allow dest")


@pytest.mark.parametrize("kind", ["list", "text"])
@pytest.mark.parametrize("case_sensitive", [True, False])
def test_many_distinct_inputs_switch_to_an_index_with_the_same_answers(kind, case_sensitive):
    records = [[str(n % 3), f"h{n % 150}", f"r{n}"] for n in range(600)]  # UID, dest, reason
    stored = records if kind == "list" else CsvText("\n".join(map(",".join, records)) + "\n", 3)
    table = LookupTable("many", "m.csv", ("UID", "dest", "reason"), stored, max_matches=1000,
                        case_sensitive=case_sensitive)
    match = table.matcher(("dest", "UID"))  # the lead field is the table's second column
    for n in range(200):  # past the scans the matcher makes before it builds its index
        dest, uid = f"h{n % 170}", str(n % 3)
        asked = dest if n % 2 else dest.upper()
        expected = [f"r{i}" for i, r in enumerate(records) if r[1] == dest and r[0] == uid]
        assert [row["reason"] for row in match((asked, uid))] == (
            [] if case_sensitive and asked != dest else expected)


def test_csv_text_find_scans_one_column_and_declines_what_it_cannot_fold():
    text = CsvText("a,x\r\nB,y\r\nb,x\r\n,b\r\nc", 2)
    assert text.find(0, "b", True) == [2] and text.find(0, "b", False) == [1, 2]
    assert text.find(1, "x", True) == [0, 2] and text.find(1, "b", True) == [3]
    assert text[4] == ["c", ""] and text.column(1) == ["x", "y", "x", "b", ""]
    unicode = CsvText("straße,z\nSTRASSE,y", 2)
    assert unicode.find(0, "strasse", False) is None  # folding non-ASCII text: the cells are compared instead
    assert unicode.find(0, "STRASSE", True) == [1]
    common = CsvText("\n".join(["x,1"] * (CsvText.FIND_LINES + 1)), 2)
    assert common.find(0, "x", True) is None  # in too many lines: the matcher indexes the column instead
    inside = CsvText("\n".join(["vm-1,x"] * (CsvText.FIND_LINES + 1) + ["vm,x", "a,vm", "a,b,vm", "vm"]), 2)
    assert inside.find(0, "vm", True) == [1001, 1004]  # only whole cells: `vm` in `vm-1` is no hit
    assert inside.find(1, "vm", True) == [1002]  # a third cell is beyond the table's two columns
    assert inside.find(1, "X", False) is None
    assert len(LookupTable("c", "c.csv", ("a", "b"), common).matcher(("a",))(("x",))) == 100


@given(text=st.text(alphabet="aAb,\n\r-", max_size=40), column=st.integers(0, 2),
       value=st.text(alphabet="aAb-", min_size=1, max_size=3), case_sensitive=st.booleans())
def test_csv_text_find_gives_the_records_whose_cell_equals_the_value(text, column, value, case_sensitive):
    records = CsvText(text, 3)
    fold = (lambda cell: cell) if case_sensitive else str.lower
    expected = [n for n in range(len(records)) if fold(records[n][column]) == fold(value)]
    assert records.find(column, value, case_sensitive) == expected  # ASCII, few lines: never None


def test_a_lead_value_is_looked_up_once_whatever_the_other_fields(monkeypatch):
    """An allow-list keyed by dest and UID: the result rows hold one dest with several UIDs; the
    table's text is searched for that dest once, not once per UID."""
    text = CsvText("vm,root,a\nvm-1,root,b\nvm,daemon,c\n", 3)
    searched, find = [], CsvText.find
    monkeypatch.setattr(CsvText, "find", lambda self, *args: searched.append(args) or find(self, *args))
    table = LookupTable("allow", "a.csv", ("dest", "UID", "reason"), text)
    match = table.matcher(("dest", "UID"))
    assert [[row["reason"] for row in match(("vm", uid))] for uid in ("root", "daemon", "x", "root")] == [
        ["a"], ["c"], [], ["a"]]
    assert searched == [(0, "vm", True)]


def test_inputlookup_keeps_file_order_even_with_a_time_column():
    timed = LookupTable("timed", "t.csv", ("_time", "dest"), [["1", "old"], ["2", "new"]])
    assert rows("| inputlookup timed | head 1", [], timed) == [{"_time": "1", "dest": "old"}]


def test_a_large_or_of_field_terms_matches_as_its_terms_do():
    """What a subsearch's rows become is matched through set lookups; the answers are the terms'."""
    terms = [f'( dest="h{i}" AND UID="Root" )' for i in range(10)] + ['( dest="x" )', "( UID=daemon )"]
    spl = " OR ".join(terms)
    expr = parse_search_expression(search_cursor(spl, 0, len(spl)))
    rows_ = [{"dest": "H3", "UID": "root"}, {"dest": "h3"}, {"dest": ["a", "h4"], "UID": ["x", "ROOT"]},
             {"dest": "x"}, {"UID": "Daemon"}, {"dest": "h11", "UID": "root"}, {"dest": 5, "UID": "root"}, {}]
    fast = compile_matcher(expr)
    slow = [any(compile_matcher(item)(row) for item in expr.items) for row in rows_]
    assert [fast(row) for row in rows_] == slow == [True, False, True, True, True, False, False, False]
