"""Check the app for what AppInspect misses: conf syntax, risk JSON and fields, macros, schedule.

Rules: conf-syntax, manifest, macros (defined, right argument count), filter-spl (the filter
macro's definition is valid SPL), filter-lookup (every lookup it names is found: transforms.conf,
lookups/, --lookups), filter-offline (a warning, exit 0: valid SPL that the offline engine cannot
run, so run/tune/backtest cannot try it), filter-last (the filter macro ends a correlation
search), risk-json, risk-message, risk-fields (the risk object and every $token$ of the risk
message are fields the search outputs), cron, time-window (earliest before latest), label (equals
the stanza name), annotations (valid JSON: stories, MITRE ids, confidence, impact, type). Each
problem names file, stanza and key; any problem but a warning exits 1.
"""

from __future__ import annotations

import sys

from linux_auditd_at.app.lint import lint_app
from linux_auditd_at.cli.common import add_lookups_argument
from linux_auditd_at.detection import app_dir_or_found
from linux_auditd_at.errors import ExitCode


def add_arguments(parser):
    add_lookups_argument(parser)


def run(args) -> int:
    app_dir = app_dir_or_found(args.app_dir)
    findings = lint_app(app_dir, lookup_dirs=tuple(args.lookups))
    for finding in findings:
        print(finding, file=sys.stderr)
    problems = [finding for finding in findings if not finding.warning]
    if problems:
        print(f"{len(problems)} problem(s) in {app_dir}", file=sys.stderr)
        return ExitCode.FAILED
    warned = f" ({len(findings)} warning(s))" if findings else ""
    print(f"{app_dir}: no problems{warned}")
    return ExitCode.OK
