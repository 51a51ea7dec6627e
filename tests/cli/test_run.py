"""`linux-auditd-at run` end to end on real records (tests/audit/data), rows worked out by hand.

The fixture's SYSCALL records of at's family (read off the file): `at` pid 5658 ppid 5493, `atq`
5660, `at` 5663 ppid 5661, `atrm` 5665, all UID="root"; `at` 5673 and `atd` 5659 have
UID="daemon" and are excluded by `NOT (UID IN("daemon"))`. Each stats group is one record, so
count 1 and firstTime = lastTime = the record's second (1795918493 = 2026-11-29T02:14:53 UTC).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

from linux_auditd_at.cli import main

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "audit" / "data"
COLUMNS = ["comm", "exe", "SYSCALL", "UID", "ppid", "pid", "dest", "count", "firstTime", "lastTime"]
T = "2026-11-29T02:14:53"
EXPECTED = [  # stats order: by comm, then exe, ..., then pid, as strings in byte order
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5658"},
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5661", "pid": "5663"},
    {"comm": "atq", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5660"},
    {"comm": "atrm", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5665"},
]


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--app-dir", str(REPO), "run", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _expected(dest: str) -> list[dict]:
    return [{**row, "dest": dest, "count": "1", "firstTime": T, "lastTime": T} for row in EXPECTED]


def test_json_rows_on_the_enriched_fixture(capsys):
    code, out, err = _run(capsys, str(DATA / "enriched.log"), "--host", "lab-1", "--tz", "UTC",
                          "--format", "json")
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert [list(row) for row in rows] == [COLUMNS] * 4
    assert rows == _expected("lab-1")


def test_node_prefix_is_the_dest(capsys):
    code, out, _ = _run(capsys, str(DATA / "node.log"), "--tz", "UTC", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {row["dest"] for row in rows} == {"fixture-node-01"}
    assert sorted(row["comm"] for row in rows) == ["at", "at", "atq", "atrm"]


def test_raw_format_log_gives_no_rows(capsys):
    code, out, _ = _run(capsys, str(DATA / "raw.log"), "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = _run(capsys, str(DATA / "raw.log"))
    assert out == "No results found.\n"


def test_plain_table_has_by_fields_then_aggregates(capsys):
    code, out, _ = _run(capsys, str(DATA / "enriched.log"), "--host", "lab-1", "--tz", "UTC")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == COLUMNS
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["at", "/usr/bin/at", "execve", "root", "5493", "5658", "lab-1", "1", T, T]
    assert len(lines) == 6


def test_csv_and_time_zone(capsys):
    code, out, _ = _run(capsys, str(DATA / "enriched.log"), "--host", "lab-1", "--tz", "Asia/Tokyo",
                        "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert {row["firstTime"] for row in rows} == {"2026-11-29T11:14:53"}  # UTC+9


def test_filter_replaces_the_filter_macro_for_one_run(capsys):
    code, out, _ = _run(capsys, str(DATA / "enriched.log"), "--tz", "UTC", "--format", "json",
                        "--filter", 'search NOT comm IN ("atq", "atrm")')
    assert code == 0
    assert [(row["comm"], row["pid"]) for row in json.loads(out)] == [("at", "5658"), ("at", "5663")]


def test_time_range_relative_to_now(capsys):
    log = str(DATA / "enriched.log")
    code, out, _ = _run(capsys, log, "--tz", "UTC", "--format", "json", "--now", "2026-11-29T03:00:00",
                        "--earliest=-70m@m", "--latest=-10m@m")
    assert code == 0 and len(json.loads(out)) == 4  # 01:50 .. 02:50 holds 02:14:53
    code, out, _ = _run(capsys, log, "--tz", "UTC", "--format", "json", "--now", "2026-11-29T04:00:00",
                        "--earliest=-70m@m", "--latest=-10m@m")
    assert code == 0 and json.loads(out) == []  # 02:50 .. 03:50


def test_gzip_rotated_set_and_stdin_give_the_same_rows(capsys, tmp_path, monkeypatch):
    lines = (DATA / "enriched.log").read_bytes().split(b"\n")[:-1]
    (tmp_path / "audit.log.1").write_bytes(gzip.compress(b"\n".join(lines[:60]) + b"\n"))
    (tmp_path / "audit.log").write_bytes(b"\n".join(lines[60:]) + b"\n")
    code, out, _ = _run(capsys, str(tmp_path / "audit.log*"), "--host", "lab-1", "--tz", "UTC",
                        "--format", "json")
    assert code == 0 and json.loads(out) == _expected("lab-1")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((DATA / "enriched.log").read_bytes())))
    code, out, _ = _run(capsys, "-", "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert code == 0 and json.loads(out) == _expected("lab-1")


def test_non_audit_lines_warn_on_stderr_and_strict_fails(capsys, tmp_path):
    log = tmp_path / "mixed.log"
    log.write_bytes(b"garbage line\n" + (DATA / "enriched.log").read_bytes())
    code, out, err = _run(capsys, str(log), "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 4
    assert err == (f"linux-auditd-at run: warning: 1 line(s) were not audit records and were skipped; "
                   f"first: {log}:1: no msg=audit(EPOCH:SERIAL) stamp\n")
    code, out, err = _run(capsys, str(log), "--strict")
    assert code == 2 and out == ""
    assert err == (f"linux-auditd-at run: error: {log}:1: not an audit record: "
                   f"no msg=audit(EPOCH:SERIAL) stamp\n")


def test_input_errors_exit_2_naming_the_file(capsys, tmp_path):
    code, _, err = _run(capsys, str(tmp_path / "missing.log"))
    assert code == 2 and f"{tmp_path / 'missing.log'}: no such file" in err
    packed = gzip.compress((DATA / "enriched.log").read_bytes())
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    code, _, err = _run(capsys, str(tmp_path / "cut.gz"))
    assert code == 2 and f"{tmp_path / 'cut.gz'}:" in err and "truncated gzip" in err


def test_bad_time_zone_and_bad_filter_are_errors(capsys):
    code, _, err = _run(capsys, str(DATA / "enriched.log"), "--tz", "Mars/Olympus")
    assert code == 2 and "unknown time zone" in err
    code, _, err = _run(capsys, str(DATA / "enriched.log"), "--filter", "search | nosuchcommand")
    assert code == 2 and "position" in err


def test_progress_bar_only_when_stderr_is_a_terminal(monkeypatch):
    from linux_auditd_at.cli import common

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    log = str(DATA / "enriched.log")
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with common.progress([log]) as on_bytes:
        assert on_bytes is None
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(common, "PROGRESS_DELAY", 0.0)
    with common.progress([log]) as on_bytes:
        on_bytes((DATA / "enriched.log").stat().st_size)
    assert "reading" in sys.stderr.getvalue()
    with common.progress(["-"]) as on_bytes:  # stdin: size unknown, no bar
        assert on_bytes is None
