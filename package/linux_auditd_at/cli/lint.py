"""Check the app for what AppInspect misses: conf syntax, risk JSON and fields, macros, schedule.

Rules: conf-syntax, manifest, macros (defined, right argument count), filter-spl (the filter
macro's definition parses), filter-last (the filter macro ends a correlation search), risk-json,
risk-message, risk-fields (the risk object and every $token$ of the risk message are fields the
search outputs), cron, time-window (earliest before latest), label (equals the stanza name),
annotations (valid JSON: stories, MITRE ids, confidence, impact, type). Each problem names file,
stanza and key; any problem exits 1.
"""

from __future__ import annotations

import sys

from linux_auditd_at.app.lint import lint_app
from linux_auditd_at.detection import app_dir_or_found


def add_arguments(parser):
    pass


def run(args) -> int:
    app_dir = app_dir_or_found(args.app_dir)
    findings = lint_app(app_dir)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"{len(findings)} problem(s) in {app_dir}", file=sys.stderr)
        return 1
    print(f"{app_dir}: no problems")
    return 0
