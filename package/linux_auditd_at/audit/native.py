"""The optional native libraries of the read path, each with a stdlib stand-in that gives the same
results (the tests hold each pair equal):

| PyPI package | does | stand-in | wheels |
|---|---|---|---|
| hyperscan | the block scan (`scan.py`) | `re` | x86_64 Linux, macOS arm64 |
| stringzilla | SIMD counts of a byte string in a block | `bytes.count` | x86_64 and aarch64 Linux, macOS |
| isal (python-isal) | gzip inflate, about 3x zlib's | `gzip` | x86_64 and aarch64 Linux, macOS |

`LINUX_AUDITD_AT_SCANNER=re` asks for the stdlib alone (what runs where no wheel exists);
`hyperscan` or unset: each library that can be imported. Each is imported on first use, never at
start-up.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import sys
import zlib
from collections.abc import Callable

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


def gzip_stream(raw: io.BufferedReader) -> io.BufferedIOBase:
    """The decompressed stream of a gzip file: python-isal's inflate, else the stdlib's."""
    if not installed("isal"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    from isal import igzip

    return igzip.IGzipFile(fileobj=raw, mode="rb")


def inflate_errors() -> tuple[type[Exception], ...]:
    """What corrupt deflate data raises (besides gzip.BadGzipFile, an OSError, and EOFError when
    it is cut short): zlib's error, and python-isal's once it is in use."""
    isal = sys.modules.get("isal.isal_zlib")
    return (zlib.error,) if isal is None else (zlib.error, isal.error)
