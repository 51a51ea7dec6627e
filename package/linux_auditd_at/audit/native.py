"""The optional native libraries of the read path, each with a stdlib stand-in that gives the same
results (the tests hold each pair equal):

| package | does | stand-in |
|---|---|---|
| hyperscan | the block scan (`scan.py`) | `re` |
| stringzilla | SIMD counts of a byte string in a block; the first of a set of bytes | `bytes.count`; `in` |
| isal (python-isal) | gzip inflate, about 3x zlib's | `gzip` |
| ours: `_lines.c` (install) | a line's stamp and fields; a search's fold; the block check | Python |

Wheels: hyperscan for x86_64 Linux and macOS arm64; stringzilla and isal for x86_64 and aarch64
Linux and macOS. `_lines` is compiled when the package is installed, where a C compiler and the
Python headers are (setup.py: an optional extension, the install goes on without it).

`LINUX_AUDITD_AT_SCANNER=re` asks for the stdlib alone (what runs where no wheel exists);
`hyperscan` or unset: each library that can be imported. Each is imported on first use, never at
start-up.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import zlib
from collections.abc import Callable
from typing import Any

ENGINE_VARIABLE = "LINUX_AUDITD_AT_SCANNER"


def stdlib_only() -> bool:
    """Whether the stdlib alone is asked for."""
    return os.environ.get(ENGINE_VARIABLE) == "re"


def installed(module: str) -> bool:
    """Whether the native `module` is to be used: importable, and the stdlib alone not asked for."""
    return not stdlib_only() and importlib.util.find_spec(module) is not None


def tally() -> Callable[[bytes, bytes], int]:
    """Counts a byte string in a bytes block: StringZilla's count, else `bytes.count`."""
    if not installed("stringzilla"):
        return bytes.count
    import stringzilla

    return stringzilla.count


_NOT_PLAIN = b"\r\x00" + bytes(range(0x80, 0x100))


def plain() -> Callable[[bytes], bool]:
    """Whether a block holds only ASCII bytes and no `\\r` nor NUL: one SIMD pass for the first of
    those bytes (StringZilla's find_first_of), else the stdlib's three passes."""
    if not installed("stringzilla"):
        return stdlib_plain
    from stringzilla import find_first_of

    return lambda block: find_first_of(block, _NOT_PLAIN) < 0


def stdlib_plain(block: bytes) -> bool:
    """`plain` with the stdlib alone."""
    return block.isascii() and b"\r" not in block and b"\x00" not in block


LineRecord = Callable[[str, tuple[str, ...]], tuple[float | None, dict[str, str]] | None]


def line_record() -> LineRecord | None:
    """`_lines.record(line, keys)`: `record.stamp_time(line)`'s epoch (None without a stamp) and
    `record.extract_fields(line)` restricted to `keys`, or None for a line that is not ASCII (or
    more than 64 keys); None where the extension did not build."""
    return _extension("record")


Fold = Callable[[bytes, list[int], tuple, int, dict, list[int]], list[int]]


def fold() -> Fold | None:
    """`_lines.fold(block, starts, program, required, groups, passed)`: a search's tests and stats
    run on the lines of a vouched block starting at `starts` (the program: spl/fold_program.py),
    each line that passes every test added to `groups`, each line it takes counted in
    `passed[tests passed]`; the starts of the lines it leaves (no stamp, no key
    `program[0][required]`, outside the time range, failing the first test and `kept`). None
    where the extension did not build or the stdlib alone is asked for."""
    return _extension("fold")


def fits(keys: int, tests: int) -> bool:
    """Whether a program of `keys` keys and `tests` tests is within what `fold` and `events` take
    (`_lines.MAX_KEYS`, `_lines.MAX_TESTS`)."""
    most_keys, most_tests = _extension("MAX_KEYS"), _extension("MAX_TESTS")
    return most_keys is not None and keys <= most_keys and tests <= most_tests


Events = Callable[[bytes, list[int], tuple, int, object, object], list]


def events() -> Events | None:
    """`_lines.events(block, starts, keys, required, test, kept)`: per line of a vouched block
    starting at `starts`, (epoch, the `keys` it holds) when it has a stamp and key
    `keys[required]` and passes `test` or `kept` (spl/fold_program.py's line program), else its
    start. None where the extension did not build or the stdlib alone is asked for."""
    return _extension("events")


def vouch() -> Callable[[bytes], int] | None:
    """`_lines.vouch(block)`: scan.Scanner's block check in one AVX2 pass (the line count, or -1
    where it does not vouch); None where the extension did not build, the CPU lacks AVX2 (x86_64
    only) or the stdlib alone is asked for."""
    return _extension("vouch")


def _extension(name: str) -> Any:
    """The C extension's function `name`, or None where the extension did not build, lacks it (a
    CPU without AVX2 has no `vouch`) or the stdlib alone is asked for."""
    if not installed("linux_auditd_at.audit._lines"):
        return None
    from linux_auditd_at.audit import _lines

    return getattr(_lines, name, None)


def gzip_stream(raw: io.BufferedReader) -> io.BufferedIOBase:
    """The decompressed stream of a gzip file: python-isal's inflate, else the stdlib's."""
    if not installed("isal"):
        import gzip  # here, not at start-up: most logs are plain

        return gzip.GzipFile(fileobj=raw, mode="rb")
    from isal import igzip

    return igzip.IGzipFile(fileobj=raw, mode="rb")


def inflate_errors() -> tuple[type[Exception], ...]:
    """What corrupt deflate data raises (besides gzip.BadGzipFile, an OSError, and EOFError when
    it is cut short): zlib's error, and python-isal's once it is in use."""
    isal = sys.modules.get("isal.isal_zlib")
    return (zlib.error,) if isal is None else (zlib.error, isal.error)
