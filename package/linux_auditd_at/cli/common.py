"""Arguments and output shared by the verbs that evaluate the detection (run, explain, risk, ...).

    common.add_log_arguments(parser)        # LOG ..., --host, --host-from-node, --index, --sourcetype, ...
    common.add_search_arguments(parser)     # --name, --filter, --earliest/--latest, --now, --tz, --jobs, ...
    common.add_format_argument(parser)      # --format table|json|csv
    detection, context, outcome = common.evaluate(args)   # the three above, over the LOG args
"""

from __future__ import annotations

import argparse
import csv
import itertools
import operator
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypedDict, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from linux_auditd_at import runner
from linux_auditd_at.audit.reader import DEFAULT_INDEX, ReadStats
from linux_auditd_at.audit.sources import STDIN, total_size
from linux_auditd_at.detection import SEARCH_NAME, Detection
from linux_auditd_at.errors import ToolkitError, one_line
from linux_auditd_at.patterns import compiled
from linux_auditd_at.spl import Context, Pipeline, Result
from linux_auditd_at.spl.context import exact_rows
from linux_auditd_at.spl.values import all_text

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

PROGRESS_DELAY = 0.5
"""Seconds a read must take before a progress bar appears (on a terminal only)."""


def default_jobs() -> int:
    """The free processors: those this process may run on (2 on the project's machines) less the
    other processes running now, at least 1; on a busy shared machine more processes only queue."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cpus, cpus - busy_processors()))


def busy_processors(loadavg_file: str = "/proc/loadavg") -> int:
    """Processors other processes use now: Linux's count of runnable tasks (`/proc/loadavg`'s
    fourth field, which counts this one too) less one. Not the one-minute load average, which
    still holds a run that ended seconds ago. Elsewhere the load average, rounded."""
    try:
        with open(loadavg_file) as loadavg:
            return max(0, int(loadavg.read().split()[3].split("/")[0]) - 1)
    except (OSError, ValueError, IndexError):
        return round(os.getloadavg()[0])


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1 or int(text) > 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes from 1 to 64")
    return int(text)


def add_log_arguments(parser: argparse.ArgumentParser) -> None:
    """LOG, the metadata the input gives the events (--host, --host-from-node, --index,
    --sourcetype, --source), --strict."""
    parser.add_argument("logs", nargs="*", metavar="LOG",
                        help="audit log files, globs, rotated sets (audit.log*), .gz; - for stdin "
                             "(the default when stdin is not a terminal)")
    parser.add_argument("--host", help="host the input gives the events, as a forwarder or HEC sets it; "
                                       "node= is only a field (default: the dataset metadata YAML next to "
                                       "the log, else this machine's name)")
    parser.add_argument("--host-from-node", action="store_true",
                        help="host from each line's node= prefix, as a site's index-time host override "
                             "(props/transforms on indexers or heavy forwarders) would set it")
    parser.add_argument("--index", default=DEFAULT_INDEX, help="index the events are in (default: main)")
    parser.add_argument("--sourcetype", help="sourcetype of the events (default: the dataset metadata's, "
                                             "else linux:audit)")
    parser.add_argument("--source", help="source of the events (default: the dataset metadata's, "
                                         "else the path)")
    parser.add_argument("--strict", action="store_true",
                        help="fail on the first line that is not an audit record instead of counting it")


class ReaderOptions(TypedDict):
    """The AuditReader options every LOG-reading verb takes from its arguments."""

    host: str | None
    host_from_node: bool
    index: str
    sourcetype: str | None
    source: str | None
    strict: bool


def reader_options(args: argparse.Namespace) -> ReaderOptions:
    """The reader's options from the LOG arguments (add_log_arguments)."""
    return {"host": args.host, "host_from_node": args.host_from_node, "index": args.index,
            "sourcetype": args.sourcetype, "source": args.source, "strict": args.strict}


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    add_name_argument(parser)
    parser.add_argument("--filter", metavar="SPL",
                        help="definition of the filter macro for this run only, e.g. "
                             "'search NOT dest IN (\"build-01\")'")
    parser.add_argument("--earliest", metavar="TIME",
                        help="first event time, a Splunk time modifier: -70m@m, @d, -1h, now, epoch or "
                             "ISO 8601, relative to --now (default: all time)")
    parser.add_argument("--latest", metavar="TIME",
                        help="event time to stop before, a Splunk time modifier (default: all time)")
    parser.add_argument("--now", metavar="TIME",
                        help="the time the search runs at, epoch or ISO 8601 (default: the current time)")
    add_tz_argument(parser)
    parser.add_argument("--jobs", type=_jobs, default=default_jobs(), metavar="N",
                        help="processes reading a large plain (not .gz) log, each a span of whole lines; "
                             "the same rows as one (default: the free processors, those available less "
                             "those other processes run on now; %(default)s now)")
    add_lookups_argument(parser)


def add_name_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default=SEARCH_NAME, help="saved search name (default: %(default)s)")


def add_tz_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tz", metavar="ZONE", help="IANA time zone for times shown and for `ausearch -i` "
                                                     "dates read (default: the local zone)")


def add_lookups_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lookups", metavar="DIR", type=Path, action="append", default=[],
                        help="a folder of lookup CSV files (e.g. exported from the search head), looked in "
                             "before the app's lookups/; repeatable")


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help="output format (default: table)")


def log_paths(args: argparse.Namespace) -> list[str]:
    """The LOG arguments; stdin when none are given and stdin is not a terminal."""
    if args.logs:
        return list(args.logs)
    if sys.stdin is not None and not sys.stdin.isatty():
        return [STDIN]
    raise ToolkitError("no LOG given: name audit log files (or - to read stdin)")


def compile_from_args(args: argparse.Namespace) -> tuple[Detection, Pipeline]:
    """The detection and its compiled search; what compiling it warns about (a subsearch cut at
    Splunk's limit) goes to stderr."""
    detection, pipeline = runner.compile_detection(
        args.app_dir, name=args.name, filter_definition=args.filter, lookup_dirs=tuple(args.lookups))
    warn_all(pipeline.warnings, args.verb)
    return detection, pipeline


PROG = "linux-auditd-at"


def warn(verb: str, message: str) -> None:
    """A warning on stderr, the one style of every verb: `linux-auditd-at VERB: warning: ...`, on
    one line."""
    print(f"{PROG} {verb}: warning: {one_line(message)}", file=sys.stderr)


def warn_all(warnings: list[str], verb: str) -> None:
    for warning in warnings:
        warn(verb, warning)


def evaluate(args: argparse.Namespace) -> tuple[Detection, Context, runner.DetectionRun]:
    """The detection from the args, run once over the LOG args (with a progress bar on a terminal)."""
    detection, pipeline = compile_from_args(args)
    context = context_from_args(args)
    paths = log_paths(args)
    with progress(paths) as on_bytes:
        outcome = runner.run_detection(pipeline, paths, context, on_bytes=on_bytes, jobs=args.jobs,
                                       **reader_options(args))
    outcome.problems = runner.metadata_problems(detection, pipeline, outcome.stats)
    return detection, context, outcome


def local_timezone() -> tzinfo:
    """The machine's zone by IANA name ($TZ, else /etc/localtime), so DST rules apply."""
    for name in (os.environ.get("TZ", "").lstrip(":"), _zoneinfo_name(Path("/etc/localtime"))):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def _zoneinfo_name(link: Path) -> str:
    target = str(link.resolve()) if link.is_symlink() else ""
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""


def time_zone(name: str) -> tzinfo:
    """The --tz zone by IANA name; a name zoneinfo does not know is an error saying so."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ToolkitError(f"--tz {name!r}: unknown time zone (use an IANA name like Europe/Berlin)") from exc


def zone_from_args(args: argparse.Namespace) -> tzinfo:
    """--tz (an empty one is an unknown zone, not the local one), else the local zone."""
    return time_zone(args.tz) if args.tz is not None else local_timezone()


def context_from_args(args: argparse.Namespace) -> Context:
    """Context(now, tz, earliest, latest) from --now, --tz, --earliest, --latest."""
    tz = zone_from_args(args)
    now = _resolved(args.now, datetime.now(tz)) if args.now else time.time()
    earliest, latest = resolve_times(now, tz, args.earliest, args.latest)
    if earliest is not None and latest is not None and earliest > latest:
        raise ToolkitError(f"--earliest {args.earliest!r} is after --latest {args.latest!r}")
    return Context(now=now, tz=tz, earliest=earliest, latest=latest)


def resolve_times(now: float, tz: tzinfo, *modifiers: str | None) -> list[float | None]:
    """Each time modifier option (--earliest, --from, ...) as epoch seconds relative to `now` in
    `tz`, None where the option was not given."""
    at = datetime.fromtimestamp(now, tz)
    return [_resolved(modifier, at) if modifier else None for modifier in modifiers]


def _resolved(modifier: str, at: datetime) -> float:
    """A time modifier as epoch seconds relative to `at`, by the engine's parser (imported only
    when a time option is given: most runs have none)."""
    from linux_auditd_at.spl.timemodifiers import resolve_time

    return resolve_time(modifier, at)


def iso_time(epoch: float, tz: tzinfo) -> str:
    """A time for a person: ISO 8601 to the second, in the user's zone; past the year 9999 (the
    last a date can show) the epoch itself, `epoch 253402300805`."""
    try:
        return datetime.fromtimestamp(epoch, tz).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return f"epoch {epoch:.0f}"


@contextmanager
def progress(paths: list[str]) -> Iterator[Callable[[int], None] | None]:
    """An `on_bytes` callback drawing a progress bar on stderr by bytes read, or None when stderr
    is not a terminal or the size is unknown (stdin). The bar appears only after PROGRESS_DELAY."""
    total = total_size(paths) if sys.stderr.isatty() else None
    if not total:
        yield None
        return
    bar = _LazyBar(total)
    try:
        yield bar.advance
    finally:
        bar.stop()


class _LazyBar:
    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar is None and time.monotonic() - self.started >= PROGRESS_DELAY:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            self.bar = Progress("reading", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("read", total=self.total)
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=self.done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def warn_about(stats: ReadStats, verb: str, problems: Sequence[str] = ()) -> None:
    """One line on stderr when lines were not audit records or not UTF-8, or nothing was read, and
    one when the base search requires metadata no event carries (`runner.metadata_problems`)."""
    problem = stats.warning()
    if problem is None and stats.events + stats.prefiltered == 0:
        problem = f"no audit records read from {', '.join(stats.files) or 'the input'}"
    for line in (problem, "; ".join(problems)):
        if line:
            warn(verb, line)


def text_of(value: object, separator: str) -> str:
    """A cell as text: multivalue joined by `separator`, null as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return separator.join(str(v) for v in value)
    return str(value)


_CSV_AS_IS = {str, type(None)}
"""Cells the csv module writes as text_of does: a string as it is, None as empty."""


def print_result(result: Result, fmt: str, out: TextIO | None = None) -> None:
    """Rows as a table, JSON rows or CSV. JSON and CSV carry every value as it is; the table is for
    a person's terminal: control characters are escaped (`printable`) and no value is ever cut:
    rich's box table on a terminal wide enough for it whole, else the plain aligned table (whose
    long lines the terminal wraps, as it wraps any long line). Cells are turned into text a column
    at a time, so a row costs no Python call of its own."""
    out = out or sys.stdout
    if fmt == "json":
        _json(result, out)
    elif fmt == "csv":
        _csv(result, out)
    elif not result.rows:
        out.write("No results found.\n")
    elif not (out.isatty() and _rich_table(result, out)):
        _plain_table(result, out)


def _columns(result: Result, names: list[str]) -> list[list[object]]:
    """The cells of each named column, top to bottom (None where a row has no such field)."""
    return [[*map(dict.get, result.rows, itertools.repeat(name))] for name in names]


def _lines(columns: Sequence[Sequence[object]], count: int) -> Iterator[tuple]:
    """The `count` rows of cells held column by column."""
    return zip(*columns, strict=True) if columns else itertools.repeat((), count)


def _texts(cells: list[object], separator: str) -> list[str]:
    """text_of each cell of a column (the cells themselves when they are all strings)."""
    if all_text(cells):
        return cast(list[str], cells)
    return [text_of(cell, separator) for cell in cells]


def _csv(result: Result, out: TextIO) -> None:
    """Splunk's CSV export: the values of a multivalue cell on separate lines of one cell."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    plain = _plain_csv(result.columns, result.rows)
    if plain is not None:
        out.write(plain)
        return
    columns = [cells if {*map(type, cells)} <= _CSV_AS_IS else _texts(cells, "\n")
               for cells in _columns(result, result.columns)]
    writer.writerows(_lines(columns, len(result.rows)))


def _plain_csv(columns: list[str], rows: list[dict]) -> str | None:
    """The CSV lines of rows that hold exactly the columns, in order, each a string that needs no
    quotes (no `,`, `"`, CR or LF: told by counts over the joined text), which csv.writer writes as
    they are; None for any other rows (a row of one empty cell is written `""`: one column is left
    to the writer)."""
    if len(columns) < 2 or not rows or not exact_rows(rows, columns):
        return None
    try:
        text = "\n".join(map(",".join, map(dict.values, rows)))
    except TypeError:  # a cell that is not a string
        return None
    if ('"' in text or "\r" in text or text.count("\n") != len(rows) - 1
            or text.count(",") != len(rows) * (len(columns) - 1)):
        return None
    return text + "\n"


def _json(result: Result, out: TextIO) -> None:
    """What `json.dump(rows, out, indent=2)` writes, each row an object of the columns (a column
    named twice once): each column's cells are encoded at once and fill a row template."""
    from json.encoder import encode_basestring_ascii  # only for this format

    if not result.rows:
        out.write("[]\n")
        return
    names = [*dict.fromkeys(result.columns)]
    fields = ",\n".join(f"    {encode_basestring_ascii(name).replace('%', '%%')}: %s" for name in names)
    template = f"  {{\n{fields}\n  }}" if names else "  {}"
    rows = _lines([_json_texts(cells, encode_basestring_ascii) for cells in _columns(result, names)],
                  len(result.rows))
    out.write("[\n" + template % next(rows))
    out.writelines(map(f",\n{template}".__mod__, rows))  # a write a row: a closed pipe stops it
    out.write("\n]\n")


def _json_texts(cells: list[object], encode: Callable[[str], str]) -> list[str]:
    """Each cell of a column as json.dump writes it as a field of a row: strings by `encode`,
    others with their further lines indented to match."""
    if all_text(cells):
        return [*map(encode, cast(list[str], cells))]
    import json

    return [json.dumps(cell, indent=2).replace("\n", "\n    ") for cell in cells]


CONTROL = r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
"""C0 and C1 control characters and the bidirectional overrides: in a log field (`node=`, `UID`,
a hex-decoded `comm`) they would move the cursor, clear the screen or retitle the terminal."""
NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """`text` with each control character written as its escape (`\\x1b`, `\\n`, `\\u202e`)."""
    return compiled(CONTROL).sub(lambda m: NAMED_ESCAPES.get(m[0]) or m[0].encode("unicode_escape").decode(),
                                 text)


UNBOUNDED = 1 << 20
"""A width no table reaches: rich measures a table's natural width within it."""


def _table_columns(result: Result, separator: str) -> list[list[str]]:
    """Each column's cells as the table shows them: text_of, then printable where a cell of the
    column holds a control character."""
    columns = [_texts(cells, separator) for cells in _columns(result, result.columns)]
    control = compiled(CONTROL)
    return [[*map(printable, texts)] if control.search("".join(texts)) else texts for texts in columns]


def _rich_table(result: Result, out: TextIO) -> bool:
    """Draw the rows as rich's box table if the terminal is wide enough for every value whole;
    False (nothing drawn) when it is not. Whether it is, and each column's width, come from the
    widest cell of each column alone (rich would measure every cell, three times)."""
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out)

    def width(text: Text) -> int:
        return Measurement.get(console, console.options.update(max_width=UNBOUNDED), text).maximum

    # Text, not str: rich would read `[at]` in a cell (the risk message's `[$comm$]`) as markup
    names = [Text(printable(column)) for column in result.columns]
    columns = _table_columns(result, "\n")
    widths = [max(map(width, (name, *map(Text, _widest(texts)))))
              for name, texts in zip(names, columns, strict=True)]
    table = Table()
    for name, column_width in zip(names, widths, strict=True):
        table.add_column(name, no_wrap=True, overflow="fold", width=column_width)
    if console.measure(table, options=console.options.update(max_width=UNBOUNDED)).maximum > console.width:
        return False
    for cells in _lines(columns, len(result.rows)):
        table.add_row(*map(Text, cells))
    console.print(table)
    return True


def _widest(texts: list[str]) -> list[str]:
    """The cells among which a column's widest is on a terminal: the longest when all are ASCII
    (after `printable` each is one line of one-cell characters), else all."""
    return [max(texts, key=len)] if texts and "".join(texts).isascii() else texts


def _plain_table(result: Result, out: TextIO) -> None:
    """The columns aligned, two spaces apart, under a line of dashes; no line ends in spaces."""
    names = [printable(c) for c in result.columns]
    columns = _table_columns(result, " ")
    widths = [max(len(name), *map(len, texts)) for name, texts in zip(names, columns, strict=True)]
    line = "  ".join(f"{{:<{width}}}" for width in widths)  # str.ljust(width) of each cell
    lines = itertools.chain([names, ["-" * width for width in widths]], _lines(columns, len(result.rows)))
    texts = map(str.rstrip, itertools.starmap(line.format, lines))
    out.writelines(map(operator.add, texts, itertools.repeat("\n")))  # a write a line: a closed pipe stops it
