"""Real Splunk AppInspect on a freshly built package: clean, and the gate catches a bad package."""

from __future__ import annotations

import tarfile

import pytest

from linux_auditd_at.app.appinspect import BLOCKING, findings, main, read_summary, run_appinspect
from linux_auditd_at.app.package import build_package
from linux_auditd_at.errors import ToolkitError
from paths import REPO
from scratch_app import SHIPPED

APPINSPECT = REPO / ".venv-appinspect" / "bin" / "splunk-appinspect"
needs_appinspect = pytest.mark.skipif(
    not APPINSPECT.is_file(),
    reason="splunk-appinspect is not installed: `make inspect` installs it in .venv-appinspect")


@needs_appinspect
def test_fresh_package_has_no_failure_error_or_warning(tmp_path):
    package = build_package(REPO, tmp_path)
    summary = run_appinspect(APPINSPECT, package, tmp_path / "report.json")
    assert {result: summary[result] for result in BLOCKING} == dict.fromkeys(BLOCKING, 0)
    assert summary["success"] > 50  # the cloud tags ran, not the 12 checks an unknown tag runs
    assert findings(tmp_path / "report.json") == []


@needs_appinspect
def test_a_package_with_local_config_fails_the_gate(app, tmp_path):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text("[linux_auditd]\ndefinition = index=main\n")
    package = tmp_path / "bad.tar.gz"
    with tarfile.open(package, "w:gz") as tar:
        tar.add(app, arcname=SHIPPED.app_id)
    summary = run_appinspect(APPINSPECT, package, tmp_path / "report.json")
    assert summary["failure"] >= 1
    assert any("check_that_local_does_not_exist" in line for line in findings(tmp_path / "report.json"))


@needs_appinspect
def test_main_exits_1_and_names_the_failed_check(app, tmp_path, capsys):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text("[linux_auditd]\ndefinition = index=main\n")
    package = tmp_path / SHIPPED.package_name
    with tarfile.open(package, "w:gz") as tar:
        tar.add(app, arcname=SHIPPED.app_id)
    assert main(["--appinspect", str(APPINSPECT), "--app-dir", str(app), "--dist", str(tmp_path)]) == 1
    assert "failure check_that_local_does_not_exist" in capsys.readouterr().err


def test_a_file_that_is_not_a_report_is_an_error(tmp_path):
    (tmp_path / "report.json").write_text("<html>")
    with pytest.raises(ToolkitError, match="not an AppInspect JSON report"):
        read_summary(tmp_path / "report.json")


def test_a_missing_program_is_reported(tmp_path):
    with pytest.raises(ToolkitError, match="cannot run .*no-such-appinspect.*make inspect"):
        run_appinspect(tmp_path / "no-such-appinspect", tmp_path / "x.tar.gz", tmp_path / "report.json")
