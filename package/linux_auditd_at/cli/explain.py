"""Show the expanded SPL and how many events each stage read and passed, plus what the reader saw.

Reader counts: files, lines read, lines the raw-line prefilter skipped (never split into fields),
lines that were not audit records and lines holding bytes that are not UTF-8 (each with the first
file:line examples), events, and events outside --earliest/--latest. Exit status as for `run`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from linux_auditd_at.audit.reader import ReadStats
from linux_auditd_at.cli import common
from linux_auditd_at.detection import Detection
from linux_auditd_at.errors import ExitCode
from linux_auditd_at.spl import Result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser)
    common.add_search_arguments(parser)


def run(args: argparse.Namespace) -> int:
    detection, _, outcome = common.evaluate(args)
    print_explanation(detection, outcome.result, outcome.stats, sys.stdout)
    common.warn_about(outcome.stats, "explain", outcome.problems)
    return ExitCode.OK


def print_explanation(detection: Detection, result: Result, stats: ReadStats, out: TextIO) -> None:
    out.write(f"Search: {detection.name}\nApp: {detection.app_dir}\n\nExpanded SPL:\n")
    for index, stage in enumerate(result.stages):
        out.write(f"  {'| ' if index else ''}{stage.command}\n")
    empty = f" ({len(stats.empty_files)} empty: {', '.join(stats.empty_files)})" if stats.empty_files else ""
    counts = [
        ("files", f"{len(stats.files)}: {', '.join(stats.files)}{empty}", []),
        ("lines read", stats.lines, []),
        ("blank lines", stats.blank, []),
        ("prefiltered out", f"{stats.prefiltered} (cannot match the search; never split into fields)", []),
        ("non-audit lines", stats.non_audit, stats.examples),
        ("non-UTF-8 lines", f"{stats.replaced} (read with U+FFFD for the bytes, as Splunk does)",
         stats.replaced_examples),
        ("events", stats.events, []),
        ("outside time range", result.outside_time_range, []),
    ]
    out.write("\nInput:\n")
    for label, value, examples in counts:
        out.write(f"  {label:<19}{value}\n")
        for example in examples:
            out.write(f"    {example}\n")
    out.write("\nStages:\n")
    width = max([len(str(s.read)) for s in result.stages] + [4])
    out.write(f"  {'#':>2}  {'read':>{width}}  {'passed':>{width}}  command\n")
    for number, stage in enumerate(result.stages, 1):
        out.write(f"  {number:>2}  {stage.read:>{width}}  {stage.passed:>{width}}  {stage.command}\n")
    out.write(f"\nResult: {len(result.rows)} row(s), columns: {', '.join(result.columns) or '-'}\n")
