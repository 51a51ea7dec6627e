"""Check whether your audit logs can feed the shipped search: format, fields, execve records.

Names the format of the records (auditd's own lines, syslog- or journal-wrapped, `ausearch -i`
output) and says for each why the shipped search can or cannot fire on it; reports ENRICHED or RAW
(judged by the interpreted upper-case fields, whatever separates them), which of the fields the
search needs are present on SYSCALL records (comm, exe, SYSCALL, UID, ppid, pid), the hosts
(`dest`) the input gives the events and the `node=` names they carry, whether execve records
exist, the time span and counts; says how to fix auditd when the search cannot fire, and when
the app's base search requires an index, sourcetype, source or host no event carries (--index,
--sourcetype, ... say where Splunk has them). `check` and `run` agree on which lines are audit
records. Exit status: 0 ready, 1 the shipped search cannot fire on this data (or not in this app
configuration), 2 an input error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from linux_auditd_at import runner
from linux_auditd_at.audit.readiness import Readiness, assess, format_notes
from linux_auditd_at.cli import common
from linux_auditd_at.detection import BY_FIELDS
from linux_auditd_at.errors import ExitCode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    common.add_log_arguments(parser)
    common.add_name_argument(parser)
    common.add_tz_argument(parser)


def run(args: argparse.Namespace) -> int:
    paths = common.log_paths(args)
    tz = common.zone_from_args(args)
    detection, pipeline = runner.compile_detection(args.app_dir, name=args.name)
    with common.progress(paths) as on_bytes:
        reader = runner.open_logs(None, paths, tz=tz, on_bytes=on_bytes, **common.reader_options(args))
        found = assess(reader, reader.stats, tuple(name for name in BY_FIELDS if name != "dest"))
    found.problems.extend(f"not in this app configuration: {problem}"
                          for problem in runner.metadata_problems(detection, pipeline, reader.stats))
    print_readiness(found, sys.stdout, tz)
    return ExitCode.OK if found.ready else ExitCode.FAILED


def print_readiness(found: Readiness, out: TextIO, tz) -> None:
    stats = found.stats
    span = "-"
    if found.first is not None and found.last is not None:
        span = f"{common.iso_time(found.first, tz)} .. {common.iso_time(found.last, tz)}"
    hosts = ", ".join(f"{host} ({count})" for host, count in found.hosts.most_common(5)) or "-"
    nodes = ", ".join(f"{node} ({count})" for node, count in found.nodes.most_common(5)) or "-"
    lines = [
        ("files", ", ".join(stats.files)),
        ("lines", f"{stats.lines} ({stats.events} audit records, {stats.non_audit} not audit records, "
                  f"{stats.blank} blank)"),
        ("format", f"{found.log_format} (SYSCALL records: {found.formats['ENRICHED']} ENRICHED, "
                   f"{found.formats['RAW']} RAW, {found.formats['interpreted']} interpreted)"),
        ("time span", span),
        ("hosts", hosts),
        ("node=", nodes),
        ("SYSCALL", f"{found.syscalls} record(s), {found.execve} execve"),
    ]
    for label, value in lines:
        out.write(f"{label:<10} {value}\n")
    out.write("record formats:\n")
    for note in format_notes(found):
        out.write(f"  {note}\n")
    out.write("fields on SYSCALL records:\n")
    for name in found.search_fields:
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
