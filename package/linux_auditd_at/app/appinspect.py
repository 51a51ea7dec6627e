"""Run Splunk AppInspect on the package, offline, and judge its JSON report: clean means no
failure, error, warning or future failure.

splunk-appinspect pins dependencies older than the toolkit's, so it lives in its own venv
(`make inspect` creates `.venv-appinspect`) and is called as a program. `--ci` makes it exit
non-zero on findings (101 failures, 103 warnings, 104 future failures, 3 invalid package); the
report is read as well, so a verdict never rests on an exit code alone.

    python -m linux_auditd_at.app.appinspect --appinspect .venv-appinspect/bin/splunk-appinspect
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from linux_auditd_at.app.identity import read_identity
from linux_auditd_at.detection import app_dir_or_found
from linux_auditd_at.errors import ExitCode, ToolkitError

# Splunk Cloud (Victoria and Classic) vetting, which is what ES customers on Cloud need.
TAGS = ("cloud", "private_victoria", "private_classic")
BLOCKING = ("failure", "error", "warning", "future_failure")


def inspect_command(appinspect: Path, package: Path, report: Path) -> list[str]:
    tags = [arg for tag in TAGS for arg in ("--included-tags", tag)]
    return [str(appinspect), "inspect", str(package), "--mode", "precert", *tags, "--ci",
            "--skip-trusted-libraries-update", "--data-format", "json", "--output-file", str(report)]


def read_summary(report: Path) -> dict[str, int]:
    """The report's overall counts by result (success, failure, warning, not_applicable, ...)."""
    try:
        summary = json.loads(report.read_text())["summary"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ToolkitError(f"{report}: not an AppInspect JSON report ({exc})") from exc
    return {result: int(count) for result, count in summary.items()}


def findings(report: Path) -> list[str]:
    """One line per blocking check result: `result check_name: first message`."""
    lines = []
    for app in json.loads(report.read_text())["reports"]:
        for group in app["groups"]:
            for check in group["checks"]:
                if check["result"] in BLOCKING:
                    message = next((m["message"] for m in check.get("messages", [])), "")
                    lines.append(f"{check['result']} {check['name']}: {message}".strip())
    return lines


def run_appinspect(appinspect: Path, package: Path, report: Path) -> dict[str, int]:
    """Inspect `package`, write the JSON `report`, return its summary (raises if AppInspect broke)."""
    report.unlink(missing_ok=True)
    command = inspect_command(appinspect, package, report)
    try:
        completed = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        raise ToolkitError(f"cannot run {appinspect} ({exc.strerror}); `make inspect` installs it") from exc
    if not report.is_file():
        raise ToolkitError(f"splunk-appinspect exited {completed.returncode} without a report: "
                           f"{(completed.stderr or completed.stdout).strip()[-2000:]}")
    summary = read_summary(report)
    if completed.returncode != 0 and not any(summary.get(result) for result in BLOCKING):
        raise ToolkitError(f"splunk-appinspect exited {completed.returncode} on a clean report: "
                           f"{completed.stderr.strip()[-2000:]}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m linux_auditd_at.app.appinspect",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--appinspect", type=Path, required=True, help="the splunk-appinspect program")
    parser.add_argument("--app-dir", type=Path, default=None, help="the app folder (names the package)")
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="the package folder (default: dist)")
    args = parser.parse_args(argv)
    try:
        package = args.dist / read_identity(app_dir_or_found(args.app_dir)).package_name
        report = args.dist / "appinspect.json"
        summary = run_appinspect(args.appinspect, package, report)
    except ToolkitError as exc:
        print(f"appinspect: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"{package}: " + ", ".join(f"{result} {count}" for result, count in sorted(summary.items()))
          + f" (report: {report})")
    blocking = findings(report)
    for line in blocking:
        print(line, file=sys.stderr)
    return ExitCode.FAILED if blocking or any(summary.get(result) for result in BLOCKING) else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
