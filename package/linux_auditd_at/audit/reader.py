"""Raw audit logs to Splunk-shaped events, streamed a block of lines at a time.

Each line is one event, as Splunk indexes `linux:audit`: `_raw`, `_time` (from
`msg=audit(EPOCH:SERIAL)`, or an `ausearch -i` date read in `tz`), `host`, `source`, `sourcetype`,
`index` and the auto-KV fields (`record.py`; the formats a line may come in: `formats.py`). Bytes
are decoded as UTF-8 with replacement characters, as Splunk does; a line break is `\\n`,
`\\r\\n` or `\\r` (Splunk's default LINE_BREAKER `([\\r\\n]+)`), and blank lines are no events.

The input sets the metadata, as in Splunk: `host` is `host=` given by the caller (`--host`), else
what `dataset(path)` says (the caller's look-up of dataset metadata, `attack_data.py`), else this
machine's name. A `node=` prefix is only the field `node`; with `host_from_node` it becomes the
host, as a site's index-time host override would make it. `source`, `sourcetype`: given, else
`dataset(path)`'s, else the path as given (`stdin` for `-`) and `linux:audit`. `index`: given.
Each distinct combination is kept in `ReadStats.inputs` (what a search's metadata terms can meet).
ausearch's `----` event separators (which the add-on's `rlog.sh` removes) count as blank lines.

Nothing is dropped silently: a line that is not an audit record (no `msg=audit(...)` stamp, no
`type=`, truncated, or longer than MAX_LINE bytes, which no auditd record is: the kernel caps a
record near 9 KiB) is counted in `ReadStats` with its file:line, or raises `AuditInputError`
under `strict=True`. A file none of whose lines is an audit record is not an audit log: it raises
`AuditInputError` once read (a run over it would say "no results" and mean nothing). A line
holding bytes that are not UTF-8 is still an event (with U+FFFD, as Splunk indexes it) and is
counted too, so the replacement is reported. With a `prefilter` (the engine's raw-line test),
lines it rejects are never split into fields; they are only checked to be audit records
(`record.record_problem`: a whole stamp and a `type=` key), so that garbage is counted as
non-audit with or without a prefilter, and `check` (no prefilter) and `run` agree on every line.

The speed path: files are read in blocks of about CHUNK bytes of whole lines. A prefilter may
announce what its lines hold (`scan.Announcing`: `keep`, `necessary`, `needles`; see
spl/prefilter.py); then one byte-level scan of the block (`audit/scan.py`: hyperscan, or the
stdlib `re` fallback) finds the lines that may match and vouches that every line of the block is
a record as auditd writes it (what `record.block_is_records` checks, with no `\r` and no byte
outside ASCII); only those lines are decoded and offered to the prefilter's `keep`, the others
are counted as prefiltered without a Python-level step per line. A block the scan does not
vouch for is read line by line (with the `necessary` regex over its lower-cased text where it is
ASCII), so bad lines and the formats
`formats.py` knows are still handled one by one. `fields` (the fields a search reads, see
spl/projection.py) limits each event to those fields, the metadata and `_time` (`_raw` only when
named), extracted by `record.record_parser`. With `jobs` > 1 a large plain file is read in
spans of whole lines by forked workers (`_split_events`); through `map_spans(reduce)` each worker
hands back what `reduce` makes of its span's events (a search's stats groups) instead of them.
Given a program of the search (spl/fold_program.py, plain data), the candidate lines of a vouched
block go through C (`native.fold`, `native.events`): folded into the search's stats groups, or
built into events, each line the C pass cannot decide taking the Python path.
Memory stays flat: a block at a time (a few spans with jobs), and a line longer than MAX_LINE is
skipped piecewise, never held.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, tzinfo
from functools import partial
from itertools import compress
from typing import Any, Protocol, TypeVar

from linux_auditd_at.audit import native, sources
from linux_auditd_at.audit.record import block_is_records, extracted_keys, record_parser, record_problem
from linux_auditd_at.audit.scan import Announcing, Scanner, line_count, line_starts
from linux_auditd_at.errors import AuditInputError
from linux_auditd_at.structs import Struct, field

METADATA = ("index", "sourcetype", "source", "host")
"""The fields the input sets on every event (Splunk's default fields a search can name)."""

Reduced = TypeVar("Reduced")
Reduce = Callable[..., Any]
"""What a caller makes of a span's events (`AuditReader.map_spans`): `reduce(events)`, or with a
program `reduce(events, folded)`."""
Program = Callable[[Mapping[str, object]], tuple | None]
"""The program of the C fold for the lines of an input with these metadata (`native.fold`)."""
Describe = Callable[[str], Mapping[str, str | None]]
"""What the caller knows about a file (`-` for stdin): `host`, `source`, `sourcetype` or None."""

SEPARATOR_LINE = "----"
SOURCETYPE = "linux:audit"
_SET_BY_READER = frozenset({*METADATA, "_raw", "_time"})
"""Fields the reader sets over whatever the line holds: never worth extracting."""
DEFAULT_INDEX = "main"
CHUNK = 1 << 16  # small enough that the passes over a block (counts, lower, regex) hit the CPU cache
MAX_LINE = 1 << 20
EXAMPLES = 5
TOO_LONG = f"line longer than {MAX_LINE} bytes"


class BadLine(Struct):
    """A line that is not an audit record: where it is and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class ReadStats(Struct, frozen=False):
    """What the reader saw: every line is an event, prefiltered, blank, or counted as non-audit;
    `replaced` counts the lines (of any kind) whose bytes that are not UTF-8 were replaced;
    `interpreted` the events read from `ausearch -i` text (lower-case names, interpreted values:
    not what auditd writes, so a search written for auditd's log finds nothing in them);
    `repeated` pairs an input naming data already read (not read again) with the first name."""

    files: list[str] = field(default_factory=list)
    empty_files: list[str] = field(default_factory=list)
    lines: int = 0
    blank: int = 0
    events: int = 0
    prefiltered: int = 0
    non_audit: int = 0
    examples: list[BadLine] = field(default_factory=list)
    replaced: int = 0
    replaced_examples: list[BadLine] = field(default_factory=list)
    interpreted: int = 0
    inputs: dict[tuple[str, ...], None] = field(default_factory=dict)
    machine_host: list[str] = field(default_factory=list)
    """The files whose events got this machine's name as host (none given, none described)."""

    def metadata_seen(self) -> list[dict[str, str]]:
        """Each distinct `index`, `sourcetype`, `source`, `host` the events were given."""
        return [dict(zip(METADATA, values, strict=True)) for values in self.inputs]
    repeated: list[tuple[str, str]] = field(default_factory=list)

    def add_bad(self, bad: BadLine) -> None:
        self.non_audit += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(bad)

    def add_replaced(self, line: BadLine) -> None:
        self.replaced += 1
        if len(self.replaced_examples) < EXAMPLES:
            self.replaced_examples.append(line)

    def warning(self) -> str | None:
        """One line for stderr when some lines were not audit records or held bytes that are not
        UTF-8, some events were `ausearch -i` text, or some input named data already read, else
        None."""
        parts = [f"{again} is the same data as {first}, read once" for again, first in self.repeated]
        if self.non_audit:
            parts.append(f"{self.non_audit} line(s) were not audit records and were skipped; "
                         f"first: {self.examples[0]}")
        if self.replaced:
            first = self.replaced_examples[0]
            parts.append(f"{self.replaced} line(s) held bytes that are not UTF-8, replaced with U+FFFD "
                         f"as Splunk does; first: {first.path}:{first.line}")
        if self.interpreted:
            parts.append(f"{self.interpreted} event(s) read are `ausearch -i` text, whose names are "
                         "lower-case and values interpreted (uid=root, syscall=execve) where auditd's log "
                         "has uid=0, UID=\"root\", SYSCALL=execve: a search for those finds nothing in "
                         "them; `linux-auditd-at check` says what to index instead")
        return "; ".join(parts) or None


def machine_name() -> str:
    """This machine's name, the host a local input gives its events (= socket.gethostname())."""
    return os.uname().nodename


class Folded(Struct, frozen=False):
    """What the C fold made of the lines it took from a span: `groups` and `passed`, by number of
    the program's tests passed, how many lines it took (`native.fold`); they are events, read and
    folded, never handed to `reduce`."""

    groups: dict[tuple, list]
    passed: list[int]


class AuditReader:
    """Iterate the events of one or more logs (paths, globs, rotated sets, `.gz`, `-` for stdin)."""

    def __init__(self, paths: list[str], *, host: str | None = None, index: str = DEFAULT_INDEX,
                 sourcetype: str | None = None, source: str | None = None, dataset: Describe | None = None,
                 host_from_node: bool = False, tz: tzinfo = UTC,
                 prefilter: Callable[[str], bool] | None = None, strict: bool = False,
                 on_bytes: Callable[[int], None] | None = None, fields: Collection[str] | None = None,
                 scanner: str | None = None, jobs: int = 1, line_program: Program | None = None):
        self.paths, repeated = sources.expand(paths or [sources.STDIN])
        self.given = {"host": host, "source": source, "sourcetype": sourcetype}
        self.index, self.dataset, self.host_from_node = index, dataset, host_from_node
        self.strict, self.on_bytes, self.jobs = strict, on_bytes, jobs
        node = {"node"} if host_from_node else set()
        names = None if fields is None else set(fields) - _SET_BY_READER | node
        self.parse = record_parser(names, tz)
        # candidate lines' events built in C (every line, of every field, or with node=: Python)
        self._build_events = None if names is None or host_from_node else native.events()
        self._line_program = None if self._build_events is None else line_program
        self._keys = () if names is None else tuple(sorted(extracted_keys(names)))
        self._line_test: tuple[tuple, int] | None = None  # an input's line program and its `type` slot
        self.keep_raw = fields is None or "_raw" in fields
        announced = prefilter if isinstance(prefilter, Announcing) else None
        self.prefilter = prefilter if announced is None else announced.keep
        self.necessary = None if announced is None else announced.necessary
        self.scanner = None if announced is None or scanner == "off" else Scanner(
            announced.needles, announced.necessary, scanner)
        self.stats = ReadStats(repeated=repeated)
        self._source: Iterator[dict[str, object]] | None = None
        self._program: Program | None = None  # map_spans' program, where the C fold can run it
        self._fold_lines: native.Fold | None = None  # the C fold, then
        self._folding: tuple[tuple, int] | None = None  # this input's program and its `type` slot
        self._folded: Folded | None = None  # while `reduce` reads a span with a program

    def __iter__(self) -> Iterator[dict[str, object]]:
        """The events. The inputs are read once, as a file's lines are: iterating again goes on
        where the last iteration stopped, and after `map_spans` finds nothing."""
        if self._source is None:
            self._source = self._pieces(None)
        return self._source

    def map_spans(self, reduce: Callable[..., Reduced], program: Program | None = None) -> Iterator[Reduced]:
        """`reduce(events)` for each span of the inputs, in order: each span of a plain file that
        `jobs` processes read (`_split_events`), computed in the process that read it, so that
        only its result crosses to this one; every other input whole. Instead of iterating: the
        inputs are read once.

        With `program` (the caller's `program(metadata)` for each input, or None), where the C
        fold built (`native.fold`) and `node=` does not set the host: `reduce(events, folded)`,
        the candidate lines of vouched blocks going through the C fold first; those it takes are
        in `folded` (a `Folded`, complete once the events are), not among the events."""
        assert self._source is None, "a reader reads its inputs once"
        self._source = iter(())
        self._fold_lines = None if program is None or self.host_from_node else native.fold()
        if self._fold_lines is not None:
            self._program = program
        return self._pieces(reduce)

    def _pieces(self, reduce: Reduce | None) -> Iterator[Any]:
        for path in self.paths:
            yield from self._read_file(path, reduce)

    def _read_file(self, path: str, reduce: Reduce | None) -> Iterator[Any]:
        """The events of one input, or with `reduce` what it makes of each span (see map_spans)."""
        stream, raw = sources.open_binary(path)
        self.stats.files.append(path)
        is_stdin = path == sources.STDIN
        self._path, self._lineno = "stdin" if is_stdin else path, 0
        self._base = self._metadata(path)
        self._seen(self._base)
        self._folding = None if self._program is None else _prepared(self._program(self._base))
        self._line_test = None if self._line_program is None else _prepared(
            self._line_program(self._base), self._keys)  # events hold every field the reader extracts
        self._first_bad: BadLine | None = None
        records, blank = self.stats.events + self.stats.prefiltered, self.stats.blank
        position = _Position(raw, self.on_bytes)
        split = self.jobs > 1 and self.scanner is not None and not is_stdin and stream is raw
        spans = _spans(raw, self.jobs) if split else None
        if self.scanner is not None:
            self.scanner.expect(os.fstat(raw.fileno()).st_size if stream is raw and not is_stdin else None)
        # after open_binary: the errors of the inflate it chose
        unreadable: tuple[type[Exception], ...] = (OSError, EOFError, *native.inflate_errors())
        try:
            if spans:
                yield from self._split_events(path, spans, position, reduce)
            elif reduce is None:
                yield from self._stream_events(stream, position)
            else:
                yield self._reduced(reduce, self._stream_events(stream, position))
        except unreadable as exc:
            raise AuditInputError(f"cannot read ({_describe(exc)})", path=self._path,
                                  line=self._lineno + 1) from exc
        finally:
            self.stats.lines += self._lineno
            position.report()
            if not is_stdin:
                stream.close()
                raw.close()
        if self._lineno == 0:
            self.stats.empty_files.append(path)
        elif self._first_bad and self.stats.events + self.stats.prefiltered == records:
            lines, first = self._lineno - (self.stats.blank - blank), self._first_bad
            raise AuditInputError(f"none of its {lines} non-blank line(s) is an audit record (line "
                                  f"{first.line}: {first.reason}); is it an audit log?", path=self._path)

    def _metadata(self, path: str) -> dict[str, object]:
        """The input's fields for the events of one file (see the module docstring)."""
        described = self.dataset(path) if self.dataset is not None else {}
        known = {key: self.given[key] or described.get(key) for key in self.given}
        if not known["host"]:
            self.stats.machine_host.append(path)
        return {"host": known["host"] or machine_name(),
                "source": known["source"] or self._path,
                "sourcetype": known["sourcetype"] or SOURCETYPE, "index": self.index}

    def _seen(self, event: Mapping[str, object]) -> None:
        self.stats.inputs[tuple(str(event[key]) for key in METADATA)] = None

    def _stream_events(self, stream: _Reads, position: _Position | None) -> Iterator[dict[str, object]]:
        for block in _blocks(stream):
            if block is None:
                self._lineno += 1
                self._bad(TOO_LONG)
                continue
            count = None
            if self.scanner is not None and len(block) <= MAX_LINE:
                count = self.scanner.vouched(block)
                if count is not None:
                    found = self.scanner.matches(block)
                    data = bytes(block) if found else b""  # the lines are read from one copy, if any
                    yield from self._candidate_events(data, line_starts(data, found), count)
            if count is None:
                text, replaced = _decoded(block)
                if "\r" in text:
                    text = text.replace("\r\n", "\n").replace("\r", "\n")
                if replaced:
                    self._count_replaced(text)
                yield from self._block_events(text)
            if position is not None:
                position.report()

    def _split_events(self, path: str, spans: list[tuple[int, int]], position: _Position,
                      reduce: Reduce | None) -> Iterator[Any]:
        """The events of a plain file read by `jobs` forked processes, a span of whole lines
        each, about one span per process ahead (memory stays bounded, `workers.py`); the events,
        counts and line numbers come out exactly as one process gives them. With `reduce`, what
        it makes of each span's events, in the process that read them."""
        from linux_auditd_at.audit.workers import WorkerLost, ordered_map  # pickle: only when forking

        assert self.scanner is not None  # spans are read only with a scan
        self.scanner.prepare()
        work = reduce or list
        try:
            for part in ordered_map(lambda span: self._read_span(path, *span, work), spans, self.jobs):
                value = self._merged(part)
                position.report()
                if reduce is None:
                    yield from value
                else:
                    yield value
        except WorkerLost as exc:
            raise AuditInputError(f"cannot read ({exc})", path=self._path, line=self._lineno + 1) from exc

    def _merged(self, part: _Part) -> Any:
        """A span's result added to this reader's counts, its line numbers made the file's."""
        offset = self._lineno
        if part.error is not None:
            message, line = part.error
            raise AuditInputError(message, path=self._path, line=offset + line)
        stats, got = self.stats, part.stats
        shift = [BadLine(bad.path, bad.line + offset, bad.reason) for bad in got.examples]
        self._first_bad = self._first_bad or (shift[0] if shift else None)
        for bad in shift:
            stats.add_bad(bad)
        for bad in got.replaced_examples:
            stats.add_replaced(BadLine(bad.path, bad.line + offset, bad.reason))
        stats.non_audit += got.non_audit - len(got.examples)
        stats.replaced += got.replaced - len(got.replaced_examples)
        stats.blank += got.blank
        stats.events += got.events
        stats.prefiltered += got.prefiltered
        stats.interpreted += got.interpreted
        stats.inputs.update(got.inputs)
        self._lineno += part.lines
        return part.value

    def _read_span(self, path: str, start: int, end: int, reduce: Reduce) -> _Part:
        """What `reduce` makes of the events of bytes [start, end) of `path`, and the counts, lines
        numbered from 1 (in a worker)."""
        self.stats, self._lineno, self._first_bad = ReadStats(), 0, None
        try:
            with open(path, "rb") as raw:
                value = self._reduced(reduce, self._stream_events(_Span(raw, start, end), None))
        except AuditInputError as exc:
            return _Part(None, self.stats, self._lineno, (exc.message, exc.location.line or self._lineno))
        except OSError as exc:
            problem = (f"cannot read ({_describe(exc)})", self._lineno + 1)
            return _Part(None, self.stats, self._lineno, problem)
        return _Part(value, self.stats, self._lineno, None)

    def _reduced(self, reduce: Reduce, events: Iterator[dict[str, object]]) -> Any:
        """What `reduce` makes of a span's events: with a program, also of the lines the C fold
        takes while they are read."""
        if self._program is None:
            return reduce(events)
        tests = 0 if self._folding is None else len(self._folding[0][1])
        self._folded = Folded({}, [0] * (tests + 1))
        try:
            return reduce(events, self._folded)
        finally:
            self._folded = None

    def _candidate_events(self, block: str | bytes, starts: list[int],
                          count: int) -> Iterator[dict[str, object]]:
        """Events of a block of `count` lines that are all audit records (the scanner vouched for
        the bytes, or `block_is_records` for the text): only the lines starting at `starts` (those
        that may match) are offered to the prefilter, the others are counted as prefiltered; a
        line's number is worked out only when it is bad. While a program folds (`map_spans`), the
        lines the C fold takes are events folded or counted there; else, with a line program,
        the C pass builds the events of the lines it takes. Either way each line taken passes
        the prefilter: it passes the first search stage the prefilter is derived from, or the
        program's `kept` test."""
        first, prefilter, kept = self._lineno, self.prefilter, 0
        assert prefilter is not None  # candidates are picked only for a prefilter
        items: list = starts  # per line, its start, or (time, fields) of an event the C pass built
        if type(block) is bytes and starts:  # a vouched block: the C passes may read it
            if self._folded is not None and self._folding is not None:
                starts, kept = self._fold(block, starts)
                items = starts
            elif self._folded is None and self._line_test and self._build_events:
                (keys, (test,), keeps), required = self._line_test
                items = self._build_events(block, starts, keys, required, test, keeps)
        for start, item in zip(starts, items, strict=True):
            if type(item) is tuple:
                kept += 1
                yield self._event(item[1], item[0], False, partial(_line_from, block, start))
                continue
            line = _line_from(block, start)
            if prefilter(line):
                kept += 1
                event = self._parsed(line, partial(_line_at, block, first + 1, start))
                if event is not None:
                    yield event
        self.stats.prefiltered += count - kept
        self._lineno = first + count

    def _fold(self, block: bytes, starts: list[int]) -> tuple[list[int], int]:
        """The starts of the lines the C fold leaves, and how many it took (vouched bytes)."""
        assert self._folded is not None and self._folding is not None and self._fold_lines is not None
        program, required = self._folding
        left = self._fold_lines(block, starts, program, required, self._folded.groups, self._folded.passed)
        taken = len(starts) - len(left)
        self.stats.events += taken
        return left, taken

    def _block_events(self, block: str) -> Iterator[dict[str, object]]:
        """Events of a block of whole lines.

        When every line of the block is an audit record (`block_is_records`, counts over the
        block), the prefilter's rejects need no look of their own: they are counted, and only the
        lines it keeps are split into fields. With a `necessary` pattern only the lines holding a
        match are even offered to the prefilter. Otherwise each line is checked on its own, so
        that no bad line goes uncounted."""
        count = line_count(block)
        prefilter, first = self.prefilter, self._lineno
        if prefilter is None or len(block) > MAX_LINE or not block_is_records(block, count):
            yield from self._checked_lines(block)
            return
        necessary = self.necessary
        if necessary is not None and block.isascii():
            starts = line_starts(block, (m.start() for m in necessary.finditer(block.lower())))
            yield from self._candidate_events(block, starts, count)
            return
        lines = block.split("\n", count - 1)
        lines[-1] = lines[-1].rstrip("\n")
        kept = [(first + 1 + i, lines[i]) for i in compress(range(count), map(prefilter, lines))]
        self.stats.prefiltered += count - len(kept)
        for self._lineno, line in kept:
            event = self._parsed(line)
            if event is not None:
                yield event
        self._lineno = first + count

    def _count_replaced(self, block: str) -> None:
        """Count the lines of a block whose undecodable bytes became U+FFFD."""
        for number, line in enumerate(block.split("\n"), self._lineno + 1):
            if "\ufffd" in line:
                self.stats.add_replaced(BadLine(self._path, number, "bytes that are not UTF-8, replaced "
                                                                    "with U+FFFD"))

    def _checked_lines(self, block: str) -> Iterator[dict[str, object]]:
        lines = block.split("\n")
        if block[-1:] == "\n":
            lines.pop()
        stats, prefilter = self.stats, self.prefilter
        for line in lines:
            self._lineno += 1
            if not line or line == SEPARATOR_LINE:
                stats.blank += 1
            elif len(line) > MAX_LINE:
                self._bad(TOO_LONG)
            elif prefilter is not None and not prefilter(line):
                if (problem := record_problem(line)) is None:
                    stats.prefiltered += 1
                else:
                    self._bad(problem)
            elif (event := self._parsed(line)) is not None:
                yield event

    def _parsed(self, line: str, number: Callable[[], int] | None = None) -> dict[str, object] | None:
        """The event of one line, or None when it is not an audit record (counted, at line
        `number()` when given, else at the current line)."""
        parsed = self.parse(line)
        if isinstance(parsed, str):
            if number is not None:
                self._lineno = number()
            self._bad(parsed)
            return None
        time, fields, interpreted = parsed
        return self._event(fields, time, interpreted, lambda: line)

    def _event(self, fields: dict[str, str], time: float, interpreted: bool,
               line: Callable[[], str]) -> dict[str, object]:
        """The event of a record's fields and time (`line()` its text, read when `_raw` is kept)."""
        event: dict[str, object] = fields  # type: ignore[assignment]  # widened in place: no copy per event
        event.update(self._base)
        if self.host_from_node and "node" in event:
            event["host"] = event["node"]
            self._seen(event)
        if self.keep_raw:
            event["_raw"] = line()
        event["_time"] = time
        self.stats.events += 1
        self.stats.interpreted += interpreted
        return event

    def _bad(self, reason: str) -> None:
        if self.strict:
            raise AuditInputError(f"not an audit record: {reason}", path=self._path, line=self._lineno)
        bad = BadLine(self._path, self._lineno, reason)
        self._first_bad = self._first_bad or bad
        self.stats.add_bad(bad)


_BREAK = re.compile(rb"\r\n?|\n")
SPAN = 256 * CHUNK
"""Bytes (16 MiB) of a plain file one process reads at a time when several read it (--jobs)."""


class _Part(Struct, frozen=False):
    """What a worker read from one span: its events (or what `reduce` made of them), counts (lines
    numbered within the span), lines, or an error `(message, line in the span)` that ends the read."""

    value: Any
    stats: ReadStats
    lines: int
    error: tuple[str, int] | None


def _prepared(program: tuple | None, extra: tuple[str, ...] = ()) -> tuple[tuple, int] | None:
    """A program (its keys, then its tests: spl/fold_program.py) whose keys hold `extra` and `type`
    after its own (a line without `type` is not a record: left to the Python path, which says so),
    and the slot of `type`; None beyond what the C passes take (`native.fits`)."""
    if program is None:
        return None
    keys = (*dict.fromkeys((*program[0], *extra, "type")),)  # its own first: the tests number them
    return ((keys, *program[1:]), keys.index("type")) if native.fits(len(keys), len(program[1])) else None


def _spans(raw: io.BufferedReader, jobs: int) -> list[tuple[int, int]] | None:
    """[start, end) byte spans of about SPAN bytes (a multiple of CHUNK), each ending after the last
    `\\n` before a multiple of SPAN: where one process reading the whole file ends a block too, so
    with `_Span`'s reads the workers cut every block where one process would (the line reader's
    per-block checks then see the same blocks). None when the file is too small to be worth more
    processes or a span ends in no `\\n` (lines longer than CHUNK there)."""
    size = os.fstat(raw.fileno()).st_size
    if size < 2 * SPAN:
        return None
    cuts = [0]
    for grid in range(SPAN, size, SPAN):
        raw.seek(grid - CHUNK)
        found = raw.read(CHUNK).rfind(b"\n")
        if found < 0:
            raw.seek(0)
            return None
        cuts.append(grid - CHUNK + found + 1)
    raw.seek(0)
    return list(itertools.pairwise([*cuts, size]))


class _Span:
    """A file read from `start` to `end`, each read stopping at the next multiple of CHUNK, as the
    reads of one process over the whole file do."""

    def __init__(self, raw: io.BufferedReader, start: int, end: int):
        self.raw, self.at, self.end = raw, start, end
        raw.seek(start)

    def read(self, count: int) -> bytes:
        data = self.raw.read(self._allowed(count))
        self.at += len(data)
        return data

    def readinto(self, buffer: memoryview) -> int:
        got = self.raw.readinto(buffer[:self._allowed(len(buffer))])
        self.at += got
        return got

    def _allowed(self, count: int) -> int:
        """At most `count` bytes, up to the next multiple of CHUNK and the span's end."""
        grid = (self.at // CHUNK + 1) * CHUNK
        return max(0, min(count, grid - self.at, self.end - self.at))


class _Reads(Protocol):
    """What the block reader reads: a file, a decompressed stream or a `_Span`."""

    def read(self, size: int, /) -> bytes: ...
    def readinto(self, buffer: memoryview, /) -> int: ...


def _line_from(block: str | bytes, start: int) -> str:
    """The line starting at offset `start` of a block (of ASCII bytes, or text)."""
    if isinstance(block, str):
        end = block.find("\n", start)
        return block[start:end if end >= 0 else len(block)]
    end = block.find(b"\n", start)
    return block[start:end if end >= 0 else len(block)].decode("ascii")


def _line_at(block: str | bytes, first: int, start: int) -> int:
    """The number of the line starting at offset `start` of a block whose first line is `first`."""
    return first + (block.count("\n", 0, start) if isinstance(block, str) else block.count(b"\n", 0, start))


def _blocks(stream: _Reads) -> Iterator[memoryview | None]:
    """Blocks of whole lines (the last one may lack its line break), about CHUNK bytes each, or
    None in place of a line longer than MAX_LINE bytes, which is skipped without being held. A
    block ends after a `\\n`, or after a `\\r` when the data has no `\\n` (a log broken by `\\r`
    alone), never on a last `\\r` that may be half of `\\r\\n`.

    Each block is a view of one buffer the reads go into, released when the next is asked for:
    the reader is done with a block by then (`bytes(block)` keeps one). The scan and the block
    check read the view itself, so a block that holds no candidate line is never copied."""
    buffer = bytearray(2 * CHUNK)
    view = memoryview(buffer)
    held = 0  # the start of a line the last block left, at the start of the buffer
    while True:
        if held + CHUNK > len(buffer):  # a line longer than CHUNK so far
            view.release()
            buffer.extend(bytes(CHUNK))
            view = memoryview(buffer)
        got = stream.readinto(view[held:held + CHUNK])
        end = held + got
        if not got:
            if held:
                yield from _released(view[:held])
            return
        cut = buffer.rfind(b"\n", 0, end) + 1 or buffer.rfind(b"\r", 0, end - 1) + 1
        if cut:
            yield from _released(view[:cut])
            buffer[:end - cut] = buffer[cut:end]
        held = end - cut
        if held > MAX_LINE:
            yield None
            rest = _skip_line(stream)
            buffer[:len(rest)] = rest
            held = len(rest)


def _released(block: memoryview) -> Iterator[memoryview]:
    """`block`, released once the reader asks for what comes after it."""
    with block:
        yield block


def _decoded(data: bytes | memoryview) -> tuple[str, bool]:
    """The text of some bytes, and whether bytes that are not UTF-8 had to be replaced (U+FFFD,
    as Splunk does). Valid UTF-8, nearly every block, is decoded once."""
    try:
        return str(data, "utf-8"), False
    except UnicodeDecodeError:
        return str(data, "utf-8", "replace"), True


def _skip_line(stream: _Reads) -> bytes:
    """Read past the end of the current line; what follows its line break."""
    while True:
        data = stream.read(CHUNK)
        if not data:
            return b""
        if found := _BREAK.search(data):
            rest = data[found.end():]
            if found.group() == b"\r" and not rest:  # the \n of a \r\n may come with the next read
                rest = stream.read(CHUNK)
                rest = rest[1:] if rest[:1] == b"\n" else rest
            return rest


class _Position:
    """Reports bytes consumed from the underlying file, for a progress bar (quiet on pipes)."""

    def __init__(self, raw: io.BufferedReader, on_bytes: Callable[[int], None] | None):
        self.raw, self.on_bytes, self.last = raw, on_bytes, 0
        if on_bytes is not None and not raw.seekable():
            self.on_bytes = None

    def report(self) -> None:
        if self.on_bytes is None or self.raw.closed:
            return
        now = self.raw.tell()
        if now > self.last:
            self.on_bytes(now - self.last)
            self.last = now


def _describe(exc: BaseException) -> str:
    import gzip  # a read error is rare; most logs are plain

    if isinstance(exc, (gzip.BadGzipFile, *native.inflate_errors())):
        return f"corrupt gzip data: {exc}"
    if isinstance(exc, EOFError):
        return f"truncated gzip file: {exc}"
    return str(exc)

