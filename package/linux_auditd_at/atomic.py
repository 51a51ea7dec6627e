"""Replacing a file so that a reader sees the old content or the new, never a part or nothing.

    with locked(path):                  # concurrent writers of `path` take turns
        old = read_text(path)           # re-read under the lock: another writer may have changed it
        replace(path, new_bytes)

`replace` writes a temporary file with a unique name in the target's folder, created with
O_EXCL|O_NOFOLLOW (a planted file or symlink of that name is never written through), fsyncs it,
renames it over the target with os.replace (the old file is never removed first, so a kill at any
moment leaves the old file or the new one) and fsyncs the folder so the rename survives a crash.
`locked` holds fcntl.flock on `.<name>.lock` beside the target, also opened with O_NOFOLLOW. The
lock is advisory: it orders our writers, not an editor. Failures raise OutputError naming the file.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from linux_auditd_at.errors import OutputError

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _failure(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write: {exc.strerror or exc}", path=str(path))


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock for changing `path`, held until the block ends."""
    lock = path.with_name(f".{path.name}.lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _failure(lock, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_text(path: Path) -> str | None:
    """The file's text (UTF-8), None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def replace(path: Path, data: bytes) -> None:
    """Put `data` at `path` atomically and durably (the mode of a file it replaces is kept)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        mode = _mode_of(path)
        fd = os.open(temp, _NEW_FILE, mode)
    except OSError as exc:
        raise _failure(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _failure(path, exc) from exc
        raise
    _sync_folder(path.parent)


def _mode_of(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o644


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
