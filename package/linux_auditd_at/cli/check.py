"""Check whether your audit logs can feed the shipped search: format, fields, execve records.

Reports ENRICHED or RAW (or mixed), which of the fields the search needs are present on SYSCALL
records (comm, exe, SYSCALL, UID, ppid, pid) and a host, whether execve records exist, the time
span and counts, and says how to fix auditd when the search cannot fire.
Exit status: 0 ready, 1 the shipped search cannot fire on this data, 2 an input error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from linux_auditd_at import runner
from linux_auditd_at.audit.readiness import SEARCH_FIELDS, Readiness, assess
from linux_auditd_at.cli import common

NOT_READY = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser, index=False)


def run(args: argparse.Namespace) -> int:
    paths = common.log_paths(args)
    with common.progress(paths) as on_bytes:
        reader = runner.open_logs(None, paths, host=args.host, strict=args.strict, on_bytes=on_bytes)
        found = assess(reader, reader.stats, host_given=bool(args.host))
    report(found, sys.stdout)
    return 0 if found.ready else NOT_READY


def report(found: Readiness, out: TextIO) -> None:
    stats, tz = found.stats, common.local_timezone()
    span = "-"
    if found.first is not None and found.last is not None:
        span = f"{common.iso_time(found.first, tz)} .. {common.iso_time(found.last, tz)}"
    hosts = ", ".join(f"{host} ({count})" for host, count in found.hosts.most_common(5)) or "-"
    lines = [
        ("files", ", ".join(stats.files)),
        ("lines", f"{stats.lines} ({stats.events} audit records, {stats.non_audit} not audit records, "
                  f"{stats.blank} blank)"),
        ("format", f"{found.log_format} (SYSCALL records: {found.formats['ENRICHED']} ENRICHED, "
                   f"{found.formats['RAW']} RAW)"),
        ("time span", span),
        ("hosts", f"{hosts} ({found.host_from_node} from node=)"),
        ("SYSCALL", f"{found.syscalls} record(s), {found.execve} execve"),
    ]
    for label, value in lines:
        out.write(f"{label:<10} {value}\n")
    out.write("fields on SYSCALL records:\n")
    for name in SEARCH_FIELDS:
        present = found.syscall_fields[name]
        flag = "" if present or not found.syscalls else "  MISSING"
        out.write(f"  {name:<8} {present}/{found.syscalls}{flag}\n")
    for note in found.notes:
        out.write(f"note: {note}\n")
    if found.ready:
        out.write("READY: the shipped search can fire on this data.\n")
        return
    out.write("NOT READY: the shipped search cannot fire on this data:\n")
    for problem in found.problems:
        out.write(f"  - {problem}\n")
