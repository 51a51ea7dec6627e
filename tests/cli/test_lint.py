"""`linux-auditd-at lint`: exit 0 on the shipped app; on a broken copy, exit 1 and one line per
problem naming file, stanza and key."""

from __future__ import annotations

from pathlib import Path

from linux_auditd_at.cli import main
from paths import REPO
from scratch_app import copy_app


def broken_copy(tmp_path: Path) -> Path:
    app = copy_app(tmp_path / "app")
    conf = app / "default" / "savedsearches.conf"
    conf.write_text(conf.read_text().replace("cron_schedule = 0 * * * *", "cron_schedule = 0 * * *"))
    return app


def test_lint_passes_on_the_shipped_app(capsys):
    assert main(["--app-dir", str(REPO), "lint"]) == 0
    assert "no problems" in capsys.readouterr().out


def test_lint_fails_and_names_file_stanza_and_key(tmp_path, capsys):
    app = broken_copy(tmp_path)
    assert main(["--app-dir", str(app), "lint"]) == 1
    err = capsys.readouterr().err
    assert (f"{app}/default/savedsearches.conf, [Linux Auditd At Application Execution - Rule], "
            "cron_schedule: not a valid cron expression: '0 * * *' [cron]") in err
    assert "1 problem(s)" in err


def test_lint_finds_the_app_from_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LINUX_AUDITD_AT_APP_DIR", str(broken_copy(tmp_path)))
    assert main(["lint"]) == 1
    assert "[cron]" in capsys.readouterr().err


def test_lint_of_a_folder_that_is_not_the_app_says_so(tmp_path, capsys):
    assert main(["--app-dir", str(tmp_path / "nonexistent"), "lint"]) == 2
    assert f"{tmp_path / 'nonexistent'}: not an app folder" in capsys.readouterr().err


def test_lint_reports_a_filter_nested_too_deep_instead_of_a_traceback(tmp_path, capsys):
    app = copy_app(tmp_path / "app")
    (app / "local").mkdir()
    deep = "(" * 1001 + "pid>0" + ")" * 1001
    (app / "local" / "macros.conf").write_text(
        f"[linux_auditd_at_application_execution_filter]\ndefinition = where {deep}\n")
    assert main(["--app-dir", str(app), "lint"]) == 1
    err = capsys.readouterr().err
    assert (f"{app}/local/macros.conf, [linux_auditd_at_application_execution_filter], definition: not valid "
            "SPL after a '|': nested more than 1000 levels deep (parentheses, NOT, unary minus, operators "
            "such as + in a row) at") in err
    assert "Traceback" not in err
