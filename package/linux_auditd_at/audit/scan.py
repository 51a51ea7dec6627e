"""One byte-level pass over a block of whole log lines: which lines may match the search, and
whether every line is a plain audit record the pass may vouch for.

    scanner = Scanner(needles, necessary)      # from the search's raw-line prefilter
    found = scanner.candidates(block)          # (lines, sorted start offsets), or None: line by line
    lines = scanner.vouched(view)              # the same in two steps, on a view of the read buffer
    offsets = scanner.matches(view)            # (the reader copies the block only when there are some)

A needle is `(key, pieces, lead, trail)`: the line holds `key=` at a key start (line start,
whitespace, 0x1d or `'`), `"` optional, then the value's `*`-free pieces in order (`lead`: the
first piece starts the value; `trail`: the last one ends it), all without case; `key` None: the
first piece anywhere (a bare term). A line the search can match holds at least one needle (the
prefilter guarantees it for ASCII lines), so every other line is counted as prefiltered unseen.

`candidates` vouches for a block only when it is ASCII, has no `\\r` nor NUL byte, and every line
of it holds a stamp as auditd writes it (`record.stamped_lines`: a ` msg=audit(` and a `): ` on
each line); otherwise it returns None and the reader takes that block line by line, so every
blank, stampless, non-UTF-8 or otherwise odd line is counted and named there, and the formats
`formats.py` knows (syslog headers, `ausearch -i`) are left to the reader.

The check is the line reader's own (`record.block_is_records`: the same counts and no NUL, on the
text that ASCII bytes without `\\r` decode to), so a block is vouched for exactly when the line
reader would take its fast path; this keeps the counts of every path equal, down to the lines
that check cannot see (a stamped line without `type=` is "prefiltered" in a vouched block either
way).

Engines (`LINUX_AUDITD_AT_SCANNER=hyperscan|re` picks one; default: hyperscan when importable):
- hyperscan (Intel's multi-pattern matcher, PyPI wheels for x86_64 Linux and macOS arm64): one
  scan per block finds the needles without case.
- re (the stdlib fallback, e.g. where no wheel exists): the prefilter's `necessary` regex over the
  lower-cased block. It also scans a plain file smaller than SMALL where hyperscan is chosen
  (`Scanner.expect`): there hyperscan's import and compile cost more than its faster scan saves.
The block check (the bytes that keep a block from the scan, the lines, the stamps and their ends)
is one AVX2 pass of the C extension where it built and the CPU has AVX2 (`native.vouch()`), else
a SIMD pass for those bytes (`native.plain()`) and three counts (`native.tally()`: StringZilla's
SIMD count, the same numbers as `bytes.count`, which stands in where the wheel is missing or the
stdlib alone is asked for; `native.py`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, AnyStr, NamedTuple, Protocol, runtime_checkable

from linux_auditd_at.audit import native
from linux_auditd_at.audit.record import stamped_lines

if TYPE_CHECKING:
    import hyperscan

_DELIMITERS = "\\t\\x0b\\x0c\\r\\x1c-\\x1f '\""  # where a value ends (and \\n: `$` in multiline mode)
_KEY_STARTS = "\\t\\x0b\\x0c\\r\\x1c-\\x1f '"


class Needle(NamedTuple):
    key: str | None  # a regex for the lower-cased key, or None for text anywhere
    pieces: tuple[str, ...]
    lead: bool
    trail: bool


NeedleData = tuple[str | None, tuple[str, ...], bool, bool]


@runtime_checkable
class Announcing(Protocol):
    """A raw-line prefilter that announces what every line it keeps holds (spl/prefilter.py's
    `Prefilter`): `keep` is the test itself, called per line."""

    @property
    def keep(self) -> Callable[[str], bool]: ...
    @property
    def necessary(self) -> re.Pattern[str]: ...
    @property
    def needles(self) -> Sequence[NeedleData]: ...


Tally = Callable[[bytes, bytes], int]
"""Counts a byte string in a block: `bytes.count`, or a native count giving the same numbers."""


def line_count(block: AnyStr, tally: Tally = bytes.count) -> int:
    """The lines of a block of whole lines (the last one may lack its line break); `tally` counts
    them in a bytes block."""
    if isinstance(block, str):
        return block.count("\n") + (not block.endswith("\n"))
    return tally(block, b"\n") + (not block.endswith(b"\n"))


def line_starts(block: AnyStr, offsets: Iterable[int]) -> list[int]:
    """The sorted start offsets of the lines of `block` holding the given offsets (no match spans
    a line break, so a match's start or end names its line)."""
    newline = b"\n" if isinstance(block, bytes) else "\n"
    return sorted({block.rfind(newline, 0, at) + 1 for at in offsets})


def _literal(text: str) -> str:
    """Text as a hyperscan literal: every byte of it escaped."""
    return "".join(f"\\x{byte:02x}" for byte in text.encode("utf-8"))


def needle_pattern(needle: Needle) -> str:
    """The hyperscan pattern of a needle (caseless, multiline); no match spans a line break."""
    gap = '[^"\\n]*' if needle.key is not None else "[^\\n]*"
    body = gap.join(_literal(piece) for piece in needle.pieces)
    if needle.key is None:
        return body
    body = body if needle.lead else gap + body
    end = f"(?:[{_DELIMITERS}]|#035|$)" if needle.trail and needle.pieces else ""
    return f"(?:^|[{_KEY_STARTS}]|#035){needle.key}=\"?{body}{end}"


class _Hyperscan:
    def __init__(self, needles: Sequence[NeedleData]):
        self.needles = [Needle(*n) for n in needles]
        self.database: hyperscan.Database | None = None

    def _compile(self) -> hyperscan.Database:
        import hyperscan  # here, not at start-up: a run over no data never needs it

        patterns = [needle_pattern(n).encode() for n in self.needles]
        flags = [hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_CASELESS] * len(self.needles)
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(expressions=patterns, ids=list(range(len(patterns))), elements=len(patterns),
                         flags=flags)
        return database

    def prepare(self) -> hyperscan.Database:
        self.database = self.database or self._compile()
        return self.database

    def matches(self, block: bytes | memoryview) -> list[int]:
        database = self.prepare()
        ends: list[int] = []

        def on_match(pattern: int, start: int, end: int, flags: int, context: object) -> None:
            ends.append(end)

        database.scan(block, match_event_handler=on_match)
        return ends


class _Re:
    def __init__(self, necessary: re.Pattern[str]):
        self.pattern = re.compile(necessary.pattern.encode("utf-8"), necessary.flags & ~re.UNICODE)

    def prepare(self) -> re.Pattern[bytes]:
        return self.pattern

    def matches(self, block: bytes | memoryview) -> list[int]:
        return [m.start() for m in self.pattern.finditer(bytes(block).lower())]


def chosen_engine() -> str | None:
    """The engine `LINUX_AUDITD_AT_SCANNER` asks for, else None."""
    chosen = os.environ.get(native.ENGINE_VARIABLE, "")
    return chosen if chosen in ("hyperscan", "re") else None


def engine_name() -> str:
    """The engine in use: the variable's choice, else hyperscan when it can be imported, else re."""
    return chosen_engine() or ("hyperscan" if native.installed("hyperscan") else "re")


SMALL = 16 << 20
"""Bytes of a plain file below which hyperscan is not worth its start: importing and compiling it
takes about 27 ms here, and it scans a 64 KiB block about 25 us faster than `re` (256 blocks:
6 ms)."""


class Scanner:
    """The scan for one search (see the module docstring)."""

    def __init__(self, needles: Sequence[NeedleData], necessary: re.Pattern[str], engine: str | None = None):
        self.engine = engine or engine_name()
        self._by_size = not engine and chosen_engine() is None  # asked for no engine: expect() picks
        self._hyperscan = _Hyperscan(needles) if self.engine == "hyperscan" else None
        self._necessary = necessary
        self._re: _Re | None = None
        self._impl: _Hyperscan | _Re = self._hyperscan or self._stdlib()
        stdlib = engine == "re" if engine else native.stdlib_only()
        self.tally: Tally = bytes.count if stdlib else native.tally()
        self.plain: Callable[[bytes], bool] = native.stdlib_plain if stdlib else native.plain()
        self._vouch = None if stdlib else native.vouch()

    def _stdlib(self) -> _Re:
        self._re = self._re or _Re(self._necessary)
        return self._re

    def expect(self, size: int | None) -> None:
        """The input about to be scanned: a plain file of `size` bytes, or None (a stream, whose
        size is not known). Where hyperscan is the default (no engine asked for), a file smaller
        than SMALL is scanned with `re` (the same lines: the tests hold the engines equal), a
        larger one or a stream with hyperscan."""
        if self._hyperscan is not None and self._by_size:
            self._impl = self._stdlib() if size is not None and size < SMALL else self._hyperscan

    def prepare(self) -> None:
        """Import and compile what the scan needs now (it does so at the first block otherwise):
        before forking readers, so that no child imports (a child forked while another thread
        held the import lock would wait for it forever)."""
        self._impl.prepare()

    def vouched(self, block: bytes | memoryview) -> int | None:
        """The line count of a block the scan vouches for (plain audit lines, see the module
        docstring), else None: one SIMD pass where the C extension has it (`native.vouch`: AVX2),
        else the plain-bytes check and the three counts."""
        if self._vouch is not None:
            lines = self._vouch(block)
            return lines if lines >= 0 else None
        data = bytes(block)
        if not self.plain(data):
            return None
        lines = line_count(data, self.tally)
        return lines if stamped_lines(data, lines, self.tally) else None

    def matches(self, block: bytes | memoryview) -> list[int]:
        """Offsets of the needles found in a block, in no order; each names the line that holds
        it (`line_starts`). A view is scanned as it is: the block is copied only where its lines
        are read."""
        return self._impl.matches(block)

    def candidates(self, block: bytes) -> tuple[int, list[int]] | None:
        """The block's line count and the start offsets of the lines that may match, or None when
        the scan does not vouch for the block (`vouched`)."""
        lines = self.vouched(block)
        return None if lines is None else (lines, line_starts(block, self.matches(block)))
