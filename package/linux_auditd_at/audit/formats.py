"""The shapes an audit record arrives in, as real pipelines write them, and how each is read.

A line holds one record, maybe behind a header that a forwarding pipeline put in front of it:

- `auditd`: the line as auditd writes it (`type=... msg=audit(EPOCH.MILLIS:SERIAL): ...`, maybe
  after `node=NAME `).
- `syslog RFC 3164` (`Nov 29 02:38:02 host audisp-syslog: type=...`, also what `journalctl -o
  short` prints), `syslog RFC 5424` (`<13>1 2026-11-29T02:38:02.123Z host app - - - type=...`)
  and `ISO-stamped syslog/journal` (`2026-11-29T02:38:02+00:00 host tag[pid]: type=...`: rsyslog's
  file format, `journalctl -o short-iso`). The header is not a key=value pair, so Splunk's
  automatic extraction sees the record's pairs unchanged (and any `key=value` in the header).
- `ausearch -i`: the interpreted text the Splunk Add-on for Unix and Linux's `auditd` input
  (`rlog.sh`) indexes: `msg=audit(11/29/2026 02:38:02.123:456) : ... uid=root syscall=execve`,
  the time as a local date (read in the zone the caller gives), lower-case names only.
- `journald audit transport` (`audit[20811]: SYSCALL arch=c000003e ...`): journald's own copy of
  kernel records keeps neither `type=` nor the `msg=audit(...)` stamp. It is recognised only to
  say so: such lines are not audit records the search can read.

ENRICHED is judged by the interpreted upper-case fields (`SYSCALL=`, `UID=`, `ARCH=`) being
there, whatever separates them from the raw part: auditd's 0x1d byte, rsyslog's escape `#035`,
or a space some add-ons write. `record.py` splits pairs at all three.

UNVERIFIED: Splunk's timestamp recognition looks at the start of an event, so for a wrapped line
it may take the header's time instead of the audit stamp. We take the audit stamp (the header's
time is when the record was forwarded; they differ by the forwarding delay). A `ausearch -i` date
is read month first (`%x` in the C and en_US locales, which `rlog.sh`'s own `date +%m/%d/%Y`
assumes); a two-digit year is 20YY.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from linux_auditd_at.patterns import compiled

AUDITD = "auditd"
RFC3164 = "syslog RFC 3164"
RFC5424 = "syslog RFC 5424"
ISO_SYSLOG = "ISO-stamped syslog/journal"
INTERPRETED = "ausearch -i"

_HEADERS = (
    (RFC5424, r"<\d{1,3}>1 \S+ \S+ \S+ \S+ \S+ (?:-|\[.*?\])+ "),
    (RFC3164, r"(?:<\d{1,3}>)?[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^\s:]*: "),
    (ISO_SYSLOG, r"(?:<\d{1,3}>)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)? "
                 r"\S+ [^\s:]*: "),
)
_JOURNAL_AUDIT = r" audit(?:\[\d+\])?: [A-Z][A-Z_]+ "  # the header's tag, then the type
_INTERPRETED_STAMP = r"msg=audit\((\d\d)/(\d\d)/(\d\d(?:\d\d)?) (\d\d):(\d\d):(\d\d)(\.\d+)?:(\d+)\)"


def header(line: str) -> tuple[str, int]:
    """The wrapper in front of the record and where the record starts: `(AUDITD, 0)` for none."""
    if line.startswith(("type=", "node=")):
        return AUDITD, 0
    for name, pattern in _HEADERS:
        if found := compiled(pattern).match(line):
            return name, found.end()
    return AUDITD, 0


def line_format(line: str) -> str:
    """The format of a record's line for people: the wrapper, and `ausearch -i` when interpreted."""
    wrapper, _ = header(line)
    if interpreted_stamp(line):
        return INTERPRETED if wrapper == AUDITD else f"{wrapper} + {INTERPRETED}"
    return wrapper


def journal_audit(line: str) -> bool:
    """A line of journald's own audit transport (no `type=`, no stamp; see the module docstring)."""
    wrapper, start = header(line)
    return wrapper != AUDITD and compiled(_JOURNAL_AUDIT).search(line, 0, start + 40) is not None


def interpreted_stamp(line: str) -> re.Match[str] | None:
    """The `ausearch -i` stamp of a line (`msg=audit(11/29/2026 02:38:02.123:456)`), if it has one."""
    return compiled(_INTERPRETED_STAMP).search(line)


def interpreted_time(match: re.Match, tz: tzinfo) -> float | None:
    """Epoch seconds of an `ausearch -i` stamp read in `tz`, None when the date does not exist."""
    month, day, year, hour, minute, second, fraction, _ = match.groups()
    year_number = int(year) + (2000 if len(year) == 2 else 0)
    try:
        moment = datetime(year_number, int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except ValueError:
        return None
    return round(moment.timestamp() + float(fraction or 0), 6)
