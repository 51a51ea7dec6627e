"""Print the risk events ES would write for each result row: risk object, score, message, MITRE.

The saved search runs over the logs as `run` does; each row then goes through the search's risk
action (`action.risk.param._risk`, `_risk_message`) the way ES's risk action handles it: one risk
event per risk object, `$field$` tokens filled from the row, `source` = the search name, and the
`action.correlationsearch.annotations` (mitre_attack, analytic_story, ...). JSON gives every field.
"""

from __future__ import annotations

import argparse
import json
import sys

from linux_auditd_at.cli import common
from linux_auditd_at.errors import ExitCode
from linux_auditd_at.risk import RiskAction
from linux_auditd_at.spl import Result
from linux_auditd_at.spl.values import format_number

COLUMNS = ["_time", "risk_object", "risk_object_type", "risk_score", "risk_message", "source",
           "annotations.mitre_attack"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser)
    common.add_search_arguments(parser)
    common.add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    detection, context, outcome = common.evaluate(args)
    action = RiskAction.from_detection(detection)
    events, skipped = [], 0
    for row in outcome.result.rows:
        row_events = action.events_for(row, context.now)
        events += row_events
        skipped += not row_events
    if args.format == "json":
        json.dump([event.to_json() for event in events], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        rows = []
        for event in events:
            fields = event.to_json()
            fields["_time"] = common.iso_time(event.time, context.tz)
            fields["risk_score"] = format_number(event.risk_score)
            rows.append(fields)
        common.print_result(Result(COLUMNS, rows), args.format)
    if skipped:
        names = ", ".join(spec.field for spec in action.objects)
        common.warn("risk", f"{skipped} result row(s) have no {names} value; ES writes no risk event "
                            "for them")
    common.warn_about(outcome.stats, "risk", outcome.problems)
    return ExitCode.OK
