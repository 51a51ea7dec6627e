"""`linux-auditd-at tune`: the tuning loop end to end — backtest, try a filter, write it, backtest."""

from __future__ import annotations

import json

import pytest

from linux_auditd_at.cli import main
from logbuilder import utc, write_log

NEW = 'search NOT dest IN ("build-01")'
# build-01 runs `at` in the 10:00 and 11:00 runs' windows, web-01 only in the 10:00 run's
ENTRIES = [
    (utc("2026-11-29T09:05:00"), 7001, "web-01"),
    (utc("2026-11-29T09:10:00"), 7101, "build-01"),
    (utc("2026-11-29T10:05:00"), 7102, "build-01"),
    (utc("2026-11-29T10:30:00"), 7103, "build-01"),
]


@pytest.fixture
def log(tmp_path):
    return write_log(tmp_path / "audit.log", ENTRIES)


def cli(app, verb, *args):
    # hosts come from node= (write_log): kept apart as a site's index-time host override keeps them
    return main(["--app-dir", str(app), verb, *map(str, args), "--tz", "UTC", "--host-from-node"])


def test_tuning_loop(app, log, capsys):
    default_macros = (app / "default" / "macros.conf").read_bytes()
    assert cli(app, "backtest", log, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["summary"]["runs_with_alerts"] == 2

    assert cli(app, "tune", log, "--filter", NEW) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    marked = sorted((c[0], c[6], c[7]) for c in lines if c and c[0] in ("kept", "removed", "added"))
    assert marked == [("kept", "7001", "web-01"), ("removed", "7101", "build-01"),
                      ("removed", "7102", "build-01"), ("removed", "7103", "build-01")]
    assert "rows: 4 with the current filter, 3 removed and 0 added by the new filter" in out
    assert "alerts per day: 24.00 -> 12.00 (-12.00); runs with alerts 2 -> 1 of 2" in out
    assert not (app / "local").exists()  # trying a filter writes nothing

    assert cli(app, "tune", log, "--filter", NEW, "--write") == 0
    assert f"wrote {app / 'local' / 'macros.conf'}" in capsys.readouterr().out
    written = (app / "local" / "macros.conf").read_text()
    assert f"definition = {NEW}\n" in written
    assert cli(app, "tune", log, "--filter", NEW, "--write") == 0
    assert f"unchanged: {app / 'local' / 'macros.conf'}" in capsys.readouterr().out
    assert (app / "local" / "macros.conf").read_text() == written
    assert (app / "default" / "macros.conf").read_bytes() == default_macros

    # the engine now reads the filter from local/: the same backtest alerts once
    assert cli(app, "backtest", log, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["runs_with_alerts"] == 1
    assert report["summary"]["noisiest"]["dest"] == [["web-01", 1]]


def test_tune_json_and_missing_filter(app, log, capsys):
    assert cli(app, "tune", log, "--filter", NEW, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["new filter"], r["dest"]) for r in report["rows"]] == [
        ("kept", "web-01"), ("removed", "build-01"), ("removed", "build-01"), ("removed", "build-01")]
    assert report["summary"]["alerts_per_day_after"] == 12.0
    assert report["summary"]["alerts_per_day_change"] == -12.0
    assert cli(app, "tune", log, "--filter", NEW, "--format", "json", "--write") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["summary"]["removed"] == 3  # stdout is still JSON
    assert f"wrote {app / 'local' / 'macros.conf'}" in captured.err
    assert cli(app, "tune", log) == 2
    assert "--filter" in capsys.readouterr().err


def test_bad_filter_spl_is_reported_and_nothing_written(app, log, capsys):
    assert cli(app, "tune", log, "--filter", 'search dest="unterminated', "--write") == 2
    assert "unterminated" in capsys.readouterr().err
    assert not (app / "local").exists()


@pytest.mark.parametrize(("definition", "why"), [
    pytest.param('search NOT dest="web-01" \\', "ends with a backslash", id="trailing backslash"),
    pytest.param('search NOT dest="web-01" \\  ', "ends with a backslash", id="backslash then spaces"),
    pytest.param('search NOT dest="web-01"\ndescription = x', "holds a line break", id="newline"),
    pytest.param('search NOT dest="web-01"\r', "holds a line break", id="carriage return"),
])
def test_filter_a_conf_value_cannot_hold_is_refused_before_anything_is_written(app, log, capsys, definition,
                                                                                why):
    (app / "local").mkdir()
    conf = app / "local" / "macros.conf"
    conf.write_text("[linux_auditd_at_application_execution_filter]\ndefinition = search *\n"
                    "description = kept\n")
    before = conf.read_bytes()
    assert cli(app, "tune", log, "--filter", definition, "--write") == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"linux-auditd-at tune: error: the filter {why}")
    assert captured.err.count("\n") == 1
    assert conf.read_bytes() == before
    assert sorted(p.name for p in (app / "local").iterdir()) == ["macros.conf"]


@pytest.mark.parametrize("verb", ["backtest", "tune"])
def test_times_centuries_apart_finish_and_past_the_year_9999_are_one_error(app, tmp_path, capsys, verb):
    extra = ["--filter", NEW] if verb == "tune" else []
    far = write_log(tmp_path / "y3000.log", [(utc("2026-11-29T09:05:00"), 7001, "web-01"),
                                             (utc("3000-01-01T09:05:00"), 7002, "web-02")])
    assert cli(app, verb, far, *extra, "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["summary"]["runs_with_alerts" if verb == "backtest"
                                                         else "runs_with_alerts_before"] == 2
    beyond = write_log(tmp_path / "y10000.log", [(utc("2026-11-29T09:05:00"), 7001, "web-01"),
                                                 (253402300805.0, 7002, "web-02")])
    assert cli(app, verb, beyond, *extra) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"linux-auditd-at {verb}: error: an event or run time at epoch 253402300805 is "
                            "past the year 9999, beyond which the schedule cannot be walked; leave it out "
                            "with --latest\n")
    assert cli(app, verb, beyond, *extra, "--latest", "2030-01-01", "--format", "json") == 0


@pytest.mark.parametrize("verb", ["tune", "run", "backtest"])
def test_a_filter_error_points_into_the_filter_as_typed(app, log, capsys, verb):
    """The position is in the --filter text (20 = its end), not in the expanded search."""
    typed = "search NOT dest IN ("
    assert cli(app, verb, log, "--filter", typed) == 2
    err = capsys.readouterr().err
    assert err == (f"linux-auditd-at {verb}: error: --filter: expected a value in the IN list of 'dest', "
                   f"found end of command at position 20: ...'{typed}'\n")
