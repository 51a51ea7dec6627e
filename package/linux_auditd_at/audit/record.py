"""One audit log line to the fields Splunk's automatic key=value extraction (`KV_MODE = auto`) gives.

What is implemented, and why (no public copy of the Linux add-on's `[linux:audit]` stanza exists,
so this follows Splunk's documented auto-KV behaviour and the records auditd really writes):

- A key is a letter or `_` followed by letters, digits, `_` or `-`, standing at the start of the
  line or after whitespace, the ENRICHED separator 0x1d (or `#035`, rsyslog's escape of it), or a
  single quote (so the pairs inside `msg='op=PAM:accounting acct="root" res=success'` of USER_*
  records are found, as Splunk finds them). `-` in a key becomes `_` (Splunk's CLEAN_KEYS:
  `old-auid` -> `old_auid`). UNVERIFIED: whether Splunk starts a key after 0x1d or `#035` (no
  public source says; a space-separated ENRICHED part is extracted either way). We do, so the
  same record gives the same fields with any of the three separators.
- A value is `"..."` (quotes stripped) or a run of characters up to whitespace, 0x1d, `#035` or a quote.
  Empty values are skipped (`msg='...'` itself has no unquoted value, so only its inner pairs count).
- The first occurrence of a key wins (auto-KV's default MV_ADD = false): `msg=audit(...):` is kept
  and a later `msg=` does not replace it.
- Field names are case-sensitive: raw `uid=0` and ENRICHED `UID="root"` are two fields.
- Hex-encoded values (`proctitle=2F7573...`, and `comm`/`exe` when the string holds a space or
  control character) are kept as the hex text. Splunk's auto-KV does not decode them either; the
  Linux add-on does not decode `comm`/`exe` for this sourcetype. So `comm=6D792070726F67` stays
  that string, exactly as a Splunk search would see it.
- `_time` is the epoch inside `msg=audit(EPOCH.MILLIS:SERIAL)`, or the date of an `ausearch -i`
  stamp `msg=audit(MM/DD/YYYY HH:MM:SS.mmm:SERIAL)` read in the caller's zone (`formats.py`). A
  line is an audit record when it holds such a stamp and a `type=` key; a syslog or journal
  header in front of it is allowed (`formats.py`), anything else is not (`record_problem`).

Sources: Splunk's "Configure automatic key-value field extraction" (KV_MODE) and "When Splunk
software extracts fields" (Knowledge Manager Manual: the first fields matching obvious key=value
pairs are extracted at search time).

`field_extractor(names)` gives the same values for just the named fields (plus `type`, which the
reader always needs), so that a search that reads few fields does not pay for the other pairs:
one regex search per named key, led by its literal `key=`. `record_parser` reads the stamp and
those fields of an ASCII line in one pass of the C extension (`audit/_lines.c`, by the rules
above) where it built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, tzinfo
from typing import AnyStr, NamedTuple

from linux_auditd_at.audit import native
from linux_auditd_at.audit.formats import interpreted_stamp, interpreted_time, journal_audit

NO_STAMP = "no msg=audit(EPOCH:SERIAL) stamp"
"""Why a line is not an audit record when it lacks the stamp (the reader says it too)."""
NO_SUCH_DATE = "a msg=audit( stamp whose date does not exist"
JOURNAL_AUDIT = ("journald's own copy of a kernel audit record (no type= and no msg=audit( stamp); read "
                 "auditd's log, or its syslog plugin's output, instead")

_TIME = re.compile(r"msg=audit\((\d+(?:\.\d+)?):(\d+)\)")
_KEY = r"[A-Za-z_][\w-]*"
_PAIR = re.compile(r"(?:^|(?<=[\s\x1d']))(" + _KEY + r")=(\"[^\"]*\"|[^\s\x1d'\"]*)")
# the same where rsyslog wrote 0x1d as #035: a key also starts after it and a bare value ends at it
# (a third look-behind at every position costs half again as much, so only lines holding #035 pay)
_PAIR_ESCAPED = re.compile(r"(?:^|(?<=[\s\x1d'])|(?<=#035))([A-Za-z_][\w-]*)="
                           r"(\"[^\"]*\"|[^\s\x1d'\"#]*(?:#(?!035)[^\s\x1d'\"#]*)*)")
# led by its literal text, which Python's re scans for fast
_TYPE = re.compile(r"type=(?:(?<=^type=)|(?<=[\s\x1d']type=)|(?<=#035type=))(?![\s\x1d'\"]|$)")
ALWAYS = ("type",)
"""Fields every extractor gives: `type` makes a line an audit record."""

Extractor = Callable[[str], dict[str, str]]


class Record(NamedTuple):
    """An audit record: its time, its fields, and whether its stamp is `ausearch -i`'s date."""

    time: float
    fields: dict[str, str]
    interpreted: bool


def stamp_time(line: str, tz: tzinfo = UTC) -> tuple[float, bool] | None:
    """The event time of a record and whether it is an `ausearch -i` date (read in `tz`), or None
    when the line has no `msg=audit(...)` stamp holding a time."""
    match = _TIME.search(line)
    if match:
        return float(match.group(1)), False
    interpreted = interpreted_stamp(line)
    time = interpreted_time(interpreted, tz) if interpreted else None
    return None if time is None else (time, True)


def audit_time(line: str, tz: tzinfo = UTC) -> float | None:
    """The event time of a record, or None when the line has no `msg=audit(...)` stamp (an
    `ausearch -i` date is read in `tz`)."""
    stamp = stamp_time(line, tz)
    return None if stamp is None else stamp[0]


def extract_fields(line: str) -> dict[str, str]:
    """Splunk-style automatic key=value extraction of one line (see the module docstring)."""
    fields: dict[str, str] = {}
    for key, value in (_PAIR_ESCAPED if "#035" in line else _PAIR).findall(line):
        if value[:1] == '"':
            value = value[1:-1]
        if not value:
            continue
        if "-" in key:
            key = key.replace("-", "_")
        if key not in fields:
            fields[key] = value
    return fields


def record_problem(line: str) -> str | None:
    """None when `parse_record` takes the line for an audit record (a stamp and a `type=` key),
    else why it is not; cheaper than parsing, for the lines a prefilter rejects."""
    if not _TIME.search(line):
        interpreted = interpreted_stamp(line)
        if interpreted and interpreted_time(interpreted, UTC) is None:
            return NO_SUCH_DATE
        if not interpreted:
            return JOURNAL_AUDIT if journal_audit(line) else NO_STAMP
    if not _TYPE.search(line):
        return "NUL bytes before the record" if "\x00" in line else "no type= field"
    return None


def block_is_records(block: str, count: int) -> bool:
    """Whether each of the `count` lines of `block` looks like a record as auditd writes it, by
    counts over the whole block (str.count, no per-line step: the reader's fast path): a stamp
    per line (`stamped_lines`) and no NUL byte. False sends the block line by line through
    `record_problem`, so it only has to be right when it says True. It can be fooled by a line
    that imitates a record's shape (` msg=audit(x): ` without a whole stamp, or without a `type=`
    key after a space), or by two anomalies in one block that make up for each other; a regex
    over every line would see those too, and cost about as much CPU as the whole rest of a run.
    Interpreted (`ausearch -i`) lines fail it."""
    return stamped_lines(block, count, str.count) and "\x00" not in block


def stamped_lines(block: AnyStr, count: int, tally: Callable[[AnyStr, AnyStr], int]) -> bool:
    """Whether `block` holds one ` msg=audit(` (a key before it: a record cut at its start has
    none) and one `): ` closing a stamp per line, of `count` lines; `tally(block, text)` counts
    (`str.count`, `bytes.count`, or a native count giving the same numbers: the scanner's)."""
    if isinstance(block, str):
        return tally(block, " msg=audit(") == count and tally(block, "): ") == count
    return tally(block, b" msg=audit(") == count and tally(block, b"): ") == count


_HIDING = re.compile(r'="[^"]*[\s\x1d\'][^"]*"')
"""A quoted value holding a key-start character: the only way a `key=` can hide inside a value."""


def _first_value(name: str) -> Callable[[str], re.Match | None]:
    """A search for the first key of field `name` (`-` may stand for `_` after its first
    character) at a key start with a non-empty value (group 1 quoted, group 2 bare), led by the
    key's literal so that `re` scans for it fast."""
    key = re.escape(name[:1]) + "".join("[_-]" if c == "_" else re.escape(c) for c in name[1:]) + "="
    return re.compile(f"{key}(?<![^\\s\\x1d']{key})(?:\"([^\"]+)\"|([^\\s\\x1d'\"]+))").search


def field_extractor(names: Iterable[str]) -> Extractor:
    """`extract_fields` restricted to `names` (and ALWAYS): the same value for each of them.

    Equivalence: `extract_fields` finds a key only at a key start (line start or after
    whitespace, 0x1d or `'`) that no earlier pair consumed. Bare values and keys never span those
    characters, so only a quoted value holding one (`_HIDING`) can hide a key start: such a line,
    and one holding rsyslog's `#035`, goes through `extract_fields`. On every other line each
    named key is looked up with one search led by its literal `key=`. The fields come in the
    order of the line, as `extract_fields` gives them (a `table *` shows them so)."""
    wanted = extracted_keys(names)
    searches = tuple((name, _first_value(name)) for name in wanted)

    def extract(line: str) -> dict[str, str]:
        if "#035" in line or ('="' in line and _HIDING.search(line)):
            return {key: value for key, value in extract_fields(line).items() if key in wanted}
        found = sorted((match.start(), key, match[1] or match[2])
                       for key, search in searches if (match := search(line)))
        return {key: value for _, key, value in found}

    return extract


def extracted_keys(names: Iterable[str]) -> set[str]:
    """The names a field extraction can give (a key, after `-` became `_`), and ALWAYS."""
    return {*ALWAYS, *(n for n in names if re.fullmatch(_KEY, n) and "-" not in n)}


def parse_record(line: str, tz: tzinfo = UTC, extract: Extractor = extract_fields) -> Record | str:
    """The Record of an audit line, else the reason the line is not one (`record_problem`);
    `extract` may be a `field_extractor` when only some fields are needed."""
    stamp = stamp_time(line, tz)
    if stamp is not None:
        fields = extract(line)
        if "type" in fields:
            return Record(stamp[0], fields, stamp[1])
    return record_problem(line) or "no type= field"


def record_parser(names: Iterable[str] | None, tz: tzinfo = UTC) -> Callable[[str], Record | str]:
    """`parse_record` in `tz` with every field (`names` None) or `field_extractor(names)`; for
    named fields, an ASCII line with an epoch stamp is read in one C pass where the extension
    built (`native.line_record`: the same time and values), any other line as before."""
    if names is None:
        return lambda line: parse_record(line, tz)
    wanted = extracted_keys(names)
    extract = field_extractor(wanted)
    line_record = native.line_record()
    if line_record is None:
        return lambda line: parse_record(line, tz, extract)
    keys = tuple(wanted)

    def parse(line: str) -> Record | str:
        found = line_record(line, keys)
        if found is None or found[0] is None or "type" not in found[1]:
            return parse_record(line, tz, extract)
        return Record(found[0], found[1], False)

    return parse
