"""The commands detection engineers write in filters and ESCU searches: regex, rex, bin/bucket,
eventstats, mvexpand. Each test cites its Search Reference page (9.x/10.x):
https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/<name>
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from linux_auditd_at.errors import SPLError, UnsupportedSPLError

# --- regex (search-commands/regex) -----------------------------------------------------------------

EVENTS = [{"_raw": "type=SYSCALL comm=at exe=/usr/bin/at", "comm": "at", "exe": "/usr/bin/at"},
          {"_raw": "type=SYSCALL comm=atq exe=/usr/bin/atq", "comm": "atq"},
          {"_raw": "type=PATH name=/tmp/x"}]


def test_regex_keeps_matches_on_raw_by_default(matching):
    assert matching('* | regex "comm=at\\b"', EVENTS) == [0]
    assert matching('* | regex _raw="^type=SYSCALL"', EVENTS) == [0, 1]


def test_regex_field_not_equal_keeps_what_does_not_match(matching):
    # docs: `regex _raw!="^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"` removes the matching events
    assert matching('* | regex comm!="^atq?$"', EVENTS) == [2]    # UNVERIFIED: no field -> kept
    assert matching('* | regex comm="^atq?$"', EVENTS) == [0, 1]


def test_regex_errors_point_at_the_regex(run):
    with pytest.raises(SPLError, match="bad regular expression") as err:
        run('* | regex comm="(unclosed"', EVENTS)
    assert err.value.position == 15


# --- rex (search-commands/rex) -------------------------------------------------------------------------

def test_rex_named_groups_become_fields_docs_example(run):
    # docs: ... | rex "From: (?<from>.*) To: (?<to>.*)" on "From: Susan To: Bob"
    rows = run('* | rex "From: (?<from>.*) To: (?<to>.*)" | table from to',
               [{"_raw": "From: Susan To: Bob"}, {"_raw": "other"}]).rows
    assert rows == [{"from": "Susan", "to": "Bob"}, {"from": None, "to": None}]


def test_rex_field_and_max_match(run):
    event = {"_raw": "x", "ips": "10.0.0.1 and 10.0.0.2 and 10.0.0.3"}
    one = run('* | rex field=ips "(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)"', [event]).rows[0]
    assert one["ip"] == "10.0.0.1"                                      # max_match defaults to 1
    two = run('* | rex field=ips max_match=2 "(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)"', [event]).rows[0]
    assert two["ip"] == ["10.0.0.1", "10.0.0.2"]
    every = run('* | rex field=ips max_match=0 "(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)"', [event]).rows[0]
    assert every["ip"] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]          # 0: no limit


def test_rex_without_a_match_leaves_the_row_as_it_was(run):
    rows = run('* | rex field=exe "/(?<dir>sbin)/"', [{"exe": "/usr/bin/at", "dir": "kept"}]).rows
    assert rows[0]["dir"] == "kept"
    # UNVERIFIED: a multivalue input is matched value by value, in order
    rows = run('* | rex field=exe max_match=0 "/(?<dir>s?bin)/"', [{"exe": ["/sbin/x", "/bin/y"]}]).rows
    assert rows[0]["dir"] == ["sbin", "bin"]


def test_rex_mode_sed_replaces_and_transliterates(run):
    # docs: rex field=ccnumber mode=sed "s/(\d{4}-){3}/XXXX-XXXX-XXXX-/g"
    rows = run('* | rex field=ccnumber mode=sed "s/(\\d{4}-){3}/XXXX-XXXX-XXXX-/g"',
               [{"ccnumber": "1234-5678-9012-3456"}]).rows
    assert rows[0]["ccnumber"] == "XXXX-XXXX-XXXX-3456"
    events = [{"_raw": "a-b-c"}]
    assert run('* | rex mode=sed "s/-/+/"', events).rows[0]["_raw"] == "a+b-c"      # first only
    assert run('* | rex mode=sed "s/-/+/2"', events).rows[0]["_raw"] == "a-b+c"     # the N-th
    assert run('* | rex mode=sed "s/(a)-(b)/\\2-\\1/"', events).rows[0]["_raw"] == "b-a-c"
    assert run('* | rex mode=sed "y/abc/xyz/"', events).rows[0]["_raw"] == "x-y-z"


@pytest.mark.parametrize(("spl", "message", "position"), [
    ('* | rex "(\\d+)"', "extracts nothing: it needs a named group", 8),
    ('* | rex mode=sed "q/a/b/"', "mode=sed needs", 17),
    ('* | rex mode=sed "s/a/b/x"', "unsupported sed flags 'x'", 17),
    ('* | rex max_match=two "(?<a>.)"', "max_match must be a non-negative integer", 18),
    ('* | rex offset_field=o "(?<a>.)"', "offset_field= is valid SPL but not supported by the offline", 21),
])
def test_rex_errors_name_the_problem_and_position(run, spl, message, position):
    with pytest.raises(SPLError, match=message) as err:
        run(spl, [{}])
    assert err.value.position == position


# --- bin / bucket (search-commands/bin) ---------------------------------------------------------------

KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30: local alignment differs from UTC for hours and days
NEW_YORK = ZoneInfo("America/New_York")


def test_bin_span_on_time_docs_example(run):
    # docs: ...| bin span=5m _time | stats avg(thruput) by _time, host
    events = [{"_time": 1795915736.369, "host": "a"}, {"_time": 1795915799.0, "host": "a"},
              {"_time": 1795916100.0, "host": "a"}]
    rows = run("* | bin span=5m _time | stats count by _time host", events).rows
    assert rows == [{"_time": "1795915500", "host": "a", "count": "2"},
                    {"_time": "1795916100", "host": "a", "count": "1"}]


def test_bucket_is_bin_and_days_start_at_local_midnight(run):
    event = {"_time": 1795915736.0}  # 2026-11-29 06:58:56 in Kolkata
    day = run("* | bucket _time span=1d AS day", [event], tz=KOLKATA).rows[0]["day"]
    assert day == "1795890600"       # 2026-11-29 00:00 +05:30 (UNVERIFIED: calendar spans)


def test_bin_hours_align_on_epoch_0_not_the_local_clock(run):
    # docs, aligntime: "Align the bin times to something other than base UTC time (epoch 0) ...
    # Ignored if span is in days, months, or years": without it, s/m/h bins count from epoch 0.
    event = {"_time": 1795915736.0}  # 2026-11-29 01:28:56 UTC, 06:58:56 in Kolkata
    hour = run("* | bin _time span=1h", [event], tz=KOLKATA).rows[0]["_time"]
    assert hour == "1795914000"      # 01:00 UTC = 06:30 local (the local clock would give 06:00)
    half_day = run("* | bin _time span=12h", [event], tz=NEW_YORK).rows[0]["_time"]
    assert half_day == "1795910400"  # 00:00 UTC = 19:00 the day before in New York


def test_bin_numeric_span_gives_ranges(run):
    rows = run("* | bin span=10 size | table size", [{"size": "17"}, {"size": "-3"}, {"size": "n/a"}]).rows
    assert [r["size"] for r in rows] == ["10-20", "-10-0", "n/a"]


def test_bin_needs_a_supported_span(run):
    # the page's options and span forms the engine lacks are valid SPL (lint: filter-offline);
    # a span outside its time scales (sec, min, hr, day, month, subseconds) is an SPL error
    for spl in ("* | bin _time", "* | bin bins=10 size", "* | bin span=2log10 size",
                "* | bin span=100ms _time", "* | bin span=5m aligntime=@d _time"):
        with pytest.raises(UnsupportedSPLError, match="is valid SPL but not supported"):
            run(spl, [{}])
    for spl in ("* | bin span=1w _time", "* | bin span=abc _time", "* | bin foo=1 _time"):
        with pytest.raises(SPLError) as err:
            run(spl, [{}])
        assert not isinstance(err.value, UnsupportedSPLError), spl


# --- eventstats (search-commands/eventstats) ---------------------------------------------------------

def test_eventstats_adds_group_aggregates_to_every_event(run):
    events = [{"dest": "a", "pid": "1"}, {"dest": "b", "pid": "2"}, {"dest": "a", "pid": "3"}, {"pid": "4"}]
    rows = run("* | eventstats count AS n dc(pid) AS pids by dest | table pid dest n pids", events).rows
    assert rows == [{"pid": "1", "dest": "a", "n": "2", "pids": "2"},
                    {"pid": "2", "dest": "b", "n": "1", "pids": "1"},
                    {"pid": "3", "dest": "a", "n": "2", "pids": "2"},
                    {"pid": "4", "dest": None, "n": None, "pids": None}]   # null by-field: nothing added
    total = run("* | eventstats count | where count > 3", events).rows
    assert len(total) == 4
    # UNVERIFIED: a multivalue by-field takes the aggregates of its first group
    rows = run("* | eventstats count by dest | table count", [{"dest": ["a", "b"]}, {"dest": "b"}]).rows
    assert rows == [{"count": "1"}, {"count": "2"}]


# --- mvexpand (search-commands/mvexpand) ---------------------------------------------------------------

def test_mvexpand_one_row_per_value(run):
    rows = run("* | mvexpand ip | table id ip", [{"id": "1", "ip": ["a", "b", "c"]}, {"id": "2", "ip": "d"},
                                                  {"id": "3"}]).rows
    assert rows == [{"id": "1", "ip": "a"}, {"id": "1", "ip": "b"}, {"id": "1", "ip": "c"},
                    {"id": "2", "ip": "d"}, {"id": "3", "ip": None}]
    limited = run("* | mvexpand ip limit=2 | table ip", [{"ip": ["a", "b", "c"]}]).rows
    assert [r["ip"] for r in limited] == ["a", "b"]
