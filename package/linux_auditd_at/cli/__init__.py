"""Run, check and tune the Splunk ES detection "Linux Auditd At Application Execution" offline.

The `linux-auditd-at VERB ...` command line: a thin argparse layer, one module per verb.

Each verb module has a docstring (its first line is the help), `add_arguments(parser)` and
`run(args) -> int`. Only the chosen verb's module is imported: the others pull in splunk-sdk,
croniter or rich, and start-up time counts when `run` is benchmarked against `ausearch`.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import linux_auditd_at
from linux_auditd_at.detection import APP_DIR_ENV, FROM_CHECKOUT, locate_app_dir
from linux_auditd_at.errors import ExitCode, ToolkitError, one_line

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

VERBS = ("run", "explain", "check", "capture", "risk", "backtest", "tune", "replay", "lint", "package")


def _verb_docstring(verb: str) -> str:
    """A verb module's docstring read from its source, without importing the module."""
    import ast  # only for the help of every verb

    spec = importlib.util.find_spec(f"linux_auditd_at.cli.{verb}")
    if spec is None or spec.origin is None:
        return verb
    return ast.get_docstring(ast.parse(Path(spec.origin).read_text(encoding="utf-8"))) or verb


def _chosen_verb(argv: list[str]) -> str | None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--app-dir")
    pre.add_argument("verb", nargs="?")
    known, _ = pre.parse_known_args(argv)
    return known.verb if known.verb in VERBS else None


class _Version(argparse.Action):
    """--version, looking the version up only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {linux_auditd_at.__version__}")
        parser.exit()


class _Help(argparse.Action):
    """-h/--help before the verb: the help of the parser built with every verb's help line, each
    read from the verb's source only when asked, not on every run."""

    def __call__(self, parser, namespace, values, option_string=None):
        build_parser().print_help()
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse's parser, but the help reaches stdout or fails aloud: argparse's own print_help
    drops an OSError (`--help > /dev/full` printed nothing and exited 0)."""

    def print_help(self, file: SupportsWrite[str] | None = None) -> None:
        (file or sys.stdout).write(self.format_help())


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser: with a `chosen` verb, that verb alone with its full arguments; without one,
    every verb with its help line (for the top-level help, which `_Help` prints from this parser,
    and the error for a verb that is none of them)."""
    parser = _Parser(prog="linux-auditd-at", description=__doc__.splitlines()[0], add_help=False)
    parser.add_argument("-h", "--help", action=_Help, nargs=0, help="show this help message and exit")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument("--app-dir", type=Path, default=None, help=APP_DIR_HELP)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in VERBS if chosen is None else (chosen,):
        if verb == chosen:
            module = importlib.import_module(f"linux_auditd_at.cli.{verb}")
            doc = module.__doc__ or verb
        else:
            module, doc = None, _verb_docstring(verb)
        sub = verbs.add_parser(verb, help=doc.strip().splitlines()[0], description=doc,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        if module is not None:
            module.add_arguments(sub)
            # also after the verb; SUPPRESS: absent there, it keeps the value given before the verb
            sub.add_argument("--app-dir", type=Path, default=argparse.SUPPRESS, help=APP_DIR_HELP)
            sub.set_defaults(handler=module.run)
    return parser


APP_DIR_HELP = (f"the app folder (default: ${APP_DIR_ENV}, else the nearest folder above the working "
                "directory holding default/savedsearches.conf, else the toolkit's source checkout, "
                "which is then named on stderr)")


def _say_which_app(args: argparse.Namespace) -> None:
    """Without --app-dir, the app found; when that is the source checkout the toolkit runs from
    (nothing above the working directory), say so, since `tune --write` would write there."""
    if args.app_dir is not None:
        return
    try:
        app_dir, source = locate_app_dir()
    except ToolkitError:
        return  # the verb says it, if it needs an app
    if source == FROM_CHECKOUT:
        print(f"linux-auditd-at {args.verb}: note: using the app in {app_dir} ({source}); pass "
              f"--app-dir or set ${APP_DIR_ENV} for another", file=sys.stderr)


RELATIVE_TIME = re.compile(r"-[0-9@]")
"""How a Splunk relative time modifier starts (`-70m@m`, `-1h`, `-@d`); no option of ours does."""


def _attach_time_values(argv: list[str]) -> list[str]:
    """`--earliest -70m@m` as `--earliest=-70m@m`: argparse takes a value starting with `-` for an
    option (unless it is a plain negative number), and Splunk's relative times start with one."""
    joined: list[str] = []
    for arg in argv:
        previous = joined[-1] if joined else ""
        if previous.startswith("--") and "=" not in previous and RELATIVE_TIME.match(arg):
            joined[-1] = f"{previous}={arg}"
        else:
            joined.append(arg)
    return joined


OUTPUT_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
"""Errors writing our output (stdout on a full disk, /dev/full): one line, not a traceback. Every
other write the toolkit makes raises a ToolkitError naming its file."""


def main(argv: list[str] | None = None) -> int:
    return execute(parse_args(argv))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (`sys.argv` by default) parsed; the chosen verb's module is imported and
    its `run` is the result's `handler`. `--help` and `--version` exit once their text is written
    (an error writing it is one line and exit 2, as for any output)."""
    argv = sys.argv[1:] if argv is None else argv
    argv = _attach_time_values(argv)
    verb = _chosen_verb(argv)
    try:
        try:
            return build_parser(verb).parse_args(argv)
        except SystemExit:
            sys.stdout.flush()
            raise
    except OSError as exc:
        code = _output_failed(exc, verb)
        if code is None:
            raise
        raise SystemExit(code) from None


def execute(args: argparse.Namespace) -> int:
    """Run the parsed command; its exit status, with errors on stderr as one line each."""
    _say_which_app(args)
    try:
        code = args.handler(args) or 0
        sys.stdout.flush()
        return code
    except ToolkitError as exc:
        print(f"linux-auditd-at {args.verb}: error: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        code = _output_failed(exc, args.verb)
        if code is None:
            raise
        return code
    except KeyboardInterrupt:
        print(f"linux-auditd-at {args.verb}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


def _output_failed(exc: OSError, verb: str | None) -> int | None:
    """The exit status for an error writing our output, None for any other OSError: the reader
    went away (`| head`): quietly, as the Python docs advise; a full disk: one line."""
    if not isinstance(exc, BrokenPipeError) and exc.errno not in OUTPUT_ERRORS:
        return None
    _drop_stdout()
    if isinstance(exc, BrokenPipeError):
        return ExitCode.FAILED
    print(f"linux-auditd-at{' ' + verb if verb else ''}: error: cannot write the output: {exc.strerror}",
          file=sys.stderr)
    return ExitCode.INPUT_ERROR


def _drop_stdout() -> None:
    """Send what is still buffered for stdout to /dev/null, so that exiting does not fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
