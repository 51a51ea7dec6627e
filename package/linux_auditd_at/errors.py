"""User-facing errors: each says where the problem is (file and line, conf stanza and key, SPL position).

The CLI prints them as one line and exits non-zero; anything else escaping is a bug in the toolkit.
"""


def one_line(message: str) -> str:
    """`message` for one stderr line: line breaks and other control characters (a file name may
    hold them) shown as escapes, `\\n`, `\\x1b`."""
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1] for char in message)


class ToolkitError(Exception):
    """Base for problems in the user's input, configuration or environment."""

    exit_code = 2


class ConfError(ToolkitError):
    """A .conf file is missing, unreadable, or lacks a stanza or key we need."""

    def __init__(self, message: str, *, path: str | None = None, stanza: str | None = None,
                 key: str | None = None):
        where = ", ".join(p for p in (path, f"[{stanza}]" if stanza else None, key) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.stanza, self.key = path, stanza, key


class SPLError(ToolkitError):
    """SPL that cannot be parsed or evaluated; `position` is a 0-based offset in the expanded SPL."""

    def __init__(self, message: str, *, spl: str | None = None, position: int | None = None):
        text = message
        if spl is not None and position is not None:
            text = f"{message} at position {position}: ...{spl[max(0, position - 20):position + 20]!r}"
        super().__init__(text)
        self.message, self.spl, self.position = message, spl, position


class UnsupportedSPLError(SPLError):
    """Valid SPL that the offline engine cannot run (a Splunk command it does not implement, a
    subsearch over indexed events): `lint` reports it apart from syntax errors."""


class AuditInputError(ToolkitError):
    """An audit log that cannot be read or trusted; names the file and, where known, the line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        where = f"{path}:{line}" if path and line else path
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line = path, line


class CaptureError(ToolkitError):
    """A capture cannot run or went wrong: not root, auditd/at missing, the kernel refuses audit,
    or a scenario's process is not in the log as the scenario says it should be."""


class OutputError(ToolkitError):
    """A file we were asked to write (local/macros.conf, a package) cannot be written; names it."""

    def __init__(self, message: str, *, path: str):
        super().__init__(f"{path}: {message}")
        self.path = path
