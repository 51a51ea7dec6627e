"""The app's correlation search, macros expanded, end to end over hand-built audit events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from linux_auditd_at.detection import load_detection
from linux_auditd_at.spl import Context, compile_search
from linux_auditd_at.spl.timemodifiers import resolve_time
from paths import REPO

EXPANDED = """sourcetype="linux:audit" type=SYSCALL comm IN ("at", "atd") \
OR exe IN ("/usr/bin/at","/usr/bin/atd") AND NOT (UID IN("daemon"))
| rename host as dest
| stats count min(_time) as firstTime max(_time) as lastTime by comm exe SYSCALL UID ppid pid dest
| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)
| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)
| search *"""


def syscall(time: float, serial: int, *, comm: str, exe: str, ppid: str, pid: str, host: str = "web-01",
            enriched: dict[str, str] | None = None, sourcetype: str = "linux:audit", **extra: str) -> dict:
    """A SYSCALL record as the kernel writes it and auto-KV extracts it (see reference/auditd.md)."""
    enriched = {"ARCH": "x86_64", "SYSCALL": "execve", "AUID": "unset", "UID": "root", "EUID": "daemon"} \
        if enriched is None else enriched
    raw = (f"type=SYSCALL msg=audit({time:.3f}:{serial}): arch=c000003e syscall=59 success=yes exit=0 "
           f'ppid={ppid} pid={pid} auid=4294967295 uid=0 gid=0 euid=1 tty=(none) comm="{comm}" exe="{exe}" '
           'key="exec"')
    if enriched:
        raw += "\x1d" + " ".join(f'{k}="{v}"' if k.endswith("ID") else f"{k}={v}"
                                 for k, v in enriched.items())
    fields = {"type": "SYSCALL", "arch": "c000003e", "syscall": "59", "success": "yes", "exit": "0",
              "ppid": ppid, "pid": pid, "auid": "4294967295", "uid": "0", "gid": "0", "euid": "1",
              "tty": "(none)", "comm": comm, "exe": exe, "key": "exec", **enriched, **extra}
    return {"_raw": raw, "_time": time, "host": host, "source": "/var/log/audit/audit.log",
            "sourcetype": sourcetype, "index": "main", **fields}


EVENTS = [
    # `at now` run by root, seen twice in the same group: count 2, min/max times
    syscall(1795915736.369, 13, comm="at", exe="/usr/bin/at", ppid="2747", pid="2751"),
    syscall(1795915737.912, 14, comm="at", exe="/usr/bin/at", ppid="2747", pid="2751"),
    # atd starting a job as daemon: excluded by NOT UID IN ("daemon")
    syscall(1795915740.0, 15, comm="atd", exe="/usr/sbin/atd", ppid="1", pid="2760",
            enriched={"ARCH": "x86_64", "SYSCALL": "write", "AUID": "unset", "UID": "daemon"}),
    # atd run by root: matches through comm (its exe is /usr/sbin/atd on Debian)
    syscall(1795915800.5, 16, comm="atd", exe="/usr/sbin/atd", ppid="1", pid="2800", host="web-02"),
    # at through a symlink named `later`: matches through exe
    syscall(1795915859.999, 17, comm="later", exe="/usr/bin/at", ppid="2747", pid="2900"),
    # a copy renamed /tmp/sched_helper: neither name nor path, not detected
    syscall(1795915860.0, 18, comm="sched_helper", exe="/tmp/sched_helper", ppid="2747", pid="2901"),
    # log_format = RAW: no UID/SYSCALL fields, passes the search but stats drops it (null by-fields)
    syscall(1795915861.0, 19, comm="at", exe="/usr/bin/at", ppid="2747", pid="2902", enriched={}),
    # another sourcetype
    syscall(1795915862.0, 20, comm="at", exe="/usr/bin/at", ppid="2747", pid="2903", sourcetype="syslog"),
    # the EXECVE record of the same event has no comm/exe and is another type
    {"_raw": 'type=EXECVE msg=audit(1795915736.369:13): argc=2 a0="at" a1="now"', "_time": 1795915736.369,
     "host": "web-01", "sourcetype": "linux:audit", "type": "EXECVE", "argc": "2", "a0": "at", "a1": "now"},
]

EXPECTED_ROWS = [
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "2747", "pid": "2751",
     "dest": "web-01", "count": "2", "firstTime": "2026-11-29T01:28:56", "lastTime": "2026-11-29T01:28:57"},
    {"comm": "atd", "exe": "/usr/sbin/atd", "SYSCALL": "execve", "UID": "root", "ppid": "1", "pid": "2800",
     "dest": "web-02", "count": "1", "firstTime": "2026-11-29T01:30:00", "lastTime": "2026-11-29T01:30:00"},
    {"comm": "later", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "2747", "pid": "2900",
     "dest": "web-01", "count": "1", "firstTime": "2026-11-29T01:30:59", "lastTime": "2026-11-29T01:30:59"},
]


def test_the_app_search_expands_to_the_documented_spl():
    expanded = load_detection(REPO).expanded_search()
    assert "\n".join(line.rstrip() for line in expanded.splitlines()) == EXPANDED  # conf keeps "\ " spaces
    rows = compile_search(expanded).execute(EVENTS, Context(now=0.0, tz=UTC)).rows
    assert rows == EXPECTED_ROWS


def test_shipped_search_rows_columns_and_stage_counts():
    result = compile_search(EXPANDED).execute(EVENTS, Context(now=1795916000.0, tz=UTC))
    assert result.columns == ["comm", "exe", "SYSCALL", "UID", "ppid", "pid", "dest", "count", "firstTime",
                              "lastTime"]
    assert result.rows == EXPECTED_ROWS
    assert [(s.read, s.passed) for s in result.stages] == [(9, 5), (5, 5), (5, 3), (3, 3), (3, 3), (3, 3)]
    assert result.stages[1].command == "rename host as dest"


def test_shipped_search_in_the_users_time_zone():
    result = compile_search(EXPANDED).execute(EVENTS[:1], Context(now=0.0, tz=timezone(-timedelta(hours=5))))
    assert result.rows[0]["firstTime"] == "2026-11-28T20:28:56"


def test_shipped_search_over_its_scheduled_window():
    now = datetime(2026, 11, 29, 2, 38, 30, tzinfo=UTC)  # window: 01:28:00 .. 02:28:00
    earliest, latest = resolve_time("-70m@m", now), resolve_time("-10m@m", now)
    moved = [dict(EVENTS[0], _time=earliest - 0.001), dict(EVENTS[0], _time=earliest),
             dict(EVENTS[0], _time=latest - 0.001), dict(EVENTS[0], _time=latest)]
    result = compile_search(EXPANDED).execute(moved, Context(now=now.timestamp(), tz=UTC, earliest=earliest,
                                                             latest=latest))
    assert result.outside_time_range == 2
    assert result.rows[0]["count"] == "2"
    assert (result.rows[0]["firstTime"], result.rows[0]["lastTime"]) == ("2026-11-29T01:28:00",
                                                                         "2026-11-29T02:27:59")


def test_shipped_prefilter_keeps_every_matching_line_and_drops_others():
    keep = compile_search(EXPANDED).raw_prefilter()
    assert keep is not None
    # sched_helper has no at/atd, the EXECVE record no SYSCALL; everything the search matches is kept
    assert [keep(e["_raw"]) for e in EVENTS] == [True, True, True, True, True, False, True, True, False]
    assert not keep('type=PATH msg=audit(1795915736.369:13): item=0 name="/usr/bin/at" nametype=NORMAL')
    # hex-encoded comm "at" stays the text 6174 (as in Splunk): neither the search nor the prefilter keeps it
    assert not keep('type=SYSCALL msg=audit(1.0:1): comm=6174 exe="/usr/bin/x"')


# The reference's example record (splunk-semantics.md, "Automatic key=value extraction"), its
# elided middle filled in the way the kernel writes an execve SYSCALL record.
REFERENCE_RECORD = (
    'type=SYSCALL msg=audit(1795915736.369:13): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 '
    'a1=55d1 a2=55d2 a3=0 items=2 ppid=2747 pid=2751 auid=4294967295 uid=0 gid=0 euid=1 suid=0 fsuid=0 '
    'egid=1 sgid=0 fsgid=0 tty=pts1 ses=4294967295 comm="at" exe="/usr/bin/at" subj=unconfined key="exec"'
    '\x1dARCH=x86_64 SYSCALL=execve AUID="unset" UID="root" GID="root" EUID="daemon" SUID="root"')


def test_reference_record_fields_and_its_row():
    from linux_auditd_at.audit.record import parse_record
    when, fields, _ = parse_record(REFERENCE_RECORD)
    assert when == 1795915736.369
    assert {k: fields[k] for k in ("type", "ppid", "pid", "uid", "comm", "exe")} == {
        "type": "SYSCALL", "ppid": "2747", "pid": "2751", "uid": "0", "comm": "at", "exe": "/usr/bin/at"}
    assert {k: fields[k] for k in ("ARCH", "SYSCALL", "AUID", "UID", "EUID")} == {
        "ARCH": "x86_64", "SYSCALL": "execve", "AUID": "unset", "UID": "root", "EUID": "daemon"}
    event = {"_raw": REFERENCE_RECORD, "_time": when, "host": "web-01", "sourcetype": "linux:audit", **fields}
    rows = compile_search(EXPANDED).execute([event], Context(now=0.0, tz=UTC)).rows
    assert rows == [{"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "2747",
                     "pid": "2751", "dest": "web-01", "count": "1", "firstTime": "2026-11-29T01:28:56",
                     "lastTime": "2026-11-29T01:28:56"}]


def test_without_a_zone_times_are_in_the_machines_zone(monkeypatch, capsys, tmp_path):
    from linux_auditd_at.cli import main
    log = tmp_path / "audit.log"
    log.write_text(REFERENCE_RECORD + "\n", encoding="utf-8")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert main(["--app-dir", str(REPO), "run", str(log), "--host", "h", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith(",2026-11-29T10:28:56,2026-11-29T10:28:56")


@pytest.mark.parametrize("tuning", [
    'search NOT dest IN ("web-02")',
    'search NOT dest=web-02 ```allow-listed build host, ticket 42```',
    'regex dest!="^web-0[2-9]$"',
    'where NOT match(dest, "^web-[[:digit:]]*2$")',
    'where NOT searchmatch("dest=web-02")',
    'rex field=exe "^/usr/(?<dir>[^/]+)/" | search dir!=sbin | fields - dir',
    'eventstats count AS per_dest by dest | where per_dest > 1 OR comm="later" | fields - per_dest',
])
def test_filters_people_write_keep_the_rows_of_the_equivalent_inline_search(tuning):
    """The filter macro is the final `search *`; each realistic filter drops web-02's row."""
    filtered = EXPANDED.rsplit("| search *", 1)[0] + f"| {tuning}"
    rows = compile_search(filtered).execute(EVENTS, Context(now=0.0, tz=UTC)).rows
    assert rows == [row for row in EXPECTED_ROWS if row["dest"] != "web-02"]
