"""Which files to read, in which order, and how to open each one (plain, gzip or stdin).

Globs are expanded here (so they also work where no shell expands them). A rotated set is read
oldest first, the way auditd wrote it: `audit.log.3, audit.log.2, audit.log.1, audit.log`
(also with `.gz` on rotated members), whatever order the shell listed them in. Compressed input is
recognised by its gzip magic bytes, not by its name, and inflated by `native.gzip_stream`
(python-isal where installed, about 3x the stdlib's zlib; one stream, never split across processes).
"""

from __future__ import annotations

import glob
import io
import os
import re
import stat
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from linux_auditd_at.audit import native
from linux_auditd_at.errors import AuditInputError

STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"
_ROTATED = re.compile(r"^(?P<base>.+?)(?:\.(?P<n>\d+))?(?:\.gz)?\Z", re.DOTALL)


def expand(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Expand globs, refuse what cannot be read as a log, and put rotated sets oldest first. A name
    that exists as written is that file, even if it looks like a glob (`bracket[1].log`). Data
    named twice (`audit.log audit.log*`, a symlink, a hard link, `- /dev/stdin`) is read once,
    under its first name: an input does not index the same data twice. Returns the paths and the
    (repeated name, first name) pairs, for a note."""
    expanded: list[str] = []
    for path in paths:
        if path != STDIN and glob.has_magic(path) and not os.path.lexists(path):
            matches = sorted(glob.glob(path))
            if not matches:
                raise _no_match(path)
            expanded.extend(matches)
        else:
            expanded.append(path)
    first: dict[tuple, str] = {}
    unique, repeated = [], []
    for path in expanded:
        identity = _identity(path)
        if identity in first:
            if path != first[identity]:  # a glob listing a file named before needs no note
                repeated.append((path, first[identity]))
        else:
            first[identity] = path
            unique.append(path)
    return _rotation_order(unique), repeated


def _no_match(pattern: str) -> AuditInputError:
    """Why a glob matched nothing: the folder it lists cannot be read (/var/log/audit for a user
    who is not root: glob sees no files there), else no file matches."""
    parts = Path(pattern).parts
    fixed = next(number for number, part in enumerate(parts) if glob.has_magic(part))
    folder = str(Path(*parts[:fixed])) if fixed else "."
    try:
        os.listdir(folder)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return AuditInputError(f"{exc.strerror or exc}, so no file of {pattern} can be found", path=folder)
    return AuditInputError("no file matches this pattern", path=pattern)


def _identity(path: str) -> tuple:
    """(device, inode) of the data `path` names (stdin's own when it is a file or pipe); raises
    AuditInputError for what cannot be read as a log."""
    try:
        if path == STDIN:
            return _stdin_identity()
        status = os.stat(path)
    except FileNotFoundError as exc:
        raise AuditInputError("no such file", path=path) from exc
    except OSError as exc:
        raise AuditInputError(exc.strerror or str(exc), path=path) from exc
    if stat.S_ISDIR(status.st_mode):
        raise AuditInputError("is a directory; name the log files in it (for example DIR/audit.log*)",
                              path=path)
    return status.st_dev, status.st_ino


def _stdin() -> TextIO:
    if sys.stdin is None:  # the process was started with its stdin closed
        raise AuditInputError("stdin is closed; name the log files instead", path=STDIN)
    return sys.stdin


def _stdin_identity() -> tuple:
    try:
        status = os.fstat(_stdin().fileno())
    except (OSError, ValueError):  # a stream without a file descriptor (an embedding program's)
        return (STDIN,)
    return status.st_dev, status.st_ino


def _rotation_order(paths: list[str]) -> list[str]:
    """Stable reorder: members of one rotated set together, highest rotation number (oldest) first."""
    first_seen: dict[str, int] = {}
    keys = []
    for index, path in enumerate(paths):
        match = _ROTATED.match(path)
        assert match is not None  # `.+?` takes any non-empty path
        base, number = match["base"], int(match["n"] or 0)
        first_seen.setdefault(base, index)
        keys.append((first_seen[base], -number, index))
    return [path for _, path in sorted(zip(keys, paths, strict=True))]


def open_binary(path: str) -> tuple[io.BufferedIOBase, io.BufferedReader]:
    """`(stream, underlying)`: the decompressed byte stream, and the file whose position counts
    bytes actually read (for the progress bar)."""
    if path == STDIN:
        given: BinaryIO = _stdin().buffer
    else:
        try:
            given = open(path, "rb")  # noqa: SIM115 - closed by the reader
        except OSError as exc:
            raise AuditInputError(exc.strerror or str(exc), path=path) from exc
    if isinstance(given, io.BufferedReader):
        raw = given
    else:  # an embedding program's stdin buffer: any binary stream with readinto
        raw = io.BufferedReader(given)
    if raw.peek(2)[:2] == GZIP_MAGIC:
        return native.gzip_stream(raw), raw
    return raw, raw


def total_size(paths: list[str]) -> int | None:
    """Bytes on disk of all inputs (compressed size for .gz), None when stdin is one of them:
    the total of a progress bar fed by the reader's `on_bytes`."""
    expanded, _ = expand(paths or [STDIN])
    return None if STDIN in expanded else sum(Path(path).stat().st_size for path in expanded)
