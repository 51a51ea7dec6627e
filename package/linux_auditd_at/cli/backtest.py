"""Replay the search's schedule over audit logs: alerts per run and per day, noisiest values, coverage.

Walks `cron_schedule` in --tz across the logs' time span (every run whose dispatch window touches
it), or over the run times --from .. --to; each run searches its window (`-70m@m` .. `-10m@m`
snapped to the scheduled time). The logs are read once. Prints the runs that alert (--all-runs:
every run), a per-day table when the runs span days, then the summary; --html FILE writes a
self-contained page charting risk events per run.
--earliest/--latest drop events outside that range before the runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from linux_auditd_at import runner
from linux_auditd_at.cli import common
from linux_auditd_at.detection import Detection
from linux_auditd_at.errors import ExitCode, ToolkitError
from linux_auditd_at.spl import Context, Result
from linux_auditd_at.spl.values import format_number
from linux_auditd_at.tuning.backtest import NOISE_FIELDS, Backtest, TimeSortedEvents, run_backtest
from linux_auditd_at.tuning.report import day_lines, html_page, run_lines, summary_lines


def add_range_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="run_from", metavar="TIME",
                        help="first scheduled run time, a Splunk time modifier (default: the runs "
                             "covering the logs' time span)")
    parser.add_argument("--to", dest="run_to", metavar="TIME",
                        help="last scheduled run time, a Splunk time modifier (default: the runs covering "
                             "the logs' time span)")


def run_range(args: argparse.Namespace, context: Context) -> tuple[float | None, float | None]:
    """--from/--to as epoch seconds, resolved in the user's zone relative to --now."""
    start, end = common.resolve_times(context.now, context.tz, args.run_from, args.run_to)
    if start is not None and end is not None and start > end:
        raise ToolkitError(f"--from {args.run_from!r} is after --to {args.run_to!r}")
    return start, end


def load_args_events(args: argparse.Namespace, detection: Detection, pipeline,
                     context: Context, also=()) -> TimeSortedEvents:
    """The logs read once into memory (the fields `pipeline` and `also` read), limited to
    --earliest/--latest when given; what was read is warned about (bad lines, metadata the search
    requires and no event carries)."""
    paths = common.log_paths(args)
    with common.progress(paths) as on_bytes:
        events, stats = runner.load_events(pipeline, paths, tz=context.tz, on_bytes=on_bytes, jobs=args.jobs,
                                           also=also, **common.reader_options(args))
    common.warn_about(stats, args.verb, runner.metadata_problems(detection, pipeline, stats))
    sorted_events = TimeSortedEvents(events)
    if context.earliest is not None or context.latest is not None:
        lo = context.earliest if context.earliest is not None else float("-inf")
        hi = context.latest if context.latest is not None else float("inf")
        sorted_events = sorted_events.within(lo, hi)
    return sorted_events


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser)
    common.add_search_arguments(parser)
    add_range_arguments(parser)
    common.add_format_argument(parser)
    parser.add_argument("--all-runs", action="store_true", help="list every run, not only those that alert")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="write a self-contained HTML chart of risk events per run to FILE")


def run(args: argparse.Namespace) -> int:
    detection, pipeline = common.compile_from_args(args)
    context = common.context_from_args(args)
    start, end = run_range(args, context)
    events = load_args_events(args, detection, pipeline, context)
    result = run_backtest(detection, events, context.tz, start=start, end=end, pipeline=pipeline)
    print_backtest(result, args, context)
    if args.html:
        settings = detection.settings
        window = f"{settings.get('dispatch.earliest_time', '')} .. {settings.get('dispatch.latest_time', '')}"
        description = (f"Risk events of each scheduled run: cron {settings.get('cron_schedule', '')!r} "
                       f"walked in {context.tz}, each run searching {window} snapped to its scheduled time.")
        try:
            page = html_page(result, context.tz, f"Backtest: {detection.name}", description)
            args.html.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise ToolkitError(f"{args.html}: {exc.strerror or exc}") from exc
    return ExitCode.OK


def print_backtest(result: Backtest, args: argparse.Namespace, context: Context) -> None:
    if args.format == "json":
        json.dump(_as_json(result), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "csv":
        common.print_result(_runs_result(result, context, all_runs=True), "csv")
    else:  # the details first, so that the summary is what a terminal shows last
        lines = run_lines(result, context.tz, all_runs=args.all_runs)
        if lines:
            print("runs" + ("" if args.all_runs else " that alert") + ":")
            print("\n".join("  " + line for line in lines) + "\n")
        if len({run.window.run.date() for run in result.runs}) > 1:
            print("per day of the run time:")
            print("\n".join("  " + line for line in day_lines(result)) + "\n")
        print("\n".join(summary_lines(result, context.tz)))


def _runs_result(result: Backtest, context: Context, *, all_runs: bool) -> Result:
    columns = ["run", "earliest", "latest", "rows", "risk_score"]
    rows: list[dict[str, object]] = [{"run": run.window.run.isoformat(),
             "earliest": datetime.fromtimestamp(run.window.earliest, context.tz).isoformat(),
             "latest": datetime.fromtimestamp(run.window.latest, context.tz).isoformat(),
             "rows": str(len(run.rows)), "risk_score": format_number(run.risk_score)}
            for run in result.runs if all_runs or run.alerted]
    return Result(columns, rows)


def _as_json(result: Backtest) -> dict[str, object]:
    cov = result.coverage
    return {
        "runs": [{"run": run.window.run.isoformat(), "earliest": run.window.earliest,
                  "latest": run.window.latest, "rows": len(run.rows), "risk_score": run.risk_score}
                 for run in result.runs],
        "summary": {
            "runs": len(result.runs), "days": result.days, "runs_with_alerts": result.alerts,
            "alerts_per_day": result.per_day(result.alerts), "risk_events": result.risk_event_count,
            "risk_events_per_day": result.per_day(result.risk_event_count),
            "noisiest": {name: result.noisiest(name, 3) for name in NOISE_FIELDS},
        },
        "coverage": {"matched": cov.matched, "in_no_window": cov.uncovered,
                     "in_several_windows": [{"_time": t, "windows": n} for t, n in cov.repeated]},
    }
