"""`linux-auditd-at VERB ...`: a thin argparse layer, one module per verb.

Each verb module has a docstring (its help), `add_arguments(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from linux_auditd_at import __version__
from linux_auditd_at.errors import ToolkitError

VERBS = ("run", "explain", "check", "capture", "risk", "backtest", "tune", "replay", "lint", "package")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linux-auditd-at", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--app-dir", type=Path, default=None,
                        help="the app folder (default: $LINUX_AUDITD_AT_APP_DIR, else found upwards "
                             "from the working directory)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in VERBS:
        module = importlib.import_module(f"linux_auditd_at.cli.{verb}")
        summary = (module.__doc__ or verb).strip().splitlines()[0]
        sub = verbs.add_parser(verb, help=summary, description=module.__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except ToolkitError as exc:
        print(f"linux-auditd-at {args.verb}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"linux-auditd-at {args.verb}: interrupted", file=sys.stderr)
        return 130
