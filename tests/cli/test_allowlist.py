"""Allow-list tuning end to end: a lookup CSV in the app's lookups/ with a transforms.conf
definition, tried with `tune --filter` in both of the idioms Splunk's own ESCU filters use, saved
with `--write`, and checked by `lint`.

Idioms (Search Reference, lookup and inputlookup; Search Manual, "About subsearches"):
`lookup NAME f ... OUTPUT g | where isnull(g)` and `search NOT [| inputlookup NAME | fields f ...]`.
"""

from __future__ import annotations

import json

import pytest

from linux_auditd_at import lookups
from linux_auditd_at.cli import main
from logbuilder import utc, write_log

ENTRIES = [
    (utc("2026-11-29T09:05:00"), 7001, "web-01"),
    (utc("2026-11-29T09:10:00"), 7101, "build-01"),
    (utc("2026-11-29T10:05:00"), 7102, "build-01"),
    (utc("2026-11-29T10:30:00"), 7103, "web-02"),
    (utc("2026-11-29T10:40:00"), 7104, "db-01"),
]
ALLOWLIST = "dest,UID,reason\nbuild-01,root,CI runner\nweb-02,root,nightly backup\nweb-09,,gone\n"
# hosts come from node= (write_log): kept apart as a site's index-time host override keeps them
NODE_HOSTS = ("--tz", "UTC", "--host-from-node")
LOOKUP_IDIOM = "lookup at_allowlist dest UID OUTPUT reason | where isnull(reason)"
SUBSEARCH_IDIOM = "search NOT [| inputlookup at_allowlist.csv | fields dest UID]"
INLINE = ('search NOT ((dest="build-01" AND UID="root") OR (dest="web-02" AND UID="root") '
          'OR (dest="web-09"))')


@pytest.fixture
def allowlisted(app):
    (app / "lookups").mkdir()
    (app / "lookups" / "at_allowlist.csv").write_text(ALLOWLIST)
    (app / "local").mkdir()
    (app / "local" / "transforms.conf").write_text("[at_allowlist]\nfilename = at_allowlist.csv\n")
    return app


@pytest.fixture
def log(tmp_path):
    return write_log(tmp_path / "audit.log", ENTRIES)


def tune(app, log, definition, capsys, *extra):
    assert main(["--app-dir", str(app), "tune", str(log), "--filter", definition, *NODE_HOSTS,
                 "--format", "json", *extra]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    return sorted((row["new filter"], row["pid"], row["dest"]) for row in rows)


def test_both_allowlist_idioms_give_the_rows_of_the_inline_search(allowlisted, log, capsys):
    inline = tune(allowlisted, log, INLINE, capsys)
    assert inline == [("kept", "7001", "web-01"), ("kept", "7104", "db-01"),
                      ("removed", "7101", "build-01"), ("removed", "7102", "build-01"),
                      ("removed", "7103", "web-02")]
    assert tune(allowlisted, log, LOOKUP_IDIOM, capsys) == inline
    assert tune(allowlisted, log, SUBSEARCH_IDIOM, capsys) == inline


@pytest.mark.parametrize("definition", [LOOKUP_IDIOM, SUBSEARCH_IDIOM])
def test_tune_write_then_lint_pass(allowlisted, log, definition, capsys):
    tune(allowlisted, log, definition, capsys, "--write")
    assert f"definition = {definition}" in (allowlisted / "local" / "macros.conf").read_text()
    assert main(["--app-dir", str(allowlisted), "lint"]) == 0
    assert "no problems" in capsys.readouterr().out
    # every verb now runs the stored allow-list
    assert main(["--app-dir", str(allowlisted), "run", str(log), "--format", "json", *NODE_HOSTS]) == 0
    assert sorted(row["pid"] for row in json.loads(capsys.readouterr().out)) == ["7001", "7104"]


def test_each_lookup_file_is_read_once_per_run(allowlisted, log, capsys, monkeypatch):
    reads = []
    real = lookups.read_csv
    monkeypatch.setattr(lookups, "read_csv", lambda path: reads.append(path.name) or real(path))
    (allowlisted / "local" / "macros.conf").write_text(
        f"[linux_auditd_at_application_execution_filter]\ndefinition = {LOOKUP_IDIOM}\n")
    tune(allowlisted, log, f"{LOOKUP_IDIOM} | {SUBSEARCH_IDIOM}", capsys)
    # the current and the new filter, their backtests and the subsearch share one read
    assert reads == ["at_allowlist.csv"]


def test_lookups_folders_come_before_the_apps_lookups(allowlisted, log, tmp_path, capsys):
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "at_allowlist.csv").write_text("dest,UID,reason\ndb-01,root,exported from the search head\n")
    assert main(["--app-dir", str(allowlisted), "run", str(log), "--filter", LOOKUP_IDIOM, "--lookups",
                 str(exported), "--format", "json", *NODE_HOSTS]) == 0
    pids = sorted(row["pid"] for row in json.loads(capsys.readouterr().out))
    assert pids == ["7001", "7101", "7102", "7103"]


def test_a_missing_lookup_is_one_line_naming_it_and_the_places_searched(app, log, capsys):
    assert main(["--app-dir", str(app), "run", str(log), "--filter", "lookup nosuch dest OUTPUT reason"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("error: lookup 'nosuch' not found: no lookup definition of that name and not a .csv file "
            "name") in err
    assert f"{app / 'default' / 'transforms.conf'} (absent)" in err and str(app / "lookups") in err
    assert main(["--app-dir", str(app), "run", str(log), "--filter", SUBSEARCH_IDIOM]) == 2
    assert "lookup 'at_allowlist.csv' not found: no at_allowlist.csv (searched" in capsys.readouterr().err


def test_a_stored_filter_the_engine_cannot_run_does_not_stop_tune(app, log, capsys):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(
        "[linux_auditd_at_application_execution_filter]\ndefinition = search * | iplocation dest\n")
    assert main(["--app-dir", str(app), "tune", str(log), "--filter", 'search NOT dest="build-01"',
                 *NODE_HOSTS, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "warning: the current filter cannot run offline (command 'iplocation' is valid SPL but not " \
           "supported by the offline engine" in captured.err
    marked = sorted((row["new filter"], row["pid"]) for row in json.loads(captured.out)["rows"])
    assert marked == [("kept", "7001"), ("kept", "7103"), ("kept", "7104"), ("removed", "7101"),
                      ("removed", "7102")]


@pytest.mark.parametrize(("definition", "code", "line"), [
    ("search * | iplocation dest", 0,
     "warning: {conf}, [{macro}], definition: valid SPL, not supported by the offline engine: command "
     "'iplocation' is valid SPL but not supported by the offline engine at position 11: ...'{{spl}}' "
     "[filter-offline]"),
    ("search * | eval h=sha256(dest)", 0,
     "warning: {conf}, [{macro}], definition: valid SPL, not supported by the offline engine: eval "
     "function sha256() is valid SPL but not supported by the offline engine at position 18: "
     "...'search * | eval h=sha256(dest)' [filter-offline]"),
    ("search * | serach dest=x", 1,
     "{conf}, [{macro}], definition: not valid SPL after a '|': unknown search command 'serach' at "
     "position 11: ...'{{spl}}' [filter-spl]"),
    ("search NOT [| inputlookup nosuch.csv]", 1,
     "{conf}, [{macro}], definition: lookup 'nosuch.csv' not found: no nosuch.csv (searched "
     "transforms.conf stanzas in {app}/default/transforms.conf (absent); files in {app}/lookups) "
     "[filter-lookup]"),
])
def test_lint_tells_invalid_spl_from_spl_the_engine_cannot_run(app, definition, code, line, capsys):
    macro = "linux_auditd_at_application_execution_filter"
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(f"[{macro}]\ndefinition = {definition}\n")
    assert main(["--app-dir", str(app), "lint"]) == code
    found = capsys.readouterr().err.splitlines()[0]
    spl = definition[:31]  # positions are in the definition as written; 20 characters either side
    assert found == line.format(conf=app / "local" / "macros.conf", macro=macro, app=app).format(spl=spl)
