"""Capture real auditd records of `at` scenarios into a dataset (needs root, auditd and at).

Starts a private auditd (or reads the running one's log), adds an execve audit rule, plays the
scenarios, and restores the machine: the same `auditctl -l` afterwards, no daemon left behind.
Writes OUTDIR/NAME.log, OUTDIR/NAME.expected.json and the dataset's entry in
OUTDIR/linux_auditd_at.yml. `make dataset` regenerates the committed datasets.
"""

from __future__ import annotations

from pathlib import Path

from linux_auditd_at.capture import SCENARIOS, capture
from linux_auditd_at.errors import ExitCode


def add_arguments(parser):
    parser.add_argument("outdir", type=Path, help="folder for the log, expected rows and metadata YAML")
    parser.add_argument("--name", default="auditd_at_execution",
                        help="dataset name, the file stem (default: %(default)s)")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS), metavar="NAME",
                        help=f"scenario to play, repeatable: {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--format", choices=["enriched", "raw"], default="enriched",
                        help="auditd log_format of the capture (default: enriched)")
    parser.add_argument("--node", action="store_true",
                        help="name_format = HOSTNAME: every line starts with node=<host>")


def run(args) -> int:
    written = capture(args.outdir, name=args.name, scenario_names=args.scenario or list(SCENARIOS),
                      log_format=args.format.upper(), node=args.node)
    for path in written:
        print(path)
    return ExitCode.OK
