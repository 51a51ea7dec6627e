"""One audit log line to the fields Splunk's automatic key=value extraction (`KV_MODE = auto`) gives.

What is implemented, and why (no public copy of the Linux add-on's `[linux:audit]` stanza exists,
so this follows Splunk's documented auto-KV behaviour and the records auditd really writes):

- A key is a letter or `_` followed by letters, digits, `_` or `-`, standing at the start of the
  line or after whitespace, the ENRICHED separator 0x1d, or a single quote (so the pairs inside
  `msg='op=PAM:accounting acct="root" res=success'` of USER_* records are found, as Splunk finds
  them). `-` in a key becomes `_` (Splunk's CLEAN_KEYS: `old-auid` -> `old_auid`).
- A value is `"..."` (quotes stripped) or a run of characters up to whitespace, 0x1d or a quote.
  Empty values are skipped (`msg='...'` itself has no unquoted value, so only its inner pairs count).
- The first occurrence of a key wins (auto-KV's default MV_ADD = false): `msg=audit(...):` is kept
  and a later `msg=` does not replace it.
- Field names are case-sensitive: raw `uid=0` and ENRICHED `UID="root"` are two fields.
- Hex-encoded values (`proctitle=2F7573...`, and `comm`/`exe` when the string holds a space or
  control character) are kept as the hex text. Splunk's auto-KV does not decode them either; the
  Linux add-on does not decode `comm`/`exe` for this sourcetype. So `comm=6D792070726F67` stays
  that string, exactly as a Splunk search would see it.
- `_time` is the epoch inside `msg=audit(EPOCH.MILLIS:SERIAL)`. A line without it is not an audit
  record.
"""

from __future__ import annotations

import re

NO_STAMP = "no msg=audit(EPOCH:SERIAL) stamp"
"""Why a line is not an audit record when it lacks the stamp (the reader says it too)."""

SEPARATOR = "\x1d"
"""auditd's ENRICHED separator between the raw record and its interpreted (upper-case) fields."""

_TIME = re.compile(r"msg=audit\((\d+(?:\.\d+)?):(\d+)\)")
_PAIR = re.compile(r"(?:^|(?<=[\s\x1d']))([A-Za-z_][\w-]*)=(\"[^\"]*\"|[^\s\x1d'\"]*)")


def audit_time(line: str) -> float | None:
    """The event time of a record, or None when the line has no `msg=audit(EPOCH:SERIAL)`."""
    match = _TIME.search(line)
    return float(match.group(1)) if match else None


def extract_fields(line: str) -> dict[str, str]:
    """Splunk-style automatic key=value extraction of one line (see the module docstring)."""
    fields: dict[str, str] = {}
    for key, value in _PAIR.findall(line):
        if value[:1] == '"':
            value = value[1:-1]
        if not value:
            continue
        if "-" in key:
            key = key.replace("-", "_")
        if key not in fields:
            fields[key] = value
    return fields


def parse_record(line: str) -> tuple[float, dict[str, str]] | str:
    """`(time, fields)` for an audit record, else the reason the line is not one."""
    time = audit_time(line)
    if time is None:
        return NO_STAMP
    fields = extract_fields(line)
    if "type" not in fields:
        return "no type= field"
    return time, fields
