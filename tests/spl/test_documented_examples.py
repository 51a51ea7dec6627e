"""Worked examples from Splunk's documentation, run with the outcome the page states.

Each test names its page. Where the page shows only a search, the events are made up to tell the
documented reading apart from the other plausible ones; where it shows a table, the table is the
input and the expected rows are the page's.
"""

from __future__ import annotations

import itertools

import pytest

from linux_auditd_at.detection import macros_from_conf
from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import compile_search
from linux_auditd_at.spl.macros import expand_macros

# --- Search Manual: "Boolean expressions" -------------------------------------------------------


def test_boolean_expressions_a_b_c(matching):
    """docs.splunk.com/Documentation/Splunk/9.4.0/Search/Booleanexpressions: `A=1 AND B=2 OR C=3`
    "is the same as specifying A=1 B=2 OR C=3" and "is processed as A=1 AND ( B=2 OR C=3 )";
    `(A=1 AND B=2 ) OR C=3` groups the other way."""
    events = [{"A": a, "B": b, "C": c} for a, b, c in itertools.product("10", "20", "30")]
    documented = matching("A=1 AND ( B=2 OR C=3 )", events)
    assert documented == [i for i, e in enumerate(events)
                          if e["A"] == "1" and (e["B"] == "2" or e["C"] == "3")]
    assert matching("A=1 AND B=2 OR C=3", events) == matching("A=1 B=2 OR C=3", events) == documented
    assert matching("(A=1 AND B=2 ) OR C=3", events) == [
        i for i, e in enumerate(events) if (e["A"] == "1" and e["B"] == "2") or e["C"] == "3"]


def test_boolean_expressions_error_not_403_or_404(matching):
    """Same page: `error NOT 403 OR 404` finds events that contain "error" and not 403, and events
    that contain "error" and 404; `error NOT (403 OR 404)` neither 403 nor 404. Also "web error is
    the same as web AND error"."""
    raws = ["error", "error 403", "error 404", "error 403 404", "403 404", "web", "web error"]
    events = [{"_raw": raw} for raw in raws]
    assert [raws[i] for i in matching("error NOT 403 OR 404", events)] == [
        "error", "error 404", "error 403 404", "web error"]
    assert [raws[i] for i in matching("error NOT (403 OR 404)", events)] == ["error", "web error"]
    assert matching("web error", events) == matching("web AND error", events) == [6]


def test_boolean_expressions_www1_status_action(matching):
    """help.splunk.com Search Manual 9.4, "Boolean expressions with logical operators":
    `host="www1" AND status=200 OR action="addtocart"` is processed as
    `host="www1" AND (status=200 OR action="addtocart")` and returns "the events where the host is
    www1 and the status is either 200 or the action is addtocart"; omitting AND changes nothing."""
    events = [{"host": h, "status": s, "action": a}
              for h, s, a in itertools.product(("www1", "www2"), ("200", "404"), ("addtocart", "view"))]
    expected = [i for i, e in enumerate(events)
                if e["host"] == "www1" and (e["status"] == "200" or e["action"] == "addtocart")]
    assert matching('host="www1" AND status=200 OR action="addtocart"', events) == expected
    assert matching('host="www1" status=200 OR action="addtocart"', events) == expected
    assert len(expected) == 3


# --- Search Manual: "Difference between != and NOT" ----------------------------------------------

PONIES = [{"ID": "101M3", "Location": "Marin Meadows"}, {"ID": "104F5"},
          {"ID": "104M6", "Location": "Placer Pastures"}, {"ID": "101F2", "Location": "Marin Meadows"},
          {"ID": "102M7", "Location": "Calaveras Farms"}, {"ID": "102M1"},
          {"ID": "101F6", "Location": "Marin Meadows"}, {"ID": "104F4", "Location": "Placer Pastures"},
          {"ID": "102M8", "Location": "Calaveras Farms"}]


def ids(run, spl: str) -> list[str]:
    return [row["ID"] for row in run(spl, PONIES).rows]


def test_not_equal_vs_not_ponies(run):
    """docs.splunk.com/Documentation/Splunk/9.0.2/Search/NOTexpressions (Ponies.csv): `!=` returns
    the events that have a Location other than the value; NOT also returns the events without one;
    `!=` with a Location no event has returns every event that has a Location."""
    assert ids(run, '* | search Location!="Calaveras Farms"') == ["101M3", "104M6", "101F2", "101F6", "104F4"]
    assert ids(run, '* | search NOT Location="Calaveras Farms"') == [
        "101M3", "104F5", "104M6", "101F2", "102M1", "101F6", "104F4"]
    assert ids(run, '* | search Location!="Nowhere"') == [
        "101M3", "104M6", "101F2", "102M7", "101F6", "104F4", "102M8"]


# --- SPL2 Search Reference: search examples (the same semantics as SPL's search) ------------------


def test_search_examples_in_and_wildcards(matching):
    """help.splunk.com SPL2 Search Reference, "search command: Examples" 2 and 3: the two forms of
    each pair are the same search."""
    events = [{"code": c, "host": h, "xqp": x} for c, h, x in
              itertools.product(("10", "29", "43", "44"), ("localhost", "web"), ("5", "6"))]
    expected = [i for i, e in enumerate(events)
                if e["code"] in ("10", "29", "43") and e["host"] != "localhost" and int(e["xqp"]) > 5]
    assert matching('(code=10 OR code=29 OR code=43) host!="localhost" xqp>5', events) == expected
    assert matching('code IN(10, 29, 43) host!="localhost" xqp>5', events) == expected
    assert len(expected) == 3
    events = [{"host": h, "status": s}
              for h, s in itertools.product(("webserver01", "db"), ("200", "404", "503"))]
    assert matching("host=webserver* (status=4* OR status=5*)", events) == \
        matching("host=webserver* status IN(4*, 5*)", events) == [1, 2]


# --- Search Reference: rename -------------------------------------------------------------------


def test_rename_wildcard_eu_to_emea(run):
    """help.splunk.com Search Reference 9.2, rename: `rename EU* AS EMEA*` turns EU_UK, EU_DE,
    EU_PL into EMEA_UK, EMEA_DE, EMEA_PL; unequal wildcard counts are an error; a phrase is quoted."""
    result = run("* | rename EU* AS EMEA*", [{"EU_UK": "1", "EU_DE": "2", "EU_PL": "3"}])
    assert result.rows == [{"EMEA_UK": "1", "EMEA_DE": "2", "EMEA_PL": "3"}]
    with pytest.raises(SPLError, match="must match in number"):
        compile_search("* | rename EU* AS EMEA")
    phrase = run('* | rename SESSIONID AS "The session ID"', [{"SESSIONID": "s1"}])
    assert phrase.rows == [{"The session ID": "s1"}]


# --- Lexicographical order (stats by-field order) -----------------------------------------------


def test_lexicographical_order_of_stats_rows(run):
    """help.splunk.com SPL2 Search Manual, "Lexicographical order": 10, 9, 70, 100 sort as 10, 100,
    70, 9; upper-case product IDs come before lower-case ones."""
    numbers = run("* | stats count by n", [{"n": n} for n in ("10", "9", "70", "100")])
    assert [row["n"] for row in numbers.rows] == ["10", "100", "70", "9"]
    products = ["SF-01", "pz-05", "BS-09", "MB-07", "DC-02", "PZ-05", "mb-07"]
    ordered = run("* | stats count by id", [{"id": p} for p in products])
    assert [row["id"] for row in ordered.rows] == [
        "BS-09", "DC-02", "MB-07", "PZ-05", "SF-01", "mb-07", "pz-05"]


# --- stats --------------------------------------------------------------------------------------


def test_stats_sum_by_host_shape(run):
    """help.splunk.com SPL2 Search Reference, "stats command: Examples" 1 and 2: without BY one row
    with one column named after the aggregation; with BY one row per host, columns host then
    sum(bytes)."""
    events = [{"host": "host1", "bytes": "100"}, {"host": "host2", "bytes": "7"},
              {"host": "host1", "bytes": "23"}]
    assert run("* | stats sum(bytes)", events).rows == [{"sum(bytes)": "130"}]
    by_host = run("* | stats sum(bytes) BY host", events)
    assert by_host.columns == ["host", "sum(bytes)"]
    assert by_host.rows == [{"host": "host1", "sum(bytes)": "123"}, {"host": "host2", "sum(bytes)": "7"}]


# --- dedup --------------------------------------------------------------------------------------

WEB = [("www1", "view", "211.166.11.101"), ("www2", "addtocart", "194.215.205.19"),
       ("www3", "view", "74.53.23.135"), ("www1", "addtocart", "128.241.220.82"),
       ("www1", "purchase", "64.66.0.20"), ("www3", "view", "107.3.146.207"),
       ("www2", "remove", "194.215.205.19")]


def test_dedup_host_and_host_client_ip(run):
    """help.splunk.com SPL2 Search Reference, "dedup command: Overview": `dedup host` keeps the
    first result of each host; `dedup host, client_ip` drops only the second www2 row with
    194.215.205.19."""
    events = [{"host": h, "action": a, "client_ip": ip} for h, a, ip in WEB]
    assert [(r["host"], r["action"]) for r in run("* | dedup host", events).rows] == [
        ("www1", "view"), ("www2", "addtocart"), ("www3", "view")]
    assert run("* | dedup host, client_ip", events).rows == events[:6]


# --- sort ---------------------------------------------------------------------------------------


def test_sort_supplier_id(run):
    """help.splunk.com SPL2 Search Reference, "sort command: Overview": `sort supplier_id` orders
    the ids 1009, 1080, 1237, 4111, 5007, 5017, 7024, 7045."""
    ids_in = ["5007", "1009", "7024", "1237", "4111", "5017", "7045", "1080"]
    result = run("* | sort supplier_id", [{"supplier_id": i} for i in ids_in])
    assert [r["supplier_id"] for r in result.rows] == sorted(ids_in, key=int)


# --- fillnull, fields, convert ------------------------------------------------------------------


def test_fillnull_examples(run):
    """help.splunk.com Search Reference 10.0, fillnull: the default value is 0; with a field list
    a field that did not exist is created (SPL2 example: `fillnull value="unknown" host, kbps`)."""
    events = [{"host": "h", "x": "1"}, {"x": "2"}]
    assert run("* | fillnull", events).rows == [{"host": "h", "x": "1"}, {"host": "0", "x": "2"}]
    assert run('* | fillnull value="NULL"', events).rows == [
        {"host": "h", "x": "1"}, {"host": "NULL", "x": "2"}]
    result = run('* | fillnull value="unknown" host, kbps', events)
    assert [(r["host"], r["kbps"]) for r in result.rows] == [("h", "unknown"), ("unknown", "unknown")]


def test_fields_keeps_internal_fields_unless_removed(run):
    """help.splunk.com Search Reference 10.1, fields: "By default, the internal fields _raw and
    _time are included"; `fields host, ip | fields - _*` keeps only host and ip."""
    event = {"_raw": "r", "_time": 5.0, "host": "h", "ip": "10.0.0.1", "other": "x"}
    assert run("* | fields host, ip", [event]).rows == [
        {"_raw": "r", "_time": "5", "host": "h", "ip": "10.0.0.1"}]
    assert run("* | fields host, ip | fields - _*", [event]).rows == [{"host": "h", "ip": "10.0.0.1"}]


def test_convert_ctime_examples(run):
    """help.splunk.com Search Reference 9.2, convert: "Unless you use the AS clause, the original
    values are replaced"; the default timeformat is %m/%d/%Y %H:%M:%S; the example
    `convert timeformat="%H:%M:%S" ctime(_time) AS c_time` keeps _time."""
    event = {"_time": 1795915736.369}
    assert run('* | convert timeformat="%H:%M:%S" ctime(_time) AS c_time', [event]).rows == [
        {"_time": "1795915736.369", "c_time": "01:28:56"}]
    assert run("* | convert ctime(_time)", [event]).rows == [{"_time": "11/29/2026 01:28:56"}]


# --- eval and where -----------------------------------------------------------------------------


def test_eval_expressions_from_the_search_manual(run):
    """help.splunk.com Search Manual 9.3, "Use the eval command and functions": `eval
    location=city.", ".state`; "When concatenating values with a period ( . ), the eval command
    treats both values as strings"; "For addition, eval can concatenate the two operands if they
    are both strings". Search Reference 9.4, eval: expressions run left to right and may use the
    fields set before them; "The result of an eval expression cannot be a Boolean"."""
    event = {"city": "Denver", "state": "Colorado", "distance": "300", "time": "2"}
    row = run('* | eval location=city.", ".state, n=1 . 2, s="a"+"b", velocity=distance/time, '
              "twice=velocity*2", [event]).rows[0]
    assert (row["location"], row["n"], row["s"], row["velocity"], row["twice"]) == (
        "Denver, Colorado", "12", "ab", "150", "300")
    with pytest.raises(SPLError, match="cannot assign a boolean"):
        compile_search("* | eval ok=status=200")


def test_where_examples(matching):
    """help.splunk.com SPL2 Search Reference, "where command: Examples" 1 and 3:
    `where like(ipaddress, "198.%")` and `where distance/time > 100`."""
    events = [{"ipaddress": "198.51.100.1", "distance": "500", "time": "2"},
              {"ipaddress": "10.198.0.1", "distance": "100", "time": "2"}]
    assert matching('* | where like(ipaddress, "198.%")', events) == [0]
    assert matching("* | where distance/time > 100", events) == [0]


# --- macros -------------------------------------------------------------------------------------


def test_macros_inside_quoted_values_are_not_expanded():
    """help.splunk.com Knowledge Manager Manual 10.0, "Use search macros in searches": "Macros
    inside of quoted values are not expanded", e.g. "audit`users`local"."""
    macros = macros_from_conf({"users": {"definition": "user=*"}})
    assert expand_macros('sourcetype=access_* "audit`users`local" | `users`', macros) == (
        'sourcetype=access_* "audit`users`local" | user=*')


# --- Search Reference: "format" -----------------------------------------------------------------


def test_format_examples_fields_in_name_order_mvsep_and_empty(run):
    """help.splunk.com Search Reference 9.4, format. Example 1: `... | head 2 | fields source,
    sourcetype, host | format` gives `( ( host="mylaptop" AND source="syslog.log" AND
    sourcetype="syslog" ) OR ( host="bobslaptop" ... ) )`: the fields in name order, not in the
    order `fields` gave them. Example 2 with `"[" "[" "&&" "]" "||" "]"`; example 3: `format
    mvsep="mvseparator" "{" "[" "AND" "]" "AND" "}"` over a two-value foo gives `{ [ (
    foo="eventtype" mvseparator foo="log_level" ) ] }`; example 4: empty results give `NOT ( )`,
    or emptystr."""
    events = [{"source": "syslog.log", "sourcetype": "syslog", "host": "mylaptop"},
              {"source": "bob-syslog.log", "sourcetype": "syslog", "host": "bobslaptop"},
              {"source": "laura-syslog.log", "sourcetype": "syslog", "host": "lauras_laptop"}]
    head = "* | head 2 | fields source, sourcetype, host | format"
    assert run(head, events).rows == [{"search": (
        '( ( host="mylaptop" AND source="syslog.log" AND sourcetype="syslog" ) OR '
        '( host="bobslaptop" AND source="bob-syslog.log" AND sourcetype="syslog" ) )')}]
    assert run(head + ' "[" "[" "&&" "]" "||" "]"', events).rows == [{"search": (
        '[ [ host="mylaptop" && source="syslog.log" && sourcetype="syslog" ] || '
        '[ host="bobslaptop" && source="bob-syslog.log" && sourcetype="syslog" ] ]')}]
    mv = '* | head 1 | eval foo=split("eventtype,log_level", ",") | fields foo | format mvsep="mvseparator" '
    assert run(mv + '"{" "[" "AND" "]" "AND" "}"', events).rows == [
        {"search": '{ [ ( foo="eventtype" mvseparator foo="log_level" ) ] }'}]
    only_time = [{"_time": 5.0}]
    assert run("* | format", only_time).rows == [{"search": "NOT ( )"}]
    assert run('* | format emptystr="Error Found"', only_time).rows == [{"search": "Error Found"}]
