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
from datetime import datetime, tzinfo

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
    missing = f"{skipped} result row(s) have no {', '.join(spec.field for spec in action.objects)} value"
    if args.format == "json":
        json.dump([_as_splunk_json(event.to_json(), event.time, context.tz) for event in events], sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
    elif args.format == "table" and not events and skipped:
        print(f"No risk events: {missing}.")
    else:
        rows = []
        for event in events:
            fields = event.to_json()
            fields["_time"] = common.iso_time(event.time, context.tz)
            fields["risk_score"] = format_number(event.risk_score)
            rows.append(fields)
        common.print_result(Result(COLUMNS, rows), args.format)
    if skipped:
        common.warn("risk", f"{missing}; ES writes no risk event for them")
    common.warn_about(outcome.stats, "risk", outcome.problems)
    return ExitCode.OK


def _as_splunk_json(fields: dict[str, object], epoch: float, tz: tzinfo) -> dict[str, object]:
    """A risk event's fields as Splunk's JSON results carry them, like `run --format json`: every
    value a string (numbers as Splunk prints them, multivalue as a list of strings), `_time` as
    ISO 8601 with milliseconds and the zone's offset."""
    def text(value: object) -> object:
        if isinstance(value, dict):
            return {key: text(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [text(item) for item in value]
        if isinstance(value, bool) or value is None:
            return value
        return format_number(value) if isinstance(value, int | float) else str(value)

    texts = {key: text(value) for key, value in fields.items()}
    return {**texts, "_time": datetime.fromtimestamp(epoch, tz).isoformat(timespec="milliseconds")}
