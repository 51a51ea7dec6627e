"""Try a new filter macro on audit logs: rows it keeps and removes, alerts per day before and after.

`--filter 'SPL'` is the new definition of `linux_auditd_at_application_execution_filter`. The search
runs as the app is configured now (local/ over default/) and with the new filter over the same
events, read once; each row of the current result is listed with what the new filter does to it
(kept / removed; rows only the new filter returns are listed as added), then both schedules are
backtested (see `backtest`) for the change in alerts per day. `--write` saves the definition to
the app's local/macros.conf (created if missing; other stanzas and comments kept; default/ is never
written); writing the same definition again leaves the file untouched. The file is replaced
atomically under a lock, so two `tune --write` at once both land; a filter a .conf value cannot
hold as written (a line break, a trailing backslash) is refused before anything runs. When the
filter stored now cannot run offline (a command the engine lacks, a lookup it cannot find), a
warning says why and the rows are compared with the search without a filter.
"""

from __future__ import annotations

import argparse
import json
import sys

from linux_auditd_at.cli import common
from linux_auditd_at.cli.backtest import add_range_arguments, load_args_events, run_range
from linux_auditd_at.detection import load_detection
from linux_auditd_at.errors import ExitCode, ToolkitError
from linux_auditd_at.spl import Result
from linux_auditd_at.tuning.tune import (
    FilterComparison,
    baseline,
    compare_filters,
    refuse_unstorable,
    write_filter,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser)
    common.add_search_arguments(parser)
    add_range_arguments(parser)
    common.add_format_argument(parser)
    parser.add_argument("--write", action="store_true",
                        help="save the --filter definition to the app's local/macros.conf")


def run(args: argparse.Namespace) -> int:
    if args.filter is None:
        raise ToolkitError("tune needs --filter 'SPL', the new definition of the filter macro")
    if args.write:
        refuse_unstorable(args.filter)
    loaded = load_detection(args.app_dir, name=args.name, lookup_dirs=tuple(args.lookups))
    current, pipeline, problem = baseline(loaded)
    if problem:
        common.warn(args.verb, f"the current filter cannot run offline ({problem}); comparing with the "
                    "search without a filter")
    context = common.context_from_args(args)
    start, end = run_range(args, context)
    proposed = current.with_filter(args.filter).compile()  # read the fields both filters need
    events = load_args_events(args, current, pipeline, context, also=[proposed])
    comparison = compare_filters(current, args.filter, events, context, start=start, end=end,
                                 current_pipeline=pipeline, proposed_pipeline=proposed)
    common.warn_all(comparison.warnings, args.verb)
    rows = ([{**row, "new filter": "kept"} for row in comparison.kept]
            + [{**row, "new filter": "removed"} for row in comparison.removed]
            + [{**row, "new filter": "added"} for row in comparison.added])
    summary = _summary(comparison)
    if args.format == "json":
        json.dump({"rows": rows, "summary": summary}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        common.print_result(Result(["new filter", *comparison.columns], rows), args.format)
    if args.format == "table":
        _print_summary(summary)
    if args.write:
        path, changed = write_filter(current.app_dir, args.filter, current.filter_macro)
        # on stderr when stdout is JSON or CSV, so that it stays parseable
        print(f"{'wrote' if changed else 'unchanged:'} {path}",
              file=sys.stdout if args.format == "table" else sys.stderr)
    return ExitCode.OK


def _print_summary(s: dict[str, float | int]) -> None:
    print(f"\nrows: {s['current_rows']} with the current filter, {s['removed']} removed and"
          f" {s['added']} added by the new filter")
    before, after = s["alerts_per_day_before"], s["alerts_per_day_after"]
    print(f"alerts per day: {before:.2f} -> {after:.2f} ({s['alerts_per_day_change']:+.2f}); runs with alerts"
          f" {s['runs_with_alerts_before']} -> {s['runs_with_alerts_after']} of {s['runs']}")
    print(f"risk events per day: {s['risk_events_per_day_before']:.2f} ->"
          f" {s['risk_events_per_day_after']:.2f}")


def _summary(comparison: FilterComparison) -> dict[str, float | int]:
    before, after = comparison.before, comparison.after
    return {
        "current_rows": len(comparison.current_rows), "removed": len(comparison.removed),
        "added": len(comparison.added), "runs": len(after.runs),
        "runs_with_alerts_before": before.alerts, "runs_with_alerts_after": after.alerts,
        "alerts_per_day_before": before.per_day(before.alerts),
        "alerts_per_day_after": after.per_day(after.alerts),
        "alerts_per_day_change": comparison.alerts_per_day_change,
        "risk_events_per_day_before": before.per_day(before.risk_event_count),
        "risk_events_per_day_after": after.per_day(after.risk_event_count),
    }
