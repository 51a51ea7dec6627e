"""Run the shipped detection over audit logs and print its result rows, as Splunk would.

The search is read from the app's savedsearches.conf and macros.conf (local/ over default/),
macros expanded, and evaluated by the embedded SPL engine. Lines that are not audit records are
counted and reported on stderr (--strict makes them an error). Exit status: 0 when the run
completed, 2 when an input, the configuration or the SPL is in error.
"""

from __future__ import annotations

import argparse

from linux_auditd_at.cli import common
from linux_auditd_at.errors import ExitCode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser)
    common.add_search_arguments(parser)
    common.add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    _, _, outcome = common.evaluate(args)
    common.print_result(outcome.result, args.format)
    common.warn_about(outcome.stats, "run", outcome.problems)
    return ExitCode.OK
