"""Raw audit logs to Splunk-shaped events, streamed one line at a time.

Each line is one event, as Splunk indexes `linux:audit`: `_raw`, `_time` (from
`msg=audit(EPOCH:SERIAL)`), `host`, `source`, `sourcetype`, `index` and the auto-KV fields
(`record.py`). Bytes are decoded as UTF-8 with replacement characters, as Splunk does; a line break
is `\\n`, `\\r\\n` or `\\r` (Splunk's default LINE_BREAKER `([\\r\\n]+)`), and blank lines are no events.

`host`: the line's `node=` prefix, else `host=` given by the caller (`--host`), else the dataset
metadata YAML next to the log (`metadata.py`), else this machine's name.
`source`: the metadata's `source` when the log is a described dataset (what a replay indexes it
under), else the path as given, `stdin` for `-`.

Nothing is dropped silently: a line that is not an audit record (no `msg=audit(...)` stamp, no
`type=`, truncated, or longer than MAX_LINE characters, which no auditd record is: the kernel caps
a record near 9 KiB) is counted in `ReadStats` with its file:line, or raises `AuditInputError`
under `strict=True`. With a `prefilter` (the engine's raw-line test), lines it rejects are never
split into fields; they are only checked for the `msg=audit(` stamp so that garbage is still
counted. Memory stays flat: one line at a time, long lines read in MAX_LINE pieces.
"""

from __future__ import annotations

import gzip
import io
import socket
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from linux_auditd_at.audit import sources
from linux_auditd_at.audit.metadata import dataset_info
from linux_auditd_at.audit.record import parse_record
from linux_auditd_at.errors import AuditInputError

SOURCETYPE = "linux:audit"
DEFAULT_INDEX = "main"
MAX_LINE = 1 << 20
EXAMPLES = 5
_PROGRESS_EVERY = 16384


@dataclass(frozen=True)
class BadLine:
    """A line that is not an audit record: where it is and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class ReadStats:
    """What the reader saw: every line is an event, prefiltered, blank, or counted as non-audit."""

    files: list[str] = field(default_factory=list)
    empty_files: list[str] = field(default_factory=list)
    lines: int = 0
    blank: int = 0
    events: int = 0
    prefiltered: int = 0
    non_audit: int = 0
    examples: list[BadLine] = field(default_factory=list)

    def add_bad(self, bad: BadLine) -> None:
        self.non_audit += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(bad)

    def warning(self) -> str | None:
        """One line for stderr when some lines were not audit records, else None."""
        if not self.non_audit:
            return None
        return (f"{self.non_audit} line(s) were not audit records and were skipped; "
                f"first: {self.examples[0]}")


class AuditReader:
    """Iterate the events of one or more logs (paths, globs, rotated sets, `.gz`, `-` for stdin)."""

    def __init__(self, paths: list[str], *, host: str | None = None, index: str = DEFAULT_INDEX,
                 prefilter: Callable[[str], bool] | None = None, strict: bool = False,
                 on_bytes: Callable[[int], None] | None = None):
        self.paths = sources.expand(paths or [sources.STDIN])
        self.host, self.index, self.prefilter, self.strict = host, index, prefilter, strict
        self.on_bytes = on_bytes
        self.stats = ReadStats()

    def __iter__(self) -> Iterator[dict[str, object]]:
        for path in self.paths:
            yield from self._read_file(path)

    def _read_file(self, path: str) -> Iterator[dict[str, object]]:
        stream, raw = sources.open_binary(path)
        self.stats.files.append(path)
        info = dataset_info(path) if path != sources.STDIN else None
        host = self.host or (info and info.host) or socket.gethostname()
        source = (info and info.source) or ("stdin" if path == sources.STDIN else path)
        base = {"host": host, "source": source, "sourcetype": SOURCETYPE, "index": self.index}
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=None)
        position = _Position(raw, self.on_bytes)
        prefilter, stats = self.prefilter, self.stats
        lineno = 0
        try:
            readline = text.readline
            while True:
                try:
                    line = readline(MAX_LINE)
                except (OSError, EOFError, zlib.error) as exc:
                    raise AuditInputError(f"cannot read ({_describe(exc)})", path=path,
                                          line=lineno + 1) from exc
                if not line:
                    break
                lineno += 1
                if lineno % _PROGRESS_EVERY == 0:
                    position.report()
                if line[-1] == "\n":
                    line = line[:-1]
                elif len(line) == MAX_LINE:
                    self._skip_rest(readline, path, lineno)
                    self._bad(path, lineno, f"line longer than {MAX_LINE} characters")
                    continue
                if not line:
                    stats.blank += 1
                    continue
                if prefilter is not None and not prefilter(line):
                    if "msg=audit(" in line:
                        stats.prefiltered += 1
                    else:
                        self._bad(path, lineno, "no msg=audit(EPOCH:SERIAL) stamp")
                    continue
                parsed = parse_record(line)
                if isinstance(parsed, str):
                    self._bad(path, lineno, parsed)
                    continue
                time, event = parsed
                event.update(base)
                if line.startswith("node=") and "node" in event:
                    event["host"] = event["node"]
                event["_raw"] = line
                event["_time"] = time
                stats.events += 1
                yield event
        finally:
            stats.lines += lineno
            position.report()
            if path == sources.STDIN:
                text.detach()
            else:
                text.close()
                raw.close()
        if lineno == 0:
            stats.empty_files.append(path)

    def _skip_rest(self, readline: Callable[[int], str], path: str, lineno: int) -> None:
        while True:
            try:
                piece = readline(MAX_LINE)
            except (OSError, EOFError, zlib.error) as exc:
                raise AuditInputError(f"cannot read ({_describe(exc)})", path=path, line=lineno) from exc
            if not piece or piece[-1] == "\n":
                return

    def _bad(self, path: str, lineno: int, reason: str) -> None:
        bad = BadLine(path, lineno, reason)
        if self.strict:
            raise AuditInputError(f"not an audit record: {reason}", path=path, line=lineno)
        self.stats.add_bad(bad)


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
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"corrupt gzip data: {exc}"
    if isinstance(exc, EOFError):
        return f"truncated gzip file: {exc}"
    return str(exc)

