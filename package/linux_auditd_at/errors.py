"""User-facing errors: each says where the problem is (file and line, conf stanza and key, SPL position).

Every error carries one `Location`, and the error formats it once: `path:line, [stanza], key:
message`, with what is unknown left out, and an SPL error quotes the SPL around its position.
The CLI prints them as one line and exits with the error's `exit_code` (the `ExitCode` table);
anything else escaping is a bug in the toolkit.
"""

from __future__ import annotations

from enum import IntEnum

from linux_auditd_at.structs import Struct


class ExitCode(IntEnum):
    """Every exit status of the toolkit's programs (ksconf's consts.py style)."""

    OK = 0
    FAILED = 1
    """The verb ran and found a problem: lint findings, data not ready, a replay that failed,
    or the reader of our output went away."""
    INPUT_ERROR = 2
    """Bad input, configuration or environment (a ToolkitError), or bad arguments (argparse's own)."""
    INTERRUPTED = 130
    """Ctrl-C, SIGTERM or SIGHUP (128 + SIGINT, as shells report it)."""


class Location(Struct):
    """Where a problem is; every part is optional."""

    path: str | None = None
    line: int | None = None
    stanza: str | None = None
    key: str | None = None
    position: int | None = None
    """A 0-based offset in the (expanded) SPL."""

    def __str__(self) -> str:
        """`path:line, [stanza], key` with the unknown parts left out (the position is the SPL
        error's to quote)."""
        file = f"{self.path}:{self.line}" if self.path and self.line else self.path
        return ", ".join(p for p in (file, f"[{self.stanza}]" if self.stanza else None, self.key) if p)


def located(message: str, location: Location) -> str:
    """`message` prefixed with where it happened, if known."""
    where = str(location)
    return f"{where}: {message}" if where else message


def one_line(message: str) -> str:
    """`message` for one stderr line: line breaks and other control characters (a file name may
    hold them) shown as escapes, `\\n`, `\\x1b`."""
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1] for char in message)


class ToolkitError(Exception):
    """Base for problems in the user's input, configuration or environment."""

    exit_code: int = ExitCode.INPUT_ERROR

    def __init__(self, message: str, *, location: Location | None = None):
        self.message, self.location = message, location or Location()
        super().__init__(self.formatted())

    def formatted(self) -> str:
        """The one-line text the CLI prints."""
        return located(self.message, self.location)

    @property
    def path(self) -> str | None:
        return self.location.path

    @property
    def position(self) -> int | None:
        return self.location.position


class ConfError(ToolkitError):
    """A .conf file is missing, unreadable, or lacks a stanza or key we need."""

    def __init__(self, message: str, *, path: str | None = None, stanza: str | None = None,
                 key: str | None = None):
        super().__init__(message, location=Location(path=path, stanza=stanza, key=key))


class SPLError(ToolkitError):
    """SPL that cannot be parsed or evaluated; `position` is a 0-based offset in the expanded SPL."""

    def __init__(self, message: str, *, spl: str | None = None, position: int | None = None):
        self.spl = spl
        super().__init__(message, location=Location(position=position))

    def formatted(self) -> str:
        position, spl = self.location.position, self.spl
        if spl is None or position is None:
            return self.message
        return f"{self.message} at position {position}: ...{spl[max(0, position - 20):position + 20]!r}"


class UnsupportedSPLError(SPLError):
    """Valid SPL that the offline engine cannot run (a Splunk command it does not implement, a
    subsearch over indexed events): `lint` reports it apart from syntax errors."""


class AuditInputError(ToolkitError):
    """An audit log that cannot be read or trusted; names the file and, where known, the line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message, location=Location(path=path, line=line))


class CaptureError(ToolkitError):
    """A capture cannot run or went wrong: not root, auditd/at missing, the kernel refuses audit,
    or a scenario's process is not in the log as the scenario says it should be."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message, location=Location(path=path, line=line))


class OutputError(ToolkitError):
    """A file we were asked to write (local/macros.conf, a package) cannot be written; names it."""

    def __init__(self, message: str, *, path: str):
        super().__init__(message, location=Location(path=path))
