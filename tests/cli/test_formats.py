"""Records as real pipelines deliver them (ENRICHED separators, syslog and journal headers,
`ausearch -i`), and lines that are not records: `run` and `check` agree on every line.

Every input is built from the real records in tests/audit/data (enriched.log, and interpreted.log:
ausearch's own output for it). What Splunk would return follows from splunk-semantics.md: a
`linux:audit` event gets automatic key=value extraction (Splunk's "Configure automatic key-value
field extraction" and "When Splunk software extracts fields", Knowledge Manager Manual); a header
holds no key=value pair, so the record's pairs are the same fields; `ausearch -i` writes lower-case
names only (the reference's note on Splunk_TA_nix's auditd input), so the shipped search's
`UID`/`SYSCALL` by-fields stay null and its stats returns no row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linux_auditd_at.cli import main
from paths import REPO

DATA = REPO / "tests" / "audit" / "data"
RECORDS = (DATA / "enriched.log").read_text(encoding="utf-8").split("\n")[:-1]  # splitlines splits at 0x1d
T = "2026-11-29T02:14:53"
ROWS = [  # the four detected processes of enriched.log (tests/audit/data/README.md), dest = --host
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5658"},
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5661", "pid": "5663"},
    {"comm": "atq", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5660"},
    {"comm": "atrm", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5665"},
]
EXPECTED = [{**row, "dest": "lab-1", "count": "1", "firstTime": T, "lastTime": T} for row in ROWS]

VARIANTS = {
    "0x1d": lambda line: line,
    "#035": lambda line: line.replace("\x1d", "#035"),  # rsyslog's escape of control characters
    "space": lambda line: line.replace("\x1d", " "),  # what some add-ons write
    "RFC 3164": lambda line: "Nov 29 02:14:53 vm audisp-syslog: " + line.replace("\x1d", "#035"),
    "RFC 5424": lambda line: "<109>1 2026-11-29T02:14:53.061Z vm audisp-syslog - - - " + line,
    "journal": lambda line: "2026-11-29T02:14:53+0000 vm audisp-syslog[812]: " + line,
}
FORMAT_NAMES = {"0x1d": "auditd", "#035": "auditd", "space": "auditd", "RFC 3164": "syslog RFC 3164",
                "RFC 5424": "syslog RFC 5424", "journal": "ISO-stamped syslog/journal"}


def _write(tmp_path: Path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return str(path)


def _cli(capsys, verb: str, *args: str) -> tuple[int, str, str]:
    code = main(["--app-dir", str(REPO), verb, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_same_record_in_every_separator_and_wrapper_gives_the_same_rows_and_verdict(capsys, tmp_path,
                                                                                       variant):
    log = _write(tmp_path, "a.log", [VARIANTS[variant](line) for line in RECORDS])
    code, out, err = _cli(capsys, "run", log, "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == EXPECTED
    code, out, _ = _cli(capsys, "check", log, "--host", "lab-1", "--tz", "UTC")
    assert code == 0
    assert "format     ENRICHED (SYSCALL records: 17 ENRICHED, 0 RAW, 0 interpreted)\n" in out
    assert f"record formats:\n  {FORMAT_NAMES[variant]} (115 record(s)): " in out
    assert "lines      115 (115 audit records, 0 not audit records, 0 blank)\n" in out
    assert out.endswith("READY: the shipped search can fire on this data.\n")


def test_a_syslog_header_is_named_and_its_time_choice_stated(capsys, tmp_path):
    log = _write(tmp_path, "a.log", [VARIANTS["RFC 3164"](line) for line in RECORDS])
    _, out, _ = _cli(capsys, "check", log, "--host", "lab-1")
    assert ("syslog RFC 3164 (115 record(s)): a syslog/journal header is in front of each record; it holds "
            "no key=value pair (but in RFC 5424 structured data: a note names any), so the record's fields "
            "are extracted as from auditd's log and the search can fire when the events are indexed with "
            "sourcetype=linux:audit (a syslog sourcetype does not match the `linux_auditd` macro); host is "
            "the syslog input's, and `_time` is taken from the audit stamp here (UNVERIFIED: Splunk may "
            "take the header's)\n") in out


def test_pairs_in_rfc5424_structured_data_are_named_and_one_the_search_reads_is_a_problem(capsys, tmp_path):
    """Splunk's automatic extraction finds `key=value` in the header too, first occurrence first:
    a harmless pair is a note; a pid= in the structured data would be the search's pid."""
    def wrapped(data: str) -> str:
        return _write(tmp_path, "a.log", [f"<109>1 2026-11-29T02:14:53Z vm audisp - - {data} {line}"
                                          for line in RECORDS])
    code, out, _ = _cli(capsys, "check", wrapped('[origin ip="10.0.0.1"]'), "--host", "lab-1")
    assert code == 0
    assert ("the syslog header's structured data holds key=value pairs, which become fields too (the "
            "search reads none of them): ip (115 record(s))") in out
    code, out, _ = _cli(capsys, "check", wrapped('[meta pid="1" x="2"]'), "--host", "lab-1")
    assert code == 1
    assert ("the syslog header holds pid= before the record does, and Splunk keeps the first value of a "
            "name: the search reads the header's, not the record's;") in out
    assert "(pairs in headers: pid (115 record(s)), x (115 record(s)))" in out
    _, out, _ = _cli(capsys, "run", wrapped('[meta pid="1"]'), "--host", "lab-1", "--format", "json")
    assert {row["pid"] for row in json.loads(out)} == {"1"}  # what Splunk would group by


def _with_search(app: Path, spl: str) -> Path:
    (app / "local").mkdir(exist_ok=True)
    (app / "local" / "savedsearches.conf").write_text(f"[Linux Auditd At Application Execution - Rule]\n"
                                                      f"search = {spl}\n")
    return app


def test_ausearch_interpreted_output_gives_no_rows_and_check_says_why(capsys, app):
    """ausearch -i (real output of enriched.log, C locale, UTC): the same records, lower-case
    names, so Splunk's stats drops them all, and `run` warns (about the 6 at/atd events its
    prefilter let through); `_time` is the interpreted date read in --tz."""
    log = str(DATA / "interpreted.log")
    code, out, err = _cli(capsys, "run", log, "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    assert err == ("linux-auditd-at run: warning: 6 event(s) read are `ausearch -i` text, whose names are "
                   "lower-case and values interpreted (uid=root, syscall=execve) where auditd's log has "
                   'uid=0, UID="root", SYSCALL=execve: a search for those finds nothing in them; '
                   "`linux-auditd-at check` says what to index instead\n")
    spl = "search sourcetype=linux:audit type=SYSCALL comm=atq | table _time uid syscall UID SYSCALL"
    _with_search(app, spl)
    assert main(["--app-dir", str(app), "run", log, "--tz", "UTC", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"_time": "1795918493.064", "uid": "root", "syscall": "execve", "UID": None, "SYSCALL": None}]
    assert main(["--app-dir", str(app), "run", log, "--tz", "Europe/Berlin", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["_time"] == "1795914893.064"  # 02:14:53 CET is 01:14:53 UTC
    code, out, _ = _cli(capsys, "check", log, "--host", "lab-1", "--tz", "UTC")
    assert code == 1
    assert "lines      146 (115 audit records, 0 not audit records, 31 blank)\n" in out  # 31 `----` lines
    assert "format     interpreted (SYSCALL records: 0 ENRICHED, 0 RAW, 17 interpreted)\n" in out
    assert "  ausearch -i (115 record(s)): the interpreted text of `ausearch -i`" in out
    assert "SYSCALL    17 record(s), 14 execve\n" in out
    assert ("  - the log is `ausearch -i` output: its names are lower-case (uid=root, syscall=execve), "
            "so the search's UID and SYSCALL stay null and its stats drops every record; index auditd's "
            "own log instead") in out
    assert "`FIELDALIAS-at = uid AS UID syscall AS SYSCALL`" in out


NOT_RECORDS = {
    "msg=audit( text only": ("see msg=audit( in the manual", "no msg=audit(EPOCH:SERIAL) stamp"),
    "cut stamp": ("type=SYSCALL msg=audit(17959184", "no msg=audit(EPOCH:SERIAL) stamp"),
    "NUL padding": ("\x00" * 8 + RECORDS[4], "NUL bytes before the record"),
    "stamp kept, type= lost": ('msg=audit(1795918493.060:4): arch=c000003e syscall=59 comm="at"',
                               "no type= field"),
    "journald audit transport": ("2026-11-29T02:14:53+0000 vm audit[5658]: SYSCALL arch=c000003e syscall=59 "
                                 'success=yes comm="at" exe="/usr/bin/at"', "journald's own copy of a kernel "
                                 "audit record (no type= and no msg=audit( stamp)"),
}


@pytest.mark.parametrize("kind", list(NOT_RECORDS))
def test_run_and_check_agree_on_lines_that_are_not_records(capsys, tmp_path, kind):
    """Issue 9 item 8: such lines were counted as prefiltered out by `run` (exit 0 under --strict)
    while `check` rejected them. Now both name the line, and --strict fails in both."""
    line, reason = NOT_RECORDS[kind]
    log = _write(tmp_path, "a.log", [*RECORDS[:10], line, *RECORDS[10:]])
    code, out, err = _cli(capsys, "run", log, "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert code == 0 and json.loads(out) == EXPECTED
    assert err.startswith(f"linux-auditd-at run: warning: 1 line(s) were not audit records and were skipped; "
                          f"first: {log}:11: {reason}")
    code, out, _ = _cli(capsys, "check", log, "--host", "lab-1")
    assert "lines      116 (115 audit records, 1 not audit records, 0 blank)\n" in out
    assert f"first: {log}:11: {reason}" in out
    for verb in ("run", "check"):
        code, _, err = _cli(capsys, verb, log, "--strict", "--host", "lab-1")
        assert code == 2 and f"{log}:11" in err and reason in err, verb


def test_a_file_without_records_is_refused_by_run_even_when_the_search_reads_nothing(capsys, tmp_path, app):
    """`head 0` stops the search before it reads an event; the file is still read to the end, so
    /etc/passwd is "not an audit log" for `run` as for `check`."""
    _with_search(app, "search * | head 0")
    log = _write(tmp_path, "passwd", ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1:daemon:/usr/sbin:"])
    for verb in ("run", "check"):
        code = main(["--app-dir", str(app), verb, log])
        err = capsys.readouterr().err
        assert code == 2 and "none of its 2 non-blank line(s) is an audit record" in err, verb
    assert main(["--app-dir", str(app), "run", str(DATA / "enriched.log"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
