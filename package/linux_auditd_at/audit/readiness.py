"""Can the shipped search fire on these logs? What the data lacks, and how to fix it in auditd.

The search keeps `type=SYSCALL` records and groups them `by comm exe SYSCALL UID ppid pid dest`;
stats drops a record whose by-field is missing. `SYSCALL` and `UID` exist only after the 0x1d
separator of ENRICHED logs, and process starts appear only when an execve rule is loaded, so a
log can hold `at` runs and the search still returns nothing. This says so, with the fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from linux_auditd_at.attack_data import dataset_for_log
from linux_auditd_at.audit.reader import ReadStats
from linux_auditd_at.audit.record import SEPARATOR
from linux_auditd_at.audit.sources import STDIN
from linux_auditd_at.detection import BY_FIELDS

SEARCH_FIELDS = tuple(name for name in BY_FIELDS if name != "dest")
"""Fields the search needs on each SYSCALL record (besides `type` and a host for `dest`)."""

EXECVE_BY_ARCH = {"c000003e": "59", "c00000b7": "221", "40000003": "11"}
"""execve's syscall number per raw `arch` (x86_64, aarch64, i386), for RAW logs without `SYSCALL=`."""

FIX_ENRICHED = ("set `log_format = ENRICHED` in /etc/audit/auditd.conf and restart auditd "
                "(SYSCALL= and UID= are written only in ENRICHED logs)")
FIX_EXECVE = ("add an execve rule, e.g. `-a always,exit -F arch=b64 -S execve -k exec` in "
              "/etc/audit/rules.d/exec.rules, then `augenrules --load`")


@dataclass
class Readiness:
    """Counts over every record, and the verdict. The format is judged on SYSCALL records: in an
    ENRICHED log only records with something to interpret (SYSCALL, USER_*, ...) carry the 0x1d
    part, EXECVE/CWD/PROCTITLE never do."""

    stats: ReadStats
    formats: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    syscall_fields: Counter = field(default_factory=Counter)
    execve: int = 0
    hosts: Counter = field(default_factory=Counter)
    host_from_node: int = 0
    first: float | None = None
    last: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def syscalls(self) -> int:
        return self.types["SYSCALL"]

    @property
    def log_format(self) -> str:
        kinds = [name for name in ("ENRICHED", "RAW") if self.formats[name]]
        return "mixed" if len(kinds) == 2 else (kinds[0] if kinds else "none")

    @property
    def ready(self) -> bool:
        return not self.problems


def assess(events: Iterable[dict[str, object]], stats: ReadStats, *, host_given: bool) -> Readiness:
    """Read every event once and judge whether the shipped search can fire on this data."""
    found = Readiness(stats)
    for event in events:
        raw = str(event["_raw"])
        found.types[event["type"]] += 1
        found.hosts[event["host"]] += 1
        found.host_from_node += raw.startswith("node=")
        time = float(event["_time"])  # type: ignore[arg-type]
        found.first = time if found.first is None else min(found.first, time)
        found.last = time if found.last is None else max(found.last, time)
        if event["type"] == "SYSCALL":
            found.formats["ENRICHED" if SEPARATOR in raw else "RAW"] += 1
            found.syscall_fields.update(name for name in SEARCH_FIELDS if name in event)
            found.execve += _is_execve(event)
    _judge(found, host_given)
    return found


def _is_execve(event: dict[str, object]) -> bool:
    if "SYSCALL" in event:
        return event["SYSCALL"] == "execve"
    return EXECVE_BY_ARCH.get(str(event.get("arch")), "") == event.get("syscall")


def _judge(found: Readiness, host_given: bool) -> None:
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
    elif found.log_format == "mixed":
        found.notes.append(f"{found.formats['RAW']} record(s) are RAW (no SYSCALL/UID): the search misses "
                           f"those; {FIX_ENRICHED}")
    missing = [name for name in SEARCH_FIELDS if found.syscalls and not found.syscall_fields[name]]
    if missing and found.log_format != "RAW":
        found.problems.append(f"SYSCALL records lack {', '.join(missing)}, which the search groups by")
    if warning := found.stats.warning():
        found.notes.append(warning)
    if found.host_from_node < events and not host_given and not _hosts_from_metadata(found.stats.files):
        found.notes.append("records without a node= prefix get this machine's name as host (dest); "
                           "pass --host, or set `name_format = HOSTNAME` in auditd.conf")


def _hosts_from_metadata(files: list[str]) -> bool:
    return all(path != STDIN and (info := dataset_for_log(path)) is not None and info.host for path in files)
