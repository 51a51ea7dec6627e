"""`linux-auditd-at backtest`: per-run counts, time zones, the HTML chart, --from/--to."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from linux_auditd_at.cli import main
from logbuilder import utc, write_log
from paths import DATASET

# times straddling the hourly windows' edges (see tests/tuning/test_schedule_backtest.py)
TIMES = ["08:49:59", "09:49:59.999", "09:50:00", "09:50:59", "10:49:59.999", "10:50:00"]


@pytest.fixture
def log(tmp_path):
    entries = [(utc(f"2026-11-29T{t}"), 7001 + n, "web-01") for n, t in enumerate(TIMES)]
    return write_log(tmp_path / "audit.log", entries)


def backtest(app, *args):
    # the logs name their hosts with node=, as a central collector does; Splunk keeps them apart
    # only with a site's index-time host override, which --host-from-node emulates
    return main(["--app-dir", str(app), "backtest", "--host-from-node", *map(str, args)])


def test_json_per_run_counts_and_summary(app, log, capsys):
    assert backtest(app, log, "--tz", "UTC", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["run"], r["rows"], r["risk_score"]) for r in report["runs"]] == [
        ("2026-11-29T09:00:00+00:00", 1, 9.0), ("2026-11-29T10:00:00+00:00", 1, 9.0),
        ("2026-11-29T11:00:00+00:00", 3, 27.0), ("2026-11-29T12:00:00+00:00", 1, 9.0)]
    assert report["runs"][0]["earliest"] == utc("2026-11-29T07:50:00")
    assert report["summary"]["runs_with_alerts"] == 4
    assert report["summary"]["alerts_per_day"] == pytest.approx(24.0)
    assert report["summary"]["noisiest"]["dest"] == [["web-01", 6]]
    assert report["coverage"] == {"matched": 6, "in_no_window": [], "in_several_windows": []}


def test_cron_is_walked_in_the_users_zone(app, log, capsys):
    # Asia/Kolkata is UTC+05:30: runs on the local hour are at :30 UTC, windows [xx:20, xx+1:20) UTC
    assert backtest(app, log, "--tz", "Asia/Kolkata", "--format", "json") == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [(r["run"], r["rows"]) for r in runs] == [
        ("2026-11-29T15:00:00+05:30", 1), ("2026-11-29T16:00:00+05:30", 3), ("2026-11-29T17:00:00+05:30", 2)]


def test_text_summary_and_self_contained_html(app, log, tmp_path, capsys):
    chart = tmp_path / "chart.html"
    assert backtest(app, log, "--tz", "UTC", "--html", chart) == 0
    out = capsys.readouterr().out
    assert "runs with alerts: 4 (24.00 per day)" in out
    assert "noisiest dest: web-01 (6 rows)" in out
    assert "  2026-11-29 11:00 UTC  window 09:50 .. 10:50  rows 3  risk 27\n" in out
    # the runs first, the summary last: a long list does not scroll the summary off a terminal
    assert out.index("runs that alert:") < out.index("runs: 4, ")
    assert out.rstrip().endswith("0 fall in no window, 0 in two or more")
    assert "per day of the run time" not in out  # all runs on one day
    page = chart.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert page.count("<rect") == 4  # one bar per run that alerts
    # the 11:00 run's bar, with its details on hover
    assert ("<title>run 2026-11-29 11:00 UTC, window 09:50 .. 10:50: 3 rows, 3 risk events, "
            "risk score 27</title>") in page
    assert ">09:00</text>" in page and ">12:00</text>" in page  # few runs: each slot has its time
    for external in ("<script", "<link", "src=", "href=", "@import", "url("):
        assert external not in page


def test_runs_over_days_get_a_per_day_table(app, tmp_path, capsys):
    log = write_log(tmp_path / "days.log", [(utc("2026-11-28T22:30:00"), 7001, "web-01"),
                                            (utc("2026-11-28T23:20:00"), 7002, "web-01"),
                                            (utc("2026-11-29T00:30:00"), 7003, "db-01")])
    chart = tmp_path / "days.html"
    assert backtest(app, log, "--tz", "UTC", "--html", chart) == 0
    out = capsys.readouterr().out
    # 23:20 is searched by the 00:00 run, [22:50, 23:50) of the day before: its window shows that date
    assert "  2026-11-29 00:00 UTC  window 2026-11-28 22:50 .. 2026-11-28 23:50  rows 1  risk 9\n" in out
    assert "  2026-11-29 01:00 UTC  window 2026-11-28 23:50 .. 00:50  rows 1  risk 9\n" in out
    assert ("per day of the run time:\n"
            "  day         runs  alerting  risk events  risk score\n"
            "  2026-11-28     1         1            1           9\n"
            "  2026-11-29     2         2            2          18\n") in out
    page = chart.read_text()
    cells = "".join(f"<td class=n>{n}</td>" for n in (2, 2, 2, 18))
    assert f"<td>2026-11-29</td>{cells}" in page


def test_no_alert_is_said_on_the_chart(app, tmp_path, capsys):
    log = write_log(tmp_path / "atd.log", [(utc("2026-11-29T09:30:00"), 7100, "web-01")], serial="9")
    chart = tmp_path / "none.html"
    assert backtest(app, log, "--tz", "UTC", "--html", chart) == 0
    assert "runs with alerts: 0 (0.00 per day)" in capsys.readouterr().out
    page = chart.read_text()
    assert "<rect" not in page and "no run returned a result" in page


def test_from_to_and_their_errors(app, log, capsys):
    assert backtest(app, log, "--tz", "UTC", "--format", "json",
                    "--from", "2026-11-29T10:00:00", "--to", "2026-11-29T11:00:00") == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["rows"] for r in report["runs"]] == [1, 3]
    assert report["coverage"]["in_no_window"] == [utc("2026-11-29T10:50:00")]
    assert backtest(app, log, "--tz", "UTC", "--from", "2026-11-29T11:00", "--to", "2026-11-29T10:00") == 2
    assert "--from" in capsys.readouterr().err
    assert backtest(app, log, "--tz", "UTC", "--from=-70x") == 2
    assert "time modifier" in capsys.readouterr().err


def test_bundled_capture_runs_hold_every_ground_truth_row(capsys):
    dataset = DATASET
    truth = json.loads((dataset / "auditd_at_execution.expected.json").read_text())["rows"]
    assert truth
    # by hand from the window [H-70m, H-10m): an event at t belongs to the run at the hour after
    # t + 10 minutes, floored to the hour
    expected: dict[str, int] = {}
    for row in truth:
        t = datetime.fromisoformat(row["firstTime"]).replace(tzinfo=UTC) + timedelta(minutes=10)
        run = (t.replace(minute=0, second=0) + timedelta(hours=1)).isoformat()
        expected[run] = expected.get(run, 0) + 1
    repo = dataset.parents[2]
    assert main(["--app-dir", str(repo), "backtest", str(dataset / "auditd_at_execution.log"), "--tz", "UTC",
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {r["run"]: r["rows"] for r in report["runs"] if r["rows"]} == expected
    assert sum(r["risk_score"] for r in report["runs"]) == 9.0 * len(truth)


def test_earliest_latest_drop_events_before_the_runs(app, log, capsys):
    # [09:50:00, 10:50:00) keeps the three events of the 11:00 window
    assert backtest(app, log, "--tz", "UTC", "--format", "json",
                    "--earliest", "2026-11-29T09:50:00", "--latest", "2026-11-29T10:50:00") == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["run"], r["rows"]) for r in report["runs"] if r["rows"]] == [("2026-11-29T11:00:00+00:00", 3)]
    assert report["coverage"] == {"matched": 3, "in_no_window": [], "in_several_windows": []}
