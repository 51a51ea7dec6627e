"""From the log a capture read to its dataset: the scenarios' records, checked against their ground truth.

An execve rule sees every process on the machine, so the capture keeps an event (all records of
one `msg=audit(...:SERIAL)`, i.e. SYSCALL with its EXECVE, CWD, PATH, PROCTITLE, and LOGIN or
USER_* records of the same process) only when it belongs to the scenarios' process tree: a record
whose `pid` is a root (the capture process, atd when a scenario uses it) or a descendant seen in
an earlier SYSCALL `ppid`. The capture's own auditctl/auditd processes are left out. Which rule
(key) made the kernel write a record does not matter, so a running auditd's own rules are fine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from linux_auditd_at.audit.record import audit_time, extract_fields
from linux_auditd_at.capture.scenarios import Process
from linux_auditd_at.detection import BY_FIELDS
from linux_auditd_at.errors import CaptureError

COLUMNS = (*BY_FIELDS, "count", "firstTime", "lastTime")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
X86_64_SYSCALLS = {"59": "execve", "1": "write"}


@dataclass(frozen=True)
class Record:
    raw: bytes
    serial: str
    time: float
    fields: dict[str, str]

    @property
    def syscall(self) -> str:
        """ENRICHED `SYSCALL=`, else the x86_64 number's name (RAW logs have only `syscall=59`)."""
        return self.fields.get("SYSCALL") or X86_64_SYSCALLS.get(self.fields.get("syscall", ""), "")


def parse(data: bytes) -> list[Record]:
    """The audit records of a log, in order; a line without `msg=audit(EPOCH:SERIAL)` is an error
    (auditd writes nothing else, so it means the log is not what we think)."""
    records = []
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        text = raw.decode("utf-8", "replace")
        fields, when = extract_fields(text), audit_time(text)
        serial = fields.get("msg", "").partition(":")[2].rstrip("):")
        if when is None or not serial:
            raise CaptureError(f"line {number} of the captured log is not an audit record: {text[:120]!r}")
        records.append(Record(raw, serial, when, fields))
    return records


def select(records: Iterable[Record], roots: set[int], machinery: set[int]) -> list[Record]:
    """The events of the scenarios' process tree (see the module docstring), in log order."""
    records = list(records)
    tracked = {str(pid) for pid in roots}
    skip = {str(pid) for pid in machinery}
    serials: set[str] = set()
    for record in records:
        pid, ppid = record.fields.get("pid"), record.fields.get("ppid")
        if pid is None or pid in skip:
            continue
        if record.fields.get("type") == "SYSCALL" and ppid in tracked:
            tracked.add(pid)
        if pid in tracked:
            serials.add(record.serial)
    return [record for record in records if record.serial in serials]


def verified_records(records: list[Record], process: Process, enriched: bool) -> list[Record]:
    """The SYSCALL record(s) the kernel wrote for `process`; a CaptureError when reality differs
    from what the scenario says (then its label would be wrong, so nothing is written)."""
    mine = [r for r in records
            if r.fields.get("type") == "SYSCALL" and r.fields.get("pid") == str(process.pid)]
    found = [r for r in mine if r.syscall == process.syscall and r.fields.get("comm") == process.comm]
    where = f"scenario {process.scenario}: pid {process.pid}"
    if not found:
        seen = ", ".join(f"{r.syscall} comm={r.fields.get('comm')} exe={r.fields.get('exe')}" for r in mine)
        raise CaptureError(f"{where}: no {process.syscall} record with comm={process.comm} in the log "
                           f"(records of this pid: {seen or 'none'})")
    for record in found:
        got = {"exe": record.fields.get("exe"), "ppid": record.fields.get("ppid")}
        want = {"exe": process.exe, "ppid": str(process.ppid)}
        if enriched:
            got["UID"], want["UID"] = record.fields.get("UID"), process.user
        if got != want:
            raise CaptureError(f"{where} comm={process.comm}: the kernel wrote {got}, "
                               f"the scenario says {want}")
    return found


def expected_rows(records: list[Record], processes: list[Process], *, enriched: bool,
                  host: str) -> list[dict]:
    """The rows the shipped search should return, from the ground truth: one per process labelled
    `detected`, with the time of its record(s) and `dest` = `host`, the capture's host that the
    metadata records (what a Splunk input sets; `node=` is only a field). On RAW logs there are
    none: the search groups by `SYSCALL` and `UID`, which only ENRICHED logs have, and stats drops
    rows with a null by-field.
    Every process is checked against the log either way."""
    groups: dict[tuple[str, ...], list[float]] = {}
    for process in processes:
        found = verified_records(records, process, enriched)
        if process.outcome != "detected" or not enriched:
            continue
        for record in found:
            key = (process.comm, process.exe, process.syscall, process.user, str(process.ppid),
                   str(process.pid), host)  # the input's host: node= is only a field
            groups.setdefault(key, []).append(record.time)
    rows = []
    for values, times in sorted(groups.items()):
        rows.append({**dict(zip(BY_FIELDS, values, strict=True)), "count": str(len(times)),
                     "firstTime": _ctime(min(times)), "lastTime": _ctime(max(times))})
    return rows


def _ctime(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(TIME_FORMAT)
