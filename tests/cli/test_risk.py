"""`linux-auditd-at risk` on the bundled real dataset: one risk event per row, the seed's message."""

from __future__ import annotations

import io
import json
import sys

from linux_auditd_at.cli import main
from paths import DATASET, REPO
from scratch_app import copy_app

SEARCH = "Linux Auditd At Application Execution - Rule"


def seed_message(comm: str, dest: str) -> str:
    """The seed's template `A SYSCALL - [$comm$] event was executed on host - [$dest$] to execute
    the "at" application.`, filled by hand."""
    return f'A SYSCALL - [{comm}] event was executed on host - [{dest}] to execute the "at" application.'


def test_risk_events_on_the_bundled_sample(capsys):
    expected = json.loads((DATASET / "auditd_at_execution.expected.json").read_text())["rows"]
    assert expected, "the dataset's ground truth lists detected rows"
    code = main(["--app-dir", str(REPO), "risk", str(DATASET / "auditd_at_execution.log"), "--tz", "UTC",
                 "--now", "2026-11-29T03:00:00", "--format", "json"])
    assert code == 0
    events = json.loads(capsys.readouterr().out)
    by_hand = sorted(seed_message(row["comm"], row["dest"]) for row in expected)
    assert sorted(e["risk_message"] for e in events) == by_hand
    for event in events:
        assert (event["risk_object"], event["risk_object_type"], event["risk_score"]) == (
            event["result"]["dest"], "system", "9")  # strings, as in Splunk's JSON and `run`'s
        assert event["source"] == event["search_name"] == SEARCH
        assert event["annotations.mitre_attack"] == ["T1053.002", "T1053"]
        assert event["annotations.analytic_story"][0] == "Scheduled Tasks"
        # a stats row has no _time: the risk event is stamped with the time the search ran (--now)
        assert event["_time"] == "2026-11-29T03:00:00.000+00:00"
        assert event["annotations.confidence"] == "30" and event["annotations.impact"] == "30"
    assert sorted((e["result"]["pid"], e["result"]["comm"]) for e in events) == sorted(
        (r["pid"], r["comm"]) for r in expected)


def test_risk_table_shows_message_and_mitre(capsys):
    code = main(["--app-dir", str(REPO), "risk", str(DATASET / "auditd_at_execution.log"), "--tz", "UTC",
                 "--now", "2026-11-29T03:00:00"])
    assert code == 0
    out = capsys.readouterr().out
    assert seed_message("atq", "vm") in out
    assert "T1053.002 T1053" in out
    assert out.splitlines()[0].split() == ["_time", "risk_object", "risk_object_type", "risk_score",
                                           "risk_message", "source", "annotations.mitre_attack"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_risk_table_on_a_terminal_keeps_the_brackets_of_the_message(capsys, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("COLUMNS", "400")
    code = main(["--app-dir", str(REPO), "risk", str(DATASET / "auditd_at_execution.log"), "--tz", "UTC",
                 "--now", "2026-11-29T03:00:00"])
    assert code == 0
    # rich draws the table; `[atq]` and `[vm]` are text, not markup tags that vanish
    assert seed_message("atq", "vm") in terminal.getvalue()
    assert "┃" in terminal.getvalue()


def test_no_risk_action_is_a_clear_error(tmp_path, capsys):
    app = copy_app(tmp_path / "app")
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(f"[{SEARCH}]\naction.risk = 0\n")
    code = main(["--app-dir", str(app), "risk", str(DATASET / "auditd_at_execution.log")])
    assert code == 2
    # the error names the file that switched the risk action off, its stanza and key
    assert f"local/savedsearches.conf, [{SEARCH}], action.risk: " in capsys.readouterr().err


def test_rows_without_risk_object_are_counted_not_dropped_silently(tmp_path, capsys):
    app = copy_app(tmp_path / "app")
    (app / "local").mkdir()
    # a filter that blanks dest on every row: ES would write no risk event for any of them
    (app / "local" / "macros.conf").write_text(
        "[linux_auditd_at_application_execution_filter]\ndefinition = eval dest=null()\n")
    code = main(["--app-dir", str(app), "risk", str(DATASET / "auditd_at_execution.log"), "--format", "json"])
    assert code == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    rows = len(json.loads((DATASET / "auditd_at_execution.expected.json").read_text())["rows"])
    assert f"warning: {rows} result row(s) have no dest value" in captured.err
    # the table says so too, not "No results found." (there were results)
    code = main(["--app-dir", str(app), "risk", str(DATASET / "auditd_at_execution.log")])
    assert code == 0
    assert capsys.readouterr().out == f"No risk events: {rows} result row(s) have no dest value.\n"
