"""Can the shipped search fire on these logs? What the data lacks, and how to fix it in auditd.

The search keeps `type=SYSCALL` records and groups them `by comm exe SYSCALL UID ppid pid dest`;
stats drops a record whose by-field is missing. `SYSCALL` and `UID` exist only in the interpreted
upper-case part of ENRICHED logs (after 0x1d, `#035` or a space: judged by the fields, not the
separator), and process starts appear only when an execve rule is loaded, so a log can hold `at`
runs and the search still returns nothing. This says so, with the fix, for each format a line
comes in (`formats.py`): why the search can or cannot fire on it and what to configure.
`host` (the search's `dest`) is the input's: several `node=` names in one input all become that
one host in Splunk, unless the site overrides host at index time; that is warned about.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from linux_auditd_at.audit import formats
from linux_auditd_at.audit.reader import ReadStats, machine_name
from linux_auditd_at.audit.record import extract_fields

LogFormat = Literal["ENRICHED", "RAW", "interpreted", "mixed", "none"]
"""How the SYSCALL records are written: all one of three formats, several, or no SYSCALL records."""

EXECVE_BY_ARCH = {"c000003e": "59", "c00000b7": "221", "40000003": "11"}
"""execve's syscall number per raw `arch` (x86_64, aarch64, i386), for RAW logs without `SYSCALL=`."""

FIX_ENRICHED = ("set `log_format = ENRICHED` in /etc/audit/auditd.conf and restart auditd "
                "(SYSCALL= and UID= are written only in ENRICHED logs)")
FIX_EXECVE = ("add an execve rule, e.g. `-a always,exit -F arch=b64 -S execve -k exec` in "
              "/etc/audit/rules.d/exec.rules, then `augenrules --load`")
FIX_INTERPRETED = ("index auditd's own log instead (a monitor input on /var/log/audit/audit.log with "
                   "`log_format = ENRICHED` and sourcetype=linux:audit), or give the interpreted events "
                   "the names the search uses: `FIELDALIAS-at = uid AS UID syscall AS SYSCALL` in the "
                   "props.conf stanza of their sourcetype, with the `linux_auditd` macro pointing at it")

WHY = {
    formats.AUDITD: "auditd's own log lines (what a monitor input on /var/log/audit/audit.log indexes)",
    formats.INTERPRETED: ("the interpreted text of `ausearch -i` (what the Splunk Add-on for Unix and "
                          "Linux's auditd input indexes as sourcetype=auditd): lower-case names only, "
                          "the search cannot fire on it (see below)"),
}
INTERPRETED_PROBLEM = ("the log is `ausearch -i` output: its names are lower-case (uid=root, "
                       "syscall=execve), "
                       "so the search's UID and SYSCALL stay null and its stats drops every record; "
                       + FIX_INTERPRETED)
WRAPPED = ("a syslog/journal header is in front of each record; it holds no key=value pair (but in RFC "
           "5424 structured data: a note names any), so the record's fields are extracted as from "
           "auditd's log and the search can fire when the events are indexed with sourcetype=linux:audit "
           "(a syslog sourcetype does not match the `linux_auditd` macro); host is the syslog input's, and "
           "`_time` is taken from the audit stamp here (UNVERIFIED: Splunk may take the header's)")


@dataclass
class Readiness:
    """Counts over every record, and the verdict. The format is judged on SYSCALL records: in an
    ENRICHED log only records with something to interpret (SYSCALL, USER_*, ...) carry the 0x1d
    part, EXECVE/CWD/PROCTITLE never do."""

    stats: ReadStats
    search_fields: tuple[str, ...]
    formats: Counter = field(default_factory=Counter)
    line_formats: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    syscall_fields: Counter = field(default_factory=Counter)
    execve: int = 0
    hosts: Counter = field(default_factory=Counter)
    nodes: Counter = field(default_factory=Counter)
    header_pairs: Counter = field(default_factory=Counter)  # a pair's name in headers -> records
    first: float | None = None
    last: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def syscalls(self) -> int:
        return self.types["SYSCALL"]

    @property
    def log_format(self) -> LogFormat:
        known: tuple[LogFormat, ...] = ("ENRICHED", "RAW", "interpreted")
        kinds = [name for name in known if self.formats[name]]
        return "mixed" if len(kinds) > 1 else (kinds[0] if kinds else "none")

    @property
    def ready(self) -> bool:
        return not self.problems


def assess(events: Iterable[dict[str, object]], stats: ReadStats,
           search_fields: tuple[str, ...]) -> Readiness:
    """Read every event once and judge whether the shipped search can fire on this data;
    `search_fields` are the fields it needs on each SYSCALL record (its by-fields but `dest`)."""
    found = Readiness(stats, search_fields)
    for event in events:
        raw = str(event["_raw"])
        line_format = formats.line_format(raw)
        found.line_formats[line_format] += 1
        found.header_pairs.update(extract_fields(raw[:formats.header(raw)[1]]).keys())
        found.types[event["type"]] += 1
        found.hosts[event["host"]] += 1
        if "node" in event:
            found.nodes[event["node"]] += 1
        time = float(event["_time"])  # type: ignore[arg-type]  # the reader sets _time to a float
        found.first = time if found.first is None else min(found.first, time)
        found.last = time if found.last is None else max(found.last, time)
        if event["type"] == "SYSCALL":
            found.formats[_syscall_format(event, line_format)] += 1
            found.syscall_fields.update(name for name in search_fields if name in event)
            found.execve += _is_execve(event)
    _judge(found)
    return found


def _syscall_format(event: dict[str, object], line_format: str) -> str:
    """ENRICHED when the interpreted upper-case fields are there (whatever separates them),
    `interpreted` for `ausearch -i` text, else RAW."""
    if formats.INTERPRETED in line_format:
        return "interpreted"
    return "ENRICHED" if "SYSCALL" in event or "ARCH" in event else "RAW"


def _is_execve(event: dict[str, object]) -> bool:
    if "SYSCALL" in event:
        return event["SYSCALL"] == "execve"
    if event.get("syscall") == "execve":  # interpreted (ausearch -i)
        return True
    return EXECVE_BY_ARCH.get(str(event.get("arch")), "") == event.get("syscall")


def _judge(found: Readiness) -> None:
    events = found.stats.events
    if not events:
        found.problems.append("no audit records in the input")
        return
    if not found.syscalls:
        found.problems.append(f"no SYSCALL records at all: {FIX_EXECVE}")
    elif not found.execve:
        found.problems.append(f"no execve SYSCALL records, so no process starts are logged: {FIX_EXECVE}")
    if found.log_format == "RAW":
        found.problems.append(f"the log is RAW, so SYSCALL and UID are missing and the search's stats "
                              f"drops every record: {FIX_ENRICHED}")
    elif found.log_format == "interpreted":
        found.problems.append(INTERPRETED_PROBLEM)
    elif found.log_format == "mixed":
        found.notes.append(f"{found.formats['RAW'] + found.formats['interpreted']} record(s) are RAW or "
                           f"interpreted (no SYSCALL/UID): the search misses those; {FIX_ENRICHED}")
    missing = [name for name in found.search_fields if found.syscalls and not found.syscall_fields[name]]
    if missing and found.log_format not in ("RAW", "interpreted"):
        found.problems.append(f"SYSCALL records lack {', '.join(missing)}, which the search groups by")
    if warning := found.stats.warning():
        found.notes.append(warning)
    _judge_header_pairs(found)
    _judge_hosts(found)


def format_notes(found: Readiness) -> list[str]:
    """For each format the records came in: what it is and whether the search can fire on it."""
    notes = []
    for name, count in found.line_formats.most_common():
        why = WHY.get(name, WHY[formats.INTERPRETED] if formats.INTERPRETED in name else WRAPPED)
        notes.append(f"{name} ({count} record(s)): {why}")
    return notes


def _judge_header_pairs(found: Readiness) -> None:
    """Pairs in a header (RFC 5424 structured data) are fields too, as Splunk's automatic
    extraction finds them, and the first occurrence of a name wins: one the search reads hides
    the record's own value."""
    if not found.header_pairs:
        return
    named = ", ".join(f"{name} ({count} record(s))" for name, count in found.header_pairs.most_common())
    hidden = [name for name in ("type", *found.search_fields) if name in found.header_pairs]
    if hidden:
        found.problems.append(f"the syslog header holds {', '.join(hidden)}= before the record does, and "
                              f"Splunk keeps the first value of a name: the search reads the header's, not "
                              f"the record's; drop the structured data from the forwarder's template "
                              f"(pairs in headers: {named})")
    else:
        found.notes.append(f"the syslog header's structured data holds key=value pairs, which become "
                           f"fields too (the search reads none of them): {named}")


def _judge_hosts(found: Readiness) -> None:
    if len(found.nodes) > 1 and len(found.hosts) < len(found.nodes):
        names = ", ".join(name for name, _ in found.nodes.most_common(5))
        found.notes.append(f"WARNING: node= names {len(found.nodes)} hosts ({names}), but the input gives "
                           f"the events {len(found.hosts)} host(s) ({', '.join(found.hosts)}): in Splunk "
                           f"they become that dest unless the site overrides host at index time "
                           f"(emulate that with --host-from-node)")
    if found.stats.machine_host and machine_name() in found.hosts:
        found.notes.append("records get this machine's name as host (dest); pass --host with the name "
                           "your forwarder indexes them under")
