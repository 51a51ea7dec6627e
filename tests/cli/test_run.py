"""`linux-auditd-at run` end to end on real records (tests/audit/data), rows worked out by hand.

The fixture's SYSCALL records of at's family (read off the file): `at` pid 5658 ppid 5493, `atq`
5660, `at` 5663 ppid 5661, `atrm` 5665, all UID="root"; `at` 5673 and `atd` 5659 have
UID="daemon" and are excluded by `NOT (UID IN("daemon"))`. Each stats group is one record, so
count 1 and firstTime = lastTime = the record's second (1795918493 = 2026-11-29T02:14:53 UTC).
"""

from __future__ import annotations

import csv
import fcntl
import gzip
import io
import json
import os
import pty
import re
import shutil
import socket
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linux_auditd_at.cli import common, main
from linux_auditd_at.detection import load_detection
from linux_auditd_at.spl import Result
from paths import AUDIT_DATA, DATASET, REPO
from scratch_app import copy_app

DATA = AUDIT_DATA
NESTED_TOO_DEEP = (r"error: --filter: nested more than 1000 levels deep \(parentheses, NOT, unary minus, "
                   r"operators such as \+ in a row\) at position (?P<position>\d+)")
COLUMNS = ["comm", "exe", "SYSCALL", "UID", "ppid", "pid", "dest", "count", "firstTime", "lastTime"]
T = "2026-11-29T02:14:53"
EXPECTED = [  # stats order: by comm, then exe, ..., then pid, as strings in byte order
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5658"},
    {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5661", "pid": "5663"},
    {"comm": "atq", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5660"},
    {"comm": "atrm", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "5493", "pid": "5665"},
]


def _expected(dest: str) -> list[dict]:
    return [{**row, "dest": dest, "count": "1", "firstTime": T, "lastTime": T} for row in EXPECTED]


def test_json_rows_on_the_enriched_fixture(cli):
    code, out, err = cli("run", str(DATA / "enriched.log"), "--host", "lab-1", "--tz", "UTC",
                          "--format", "json")
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert [list(row) for row in rows] == [COLUMNS] * 4
    assert rows == _expected("lab-1")


def test_node_prefix_is_a_field_dest_is_the_host_unless_host_from_node(cli):
    """splunk-semantics.md: host is set by the input, node= is only a field; only a site's
    index-time override (emulated by --host-from-node) makes the node the host, hence `dest`."""
    options = ("--host", "collector", "--tz", "UTC", "--format", "json")
    code, out, _ = cli("run", str(DATA / "node.log"), *options)
    assert code == 0
    rows = json.loads(out)
    assert {row["dest"] for row in rows} == {"collector"}
    assert sorted(row["comm"] for row in rows) == ["at", "at", "atq", "atrm"]
    code, out, _ = cli("run", str(DATA / "node.log"), *options, "--host-from-node")
    assert {row["dest"] for row in json.loads(out)} == {"fixture-node-01"}


def test_raw_format_log_gives_no_rows(cli):
    code, out, _ = cli("run", str(DATA / "raw.log"), "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = cli("run", str(DATA / "raw.log"))
    assert out == "No results found.\n"


def test_plain_table_has_by_fields_then_aggregates(cli):
    code, out, _ = cli("run", str(DATA / "enriched.log"), "--host", "lab-1", "--tz", "UTC")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == COLUMNS
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["at", "/usr/bin/at", "execve", "root", "5493", "5658", "lab-1", "1", T, T]
    assert len(lines) == 6


def test_csv_and_time_zone(cli):
    code, out, _ = cli("run", str(DATA / "enriched.log"), "--host", "lab-1", "--tz", "Asia/Tokyo",
                        "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert {row["firstTime"] for row in rows} == {"2026-11-29T11:14:53"}  # UTC+9


def test_csv_cells_multivalue_on_lines_null_empty_quotes_kept():
    rows = [{"a": "x", "b": None, "c": 'say "hi", bye'}, {"a": ["1", "2"], "b": "y\nz", "c": ""},
            {"a": "only"}]
    out = io.StringIO()
    common.print_result(Result(columns=["a", "b", "c"], rows=rows), "csv", out)
    assert out.getvalue() == 'a,b,c\nx,,"say ""hi"", bye"\n"1\n2","y\nz",\nonly,,\n'


CELLS = st.one_of(st.none(), st.text(max_size=6), st.lists(st.text(max_size=4), min_size=2, max_size=3))
NAMES = st.lists(st.sampled_from(["a", "b", "%s", "{x}", "é", "a"]), max_size=4)
RESULTS = st.one_of(
    NAMES.flatmap(lambda columns: st.builds(Result, st.just(columns), st.lists(
        st.dictionaries(st.sampled_from([*columns, "other"]), CELLS), max_size=4))),
    # rows of exactly the columns, in order, all strings: what a stats search returns
    st.lists(st.sampled_from(["a", "b", "é"]), min_size=2, unique=True).flatmap(
        lambda columns: st.builds(Result, st.just(columns), st.lists(
            st.tuples(*[st.text(alphabet='ab ,"\r\n', max_size=3)] * len(columns)).map(
                lambda cells: dict(zip(columns, cells, strict=True))), max_size=4))))


@settings(max_examples=300, deadline=None)
@given(result=RESULTS)
def test_json_and_csv_are_what_the_stdlib_writers_write(result):
    """The column-at-a-time writers give the bytes of json.dump(indent=2) over the rows (a column
    named twice once) and of csv.writer over the cells (a multivalue cell's values on lines)."""
    out = io.StringIO()
    common.print_result(result, "json", out)
    rows = [{name: row.get(name) for name in result.columns} for row in result.rows]
    assert out.getvalue() == json.dumps(rows, indent=2) + "\n"
    out, expected = io.StringIO(), io.StringIO()
    common.print_result(result, "csv", out)
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([common.text_of(row.get(name), "\n") for name in result.columns] for row in result.rows)
    assert out.getvalue() == expected.getvalue()


def test_filter_replaces_the_filter_macro_for_one_run(cli, tmp_path):
    """--filter wins over a local/ definition too, and writes nothing: the next run is as before."""
    app = _app(tmp_path, macros=f'[{FILTER_CALL.strip("`")}]\ndefinition = search comm="atq"\n')
    before = sorted((path.relative_to(app), path.read_bytes()) for path in app.rglob("*") if path.is_file())
    run = ["run", DATA / "enriched.log", "--tz", "UTC", "--format", "json"]
    code, out, _ = cli(*run, "--filter", 'search NOT comm IN ("atq", "atrm")', app=app)
    assert code == 0
    rows = json.loads(out)
    assert [(row["comm"], row["pid"]) for row in rows] == [("at", "5658"), ("at", "5663")]
    code, out, _ = cli(*run, app=app)
    assert code == 0
    assert [row["comm"] for row in json.loads(out)] == ["atq"]
    assert sorted((path.relative_to(app), path.read_bytes()) for path in app.rglob("*") if path.is_file()) \
        == before


def test_time_range_relative_to_now(cli):
    log = str(DATA / "enriched.log")
    code, out, _ = cli("run", log, "--tz", "UTC", "--format", "json", "--now", "2026-11-29T03:00:00",
                        "--earliest=-70m@m", "--latest=-10m@m")
    assert code == 0 and len(json.loads(out)) == 4  # 01:50 .. 02:50 holds 02:14:53
    code, out, _ = cli("run", log, "--tz", "UTC", "--format", "json", "--now", "2026-11-29T04:00:00",
                        "--earliest=-70m@m", "--latest=-10m@m")
    assert code == 0 and json.loads(out) == []  # 02:50 .. 03:50


def test_gzip_rotated_set_and_stdin_give_the_same_rows(cli, tmp_path, monkeypatch):
    lines = (DATA / "enriched.log").read_bytes().split(b"\n")[:-1]
    (tmp_path / "audit.log.1").write_bytes(gzip.compress(b"\n".join(lines[:60]) + b"\n"))
    (tmp_path / "audit.log").write_bytes(b"\n".join(lines[60:]) + b"\n")
    code, out, _ = cli("run", str(tmp_path / "audit.log*"), "--host", "lab-1", "--tz", "UTC",
                        "--format", "json")
    assert code == 0 and json.loads(out) == _expected("lab-1")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((DATA / "enriched.log").read_bytes())))
    code, out, _ = cli("run", "-", "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert code == 0 and json.loads(out) == _expected("lab-1")


def test_non_audit_lines_warn_on_stderr_and_strict_fails(cli, tmp_path):
    log = tmp_path / "mixed.log"
    log.write_bytes(b"garbage line\n" + (DATA / "enriched.log").read_bytes())
    code, out, err = cli("run", str(log), "--host", "lab-1", "--tz", "UTC", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 4
    assert err == (f"linux-auditd-at run: warning: 1 line(s) were not audit records and were skipped; "
                   f"first: {log}:1: no msg=audit(EPOCH:SERIAL) stamp\n")
    code, out, err = cli("run", str(log), "--strict")
    assert code == 2 and out == ""
    assert err == (f"linux-auditd-at run: error: {log}:1: not an audit record: "
                   f"no msg=audit(EPOCH:SERIAL) stamp\n")


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


# --- Bad input, end to end: one row per case of the "Bad input" paragraph -------------

ENRICHED_LINES = (DATA / "enriched.log").read_bytes().split(b"\n")[:-1]
FILTER_CALL = "`linux_auditd_at_application_execution_filter`"


def _app(tmp_path: Path, *, macros: str | None = None, savedsearches: str | None = None) -> Path:
    """A copy of the shipped app with the given local/ files (Splunk layers them over default/)."""
    app = copy_app(tmp_path / "app")
    for name, text in (("macros.conf", macros), ("savedsearches.conf", savedsearches)):
        if text is not None:
            (app / "local").mkdir(exist_ok=True)
            (app / "local" / name).write_text(text)
    return app


def _log(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return str(tmp_path / name)


def _lines(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


def _gzip_cut(tmp_path: Path) -> list[str]:
    packed = gzip.compress((DATA / "enriched.log").read_bytes())
    return [_log(tmp_path, "cut.gz", packed[: len(packed) // 2])]


def _gzip_garbled(tmp_path: Path) -> list[str]:
    packed = bytearray(gzip.compress((DATA / "enriched.log").read_bytes()))
    packed[-8] ^= 0xFF  # the CRC-32 of the trailer: the data no longer matches it
    return [_log(tmp_path, "garbled.gz", bytes(packed))]


def _undefined_macro(tmp_path: Path) -> Path:
    return _app(tmp_path, macros="[linux_auditd_at_application_execution_filter]\n"
                                 "definition = search `no_such_macro`\n")


def _wrong_argument_count(tmp_path: Path) -> Path:
    return _app(tmp_path, savedsearches="[Linux Auditd At Application Execution - Rule]\nsearch = "
                                        "`linux_auditd` type=SYSCALL | stats count by comm "
                                        "| `security_content_ctime(a, b)`\n")


def _hard_link(tmp_path: Path) -> list[str]:
    log = _log(tmp_path, "audit.log", _lines(*ENRICHED_LINES))
    os.link(log, tmp_path / "again.log")
    return [log, str(tmp_path / "again.log")]


def bad(name: str, make_logs: Callable[[Path], list[str]], extra: list[str], code: int, stderr: str,
        rows: int | None, *, app: Callable[[Path], Path] | None = None,
        position_at: tuple[str, str] | None = None):
    """One bad-input case: the LOG arguments (a function of tmp_path), extra arguments, the exit
    code, stderr (a regex; {0} is the first LOG), the rows the run still prints (None: nothing
    printed); `app` makes the app folder (the checkout when None); `position_at` is where the SPL
    error's position must point: ("search" as written or "expanded", the text found there)."""
    return pytest.param(make_logs, extra, code, stderr, rows, app, position_at, id=name)


BAD_INPUT = [
    bad("malformed line", lambda t: [_log(t, "a.log", _lines(b"hello world", *ENRICHED_LINES))], [], 0,
        r"warning: 1 line\(s\) were not audit records and were skipped; first: {0}:1: "
        r"no msg=audit\(EPOCH:SERIAL\) stamp", 4),
    bad("line cut before its stamp",
        lambda t: [_log(t, "a.log", _lines(*ENRICHED_LINES, ENRICHED_LINES[4][:20]))], [], 0,
        r"warning: 1 line\(s\) .*first: {0}:116: no msg=audit\(EPOCH:SERIAL\) stamp", 4),
    # a record cut at its start keeps its stamp but loses type=: the search's prefilter rejects it,
    # and it is still counted as non-audit, as `check` (no prefilter) counts it
    bad("record cut at its start: stamp kept, type= lost", lambda t: [_log(t, "a.log", _lines(
        b'msg=audit(1795918493.060:4): arch=c000003e syscall=59 comm="at"', *ENRICHED_LINES))],
        [], 0, r"warning: 1 line\(s\) .*first: {0}:1: no type= field", 4),
    bad("non-UTF-8 bytes", lambda t: [_log(t, "a.log", _lines(*ENRICHED_LINES[:4], ENRICHED_LINES[4].replace(
        b'key="fxtest"', b'key="fx\xfftest"'), *ENRICHED_LINES[5:]))],
        [], 0, r"warning: 1 line\(s\) held bytes that are not UTF-8, replaced with U\+FFFD as Splunk does; "
        r"first: {0}:5", 4),
    bad("huge line",
        lambda t: [_log(t, "a.log", _lines(ENRICHED_LINES[0], b"type=SYSCALL " + b"x" * (2 << 20),
                                           *ENRICHED_LINES[1:]))],
        [], 0, r"warning: 1 line\(s\) .*first: {0}:2: line longer than 1048576 bytes", 4),
    bad("not an audit log",
        lambda t: [_log(t, "syslog", b"Nov 29 02:14:53 vm sshd: Accepted\n\nvm kernel\n")],
        [], 2, r"error: {0}: none of its 2 non-blank line\(s\) is an audit record \(line 1: "
        r"no msg=audit\(EPOCH:SERIAL\) stamp\); is it an audit log\?$", None),
    bad("empty file", lambda t: [_log(t, "empty.log", b"")], [], 0,
        r"warning: no audit records read from {0}$", 0),
    bad("empty file among others", lambda t: [_log(t, "empty.log", b""), str(DATA / "enriched.log")], [], 0,
        r"^$", 4),
    bad("truncated .gz", _gzip_cut, [], 2, r"error: {0}:\d+: cannot read \(truncated gzip file", None),
    bad("corrupt .gz", _gzip_garbled, [], 2, r"error: {0}:1: cannot read \(corrupt gzip data", None),
    bad("missing file", lambda t: [str(t / "missing.log")], [], 2, r"error: {0}: no such file$", None),
    bad("directory", lambda t: [str(t)], [], 2, r"error: {0}: is a directory", None),
    bad("glob matching nothing", lambda t: [str(t / "audit.log*")], [], 2,
        r"error: {0}: no file matches this pattern$", None),
    bad("--strict and a bad line", lambda t: [_log(t, "a.log", _lines(*ENRICHED_LINES, b"junk"))],
        ["--strict"], 2, r"error: {0}:116: not an audit record: no msg=audit\(EPOCH:SERIAL\) stamp$", None),
    bad("--strict and a clean log", lambda t: [str(DATA / "enriched.log")], ["--strict"], 0, r"^$", 4),
    bad("undefined macro", lambda t: [str(DATA / "enriched.log")], [], 2,
        r"error: undefined macro `no_such_macro` "
        r"\(inside macro `linux_auditd_at_application_execution_filter`\) at position (?P<position>\d+)",
        None,
        app=_undefined_macro, position_at=("search", FILTER_CALL)),
    bad("wrong macro argument count", lambda t: [str(DATA / "enriched.log")], [], 2,
        r"error: macro `security_content_ctime` is called with 2 arguments, "
        r"but macros.conf defines only \[security_content_ctime\(1\)\].* at position (?P<position>\d+)", None,
        app=_wrong_argument_count, position_at=("search", "`security_content_ctime(a, b)`")),
    bad("--filter that does not parse", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search comm=("], 2,
        r"error: --filter: expected a value after '=', found '\(' at position (?P<position>\d+)", None,
        position_at=("filter", "(")),
    bad("--filter with an unsupported command", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search * | transaction pid"], 2,
        r"error: --filter: command 'transaction' is valid SPL but not supported by the offline engine "
        r"at position (?P<position>\d+)", None,
        position_at=("filter", "transaction pid")),
    bad("--filter with a regex that backtracks without end", lambda t: [str(DATA / "enriched.log")],
        ["--filter", 'search * | where match(exe . exe . exe, "^(/?[a-z]*)*\\d$")'], 2,
        r'error: regex "\^\(/\?\[a-z\]\*\)\*\\d\$" exceeded PCRE\'s match limit \(100000\): .* '
        r"at position (?P<position>\d+)", None,
        position_at=("expanded", '"^(/?[a-z]*)*\\d$"')),
    bad("bad --earliest", lambda t: [str(DATA / "enriched.log")], ["--earliest=-1fortnight"], 2,
        r"error: invalid time modifier '-1fortnight'", None),
    bad("bad --tz", lambda t: [str(DATA / "enriched.log")], ["--tz", "Mars/Olympus"], 2,
        r"error: --tz 'Mars/Olympus': unknown time zone", None),
    bad("a hard link to a log named too", _hard_link, [], 0,
        r"warning: {1} is the same data as {0}, read once$", 4),
    bad("an existing file whose name looks like a glob", lambda t: [_log(t, "bracket[1].log", _lines(
        *ENRICHED_LINES))], [], 0, r"^$", 4),
    bad("a name holding a line break", lambda t: [_log(t, "a\nb.log", _lines(*ENRICHED_LINES))], [], 0,
        r"^$", 4),
    bad("a missing name holding a line break", lambda t: [str(t / "gone\x1b[2J\n.log")], [], 2,
        r"error: .*/gone\\x1b\[2J\\n\.log: no file matches this pattern$", None),
    bad("a 5,000-digit number", lambda t: [str(DATA / "enriched.log")],
        ["--filter", f"search * | where pid < {'9' * 5000} AND tonumber(\"{'9' * 5000}\") > 1"], 0, r"^$", 4),
    bad("head 99999999999999999999", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search * | head 99999999999999999999"], 0, r"^$", 4),
    bad("250 nested parentheses in where", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search * | where " + "(" * 250 + "pid>0" + ")" * 250], 0, r"^$", 4),
    bad("1,001 nested parentheses in where", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search * | where " + "(" * 1001 + "pid>0" + ")" * 1001], 2,
        NESTED_TOO_DEEP, None, position_at=("filter", "(pid>0")),
    bad("20,000 + in a row in where", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search * | where pid > " + " + ".join(["1"] * 20_000)], 2,
        NESTED_TOO_DEEP, None, position_at=("filter", "+ 1 + 1")),
    bad("1,000 ORs in where", lambda t: [str(DATA / "enriched.log")],
        ["--filter", "search * | where " + " OR ".join(f"pid={n}" for n in range(5000, 6000))], 0, r"^$", 4),
]

@pytest.mark.parametrize(("make_logs", "extra", "code", "stderr", "rows", "make_app", "position_at"),
                         BAD_INPUT)
def test_bad_input_matrix(cli, tmp_path, make_logs, extra, code, stderr, rows, make_app, position_at):
    """Each case: the exit code, one stderr line naming file:line or the SPL position, and the
    rows still printed when the run can be trusted (nothing on stdout when it cannot)."""
    logs = make_logs(tmp_path)
    app = REPO if make_app is None else make_app(tmp_path)
    options = ["--host", "lab-1", "--format", "json"] + ([] if "--tz" in extra else ["--tz", "UTC"])
    exit_code, out, err = cli("run", *logs, *extra, *options, app=app)
    assert exit_code == code
    kind = "error" if code else "warning"
    pattern = stderr.format(*(re.escape(log) for log in logs)).replace(
        f"{kind}:", f"^linux-auditd-at run: {kind}:")
    match = re.search(pattern, err.rstrip("\n"))
    assert match, err
    assert err.count("\n") <= 1
    if rows is None:
        assert out == ""
    else:
        assert len(json.loads(out)) == rows
    if position_at is not None:  # in the search as written, in the --filter as typed (a parse error),
        where, token = position_at  # or in the expanded search (an error while it runs)
        if where == "search":
            spl = load_detection(app).search
        elif where == "filter":
            spl = extra[1]
        else:
            spl = load_detection(app, filter_definition=extra[1]).expanded_search()
        assert spl[int(match["position"]):].startswith(token)


def test_bad_input_in_a_real_process(tmp_path):
    """The installed entry point, as a shell sees it: exit status and one line on stderr."""
    log = _log(tmp_path, "a.log", _lines(b"junk", *ENRICHED_LINES))
    cases = [
        ([log], 0, f"linux-auditd-at run: warning: 1 line(s) were not audit records and were skipped; "
                   f"first: {log}:1: no msg=audit(EPOCH:SERIAL) stamp\n"),
        ([log, "--strict"], 2, f"linux-auditd-at run: error: {log}:1: not an audit record: "
                               f"no msg=audit(EPOCH:SERIAL) stamp\n"),
        ([str(tmp_path / "gone.log")], 2,
         f"linux-auditd-at run: error: {tmp_path / 'gone.log'}: no such file\n"),
    ]
    for args, code, stderr in cases:
        done = subprocess.run([sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "run", *args,
                               "--format", "csv"], capture_output=True, text=True, check=False)
        assert (done.returncode, done.stderr) == (code, stderr)
        assert len(done.stdout.splitlines()) == (5 if code == 0 else 0)
    done = subprocess.run([sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "run", "-",
                           "--filter", "search * | transaction pid"],
                          input=(DATA / "enriched.log").read_bytes(), capture_output=True, check=False)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().startswith("linux-auditd-at run: error: --filter: command 'transaction' "
                                           "is valid SPL but not supported by the offline engine at "
                                           "position 11: ")


def test_a_log_in_a_folder_the_user_cannot_enter_is_one_error_line(capsys, tmp_path, monkeypatch):
    """/var/log/audit for a user who is not root. Root enters any folder, so as root the refusal
    the kernel gives other users (EACCES on stat) is played by os.stat."""
    folder = tmp_path / "audit"
    folder.mkdir()
    log = Path(_log(folder, "audit.log", _lines(*ENRICHED_LINES)))
    folder.chmod(0)
    if os.geteuid() == 0:
        real_stat = os.stat

        def refusing(path, *args, **kwargs):
            if str(path).startswith(f"{folder}/"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_stat(path, *args, **kwargs)

        monkeypatch.setattr(os, "stat", refusing)
    try:
        assert main(["--app-dir", str(REPO), "run", str(log)]) == 2
    finally:
        folder.chmod(0o755)
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"linux-auditd-at run: error: {log}: Permission denied\n")


def test_a_glob_in_a_folder_the_user_cannot_list_names_the_folder(tmp_path):
    """`run '/var/log/audit/audit.log*'` as a user who is not root: glob sees no files in a folder
    it cannot read, which said "no file matches" as if there were no log. A real refusal: root
    runs it without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (setpriv), so the folder's mode 0 holds."""
    folder = tmp_path / "audit"
    folder.mkdir()
    _log(folder, "audit.log", _lines(*ENRICHED_LINES))
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("as root this needs setpriv (util-linux) to drop the DAC capabilities")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search",
                  "--inh-caps=-dac_override,-dac_read_search"]
    folder.chmod(0)
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO),
                               "run", f"{folder}/audit.log*"], capture_output=True, text=True, check=False)
    finally:
        folder.chmod(0o755)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"linux-auditd-at run: error: {folder}: Permission denied, so no file of "
                           f"{folder}/audit.log* can be found\n")


def _cli_process(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "run", *args],
                          text=True, check=False, **({"capture_output": True} | options))


def test_stdin_closed_is_one_error_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", None)  # what Python sets when the process starts without fd 0
    assert main(["--app-dir", str(REPO), "run", "-"]) == 2
    closed = "linux-auditd-at run: error: -: stdin is closed; name the log files instead\n"
    assert capsys.readouterr().err == closed
    done = _cli_process("-", preexec_fn=lambda: os.close(0))  # `run - 0<&-` in a shell
    assert (done.returncode, done.stdout, done.stderr) == (2, "", closed)


def test_stdout_on_a_full_device_is_one_error_line():
    with open("/dev/full", "w") as full:
        done = _cli_process(str(DATA / "enriched.log"), "--host", "lab-1", stdout=full,
                            stderr=subprocess.PIPE, capture_output=False)
    assert (done.returncode, done.stderr) == (
        2, "linux-auditd-at run: error: cannot write the output: No space left on device\n")


def test_stdin_named_twice_is_read_once_with_a_note():
    done = _cli_process("-", "/dev/stdin", "--host", "lab-1", "--format", "csv",
                        input=(DATA / "enriched.log").read_text())
    assert done.returncode == 0
    assert done.stderr == "linux-auditd-at run: warning: /dev/stdin is the same data as -, read once\n"
    assert len(done.stdout.splitlines()) == 5


# --- Event metadata: host, source, sourcetype, index, as an input would set them ---------------

METADATA_SEARCH = ("[Linux Auditd At Application Execution - Rule]\n"
                   "search = sourcetype=\"linux:audit\" | stats count by host source sourcetype index\n")
DATASET_YAML = ("datasets:\n- name: at\n  path: /datasets/T1053.002/{name}\n  sourcetype: linux:audit\n"
                "  source: /var/log/audit/audit.log\n  host: yaml-host\n")


def _metadata_rows(cli, tmp_path, monkeypatch, log_name: str, *, dataset: bool, stdin: bool,
                   options: list[str]) -> tuple[list[tuple], str]:
    app = _app(tmp_path, savedsearches=METADATA_SEARCH)
    folder = tmp_path / "logs"
    folder.mkdir()
    log = folder / log_name
    log.write_bytes((DATA / log_name).read_bytes())
    if dataset:
        (folder / "meta.yml").write_text(DATASET_YAML.format(name=log_name))
    if stdin:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(log.read_bytes())))
    code, out, _ = cli("run", "-" if stdin else log, *options, "--format", "json", app=app)
    assert code == 0
    rows = json.loads(out)
    fields = ("host", "source", "sourcetype", "index", "count")
    return [tuple(row[name] for name in fields) for row in rows], str(log)


@pytest.mark.parametrize(("log_name", "dataset", "stdin", "options", "host", "source", "index"), [
    # host: --host, else the dataset's metadata, else this machine's name; node= is only a field
    ("enriched.log", False, False, [], socket.gethostname(), "{log}", "main"),
    ("enriched.log", True, False, [], "yaml-host", "/var/log/audit/audit.log", "main"),
    ("enriched.log", True, False, ["--host", "flag-host"], "flag-host", "/var/log/audit/audit.log", "main"),
    ("enriched.log", False, False, ["--host", "flag-host", "--index", "linux"], "flag-host", "{log}",
     "linux"),
    ("node.log", True, False, ["--host", "flag-host"], "flag-host", "/var/log/audit/audit.log", "main"),
    ("node.log", True, False, [], "yaml-host", "/var/log/audit/audit.log", "main"),
    ("node.log", True, False, ["--host-from-node"], "fixture-node-01", "/var/log/audit/audit.log",
     "main"),
    ("enriched.log", True, True, [], socket.gethostname(), "stdin", "main"),  # stdin has no metadata
    ("enriched.log", False, True, ["--host", "flag-host"], "flag-host", "stdin", "main"),
], ids=["machine name", "dataset metadata", "--host over metadata", "--host and --index",
        "node= is not the host", "node= keeps the metadata host", "--host-from-node", "stdin",
        "stdin with --host"])
def test_host_source_sourcetype_index(cli, tmp_path, monkeypatch, log_name, dataset, stdin, options, host,
                                      source, index):
    rows, log = _metadata_rows(cli, tmp_path, monkeypatch, log_name, dataset=dataset, stdin=stdin,
                               options=options)
    lines = (DATA / log_name).read_bytes().count(b"\n")  # every line of the fixtures is a record
    assert rows == [(host, source.format(log=log), "linux:audit", index, str(lines))]


def test_hex_encoded_and_unquoted_values_as_splunk_sees_them(capsys, tmp_path):
    """`comm`/`exe` of a program named `my prog` are hex in the record, and stay hex: a search for
    the decoded name finds nothing; unquoted values (`tty=(none)`) are taken as written."""
    search = ("[Linux Auditd At Application Execution - Rule]\nsearch = sourcetype=\"linux:audit\" "
              "type=SYSCALL comm={comm} | table comm exe tty success key UID\n")
    app = _app(tmp_path, savedsearches=search.format(comm="6D792070726F67"))
    assert main(["--app-dir", str(app), "run", str(DATA / "enriched.log"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"comm": "6D792070726F67", "exe": "2F746D702F6D792070726F67", "tty": "(none)", "success": "yes",
         "key": "fxtest", "UID": "root"}]
    (app / "local" / "savedsearches.conf").write_text(search.format(comm='"my prog"'))
    assert main(["--app-dir", str(app), "run", str(DATA / "enriched.log"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


# --- Time: --earliest/--latest modifiers relative to --now, --tz, the local zone ----------------

@pytest.mark.parametrize(("earliest", "latest", "rows"), [
    ("-70m@m", "-10m@m", 4),  # 01:50 .. 02:50 holds 02:14:53
    ("@d", "now", 4),
    ("-1h", None, 4),  # from 02:00:00
    ("-30m", None, 0),  # from 02:30:00
    (None, "-1h@h", 0),  # before 02:00:00
    ("-1d@d", "@d", 0),  # yesterday
    ("+1h", None, 0),
    ("1795918493", "1795918494", 4),  # epoch seconds
    (None, "1795918493", 0),  # latest is exclusive
    ("1795918494", None, 0),
    ("2026-11-29T02:14:00", "2026-11-29T02:15:00", 4),  # ISO 8601, in --tz
    ("2026-11-29T02:15:00Z", None, 0),
    ("2026-11-29T11:14:00+09:00", "2026-11-29T11:15:00+09:00", 4),
])
def test_time_modifiers_relative_to_now(cli, earliest, latest, rows):
    bounds = [f"--earliest={earliest}"] * bool(earliest) + [f"--latest={latest}"] * bool(latest)
    code, out, _ = cli("run", str(DATA / "enriched.log"), "--tz", "UTC", "--now", "2026-11-29T03:00:00",
                        "--format", "json", *bounds)
    assert code == 0 and len(json.loads(out)) == rows


@pytest.mark.parametrize(("zone", "rows"), [("Asia/Tokyo", 4), ("UTC", 0)])
def test_now_and_snapping_are_in_the_time_zone(cli, zone, rows):
    # 11:30 in Tokyo is 02:30 UTC, so @h is 02:00 UTC and holds 02:14:53; 11:30 UTC snaps to 11:00
    code, out, _ = cli("run", str(DATA / "enriched.log"), "--tz", zone, "--now", "2026-11-29T11:30:00",
                        "--earliest=@h", "--format", "json")
    assert code == 0 and len(json.loads(out)) == rows


@pytest.mark.parametrize(("tz_variable", "shown"), [
    ("Asia/Tokyo", "2026-11-29T11:14:53"), (":America/New_York", "2026-11-28T21:14:53")])
def test_times_are_in_the_local_zone_without_tz(cli, monkeypatch, tz_variable, shown):
    monkeypatch.setenv("TZ", tz_variable)
    code, out, _ = cli("run", str(DATA / "enriched.log"), "--format", "csv")
    assert code == 0
    assert {row["firstTime"] for row in csv.DictReader(io.StringIO(out))} == {shown}


# --- Progress bar: on stderr, only when stderr is a terminal (a real pseudo-terminal here) -------

PROGRESS_NOW = ("import sys; from linux_auditd_at.cli import common, main; common.PROGRESS_DELAY = {delay}; "
                "sys.exit(main(sys.argv[1:]))")


def _run_with_pty(*, stderr_on_pty: bool, stdout_on_pty: bool, delay: float = 0.0, fmt: str = "csv",
                  columns: int = 200, verb: tuple[str, ...] = ("run", str(DATA / "enriched.log"), "--host",
                                                                "lab-1")) -> tuple[int, str, str]:
    """`verb` in a child process with stderr and/or stdout on a pseudo-terminal `columns` wide
    (set on the terminal itself, as a terminal emulator does; no $COLUMNS); what each got.
    PROGRESS_DELAY is set in the child: the bar must not wait for a read to be slow."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    child = subprocess.Popen(
        [sys.executable, "-c", PROGRESS_NOW.format(delay=delay), "--app-dir", str(REPO), *verb,
         "--format", fmt],
        stdout=slave if stdout_on_pty else subprocess.PIPE,
        stderr=slave if stderr_on_pty else subprocess.PIPE,
        env={**env, "TERM": "xterm"})
    os.close(slave)
    terminal = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        terminal += data
    os.close(master)
    out, err = child.communicate(timeout=60)
    piped = (out if not stdout_on_pty else err) or b""
    return child.returncode, terminal.decode(errors="replace"), piped.decode(errors="replace")


def test_progress_bar_drawn_on_a_terminal_stderr():
    code, terminal, out = _run_with_pty(stderr_on_pty=True, stdout_on_pty=False)
    assert code == 0
    assert "reading" in terminal and "23.3 kB" in terminal  # the bar, with the file's size
    assert len(out.splitlines()) == 5 and "reading" not in out  # results on stdout, untouched


def test_no_progress_bar_when_stderr_is_not_a_terminal():
    code, terminal, err = _run_with_pty(stderr_on_pty=False, stdout_on_pty=True)
    assert code == 0
    assert err == ""
    assert "reading" not in terminal and "comm,exe" in terminal


def test_no_progress_bar_for_a_quick_read():
    code, terminal, _ = _run_with_pty(stderr_on_pty=True, stdout_on_pty=False, delay=30.0)
    assert code == 0 and terminal == ""


def test_table_on_a_terminal_is_drawn_by_rich_with_by_fields_first():
    code, terminal, err = _run_with_pty(stderr_on_pty=False, stdout_on_pty=True, fmt="table")
    assert code == 0 and err == ""
    terminal = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal)  # colours and styles
    header = next(line for line in terminal.splitlines() if "comm" in line)
    assert [cell.strip() for cell in header.strip("┃│ \r").split("┃")] == COLUMNS
    assert sum("atrm" in line and "lab-1" in line for line in terminal.splitlines()) == 1


# --- The table on a real terminal: no value is ever cut, control characters are escaped ----------

STYLES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.mark.parametrize("columns", [80, 120])
def test_table_on_an_80_column_terminal_shows_every_value_whole(columns):
    """The sample's rows (its expected.json, from the capture's ground truth) each on one line of
    the terminal's output, every cell's full text in it: a table too wide for the terminal is the
    plain aligned one, whose long lines the terminal wraps, never rich's with cut cells."""
    expected = json.loads((DATASET / "auditd_at_execution.expected.json").read_text())
    code, terminal, err = _run_with_pty(stderr_on_pty=False, stdout_on_pty=True, fmt="table", columns=columns,
                                        verb=("run", str(DATASET / "auditd_at_execution.log"), "--tz", "UTC"))
    assert code == 0 and err == ""
    lines = STYLES.sub("", terminal).splitlines()
    assert "…" not in terminal
    assert lines[0].split() == expected["columns"]
    for row in expected["rows"]:
        assert any(line.split() == [row[c] for c in expected["columns"]] for line in lines), row


def test_risk_messages_whole_on_an_80_column_terminal():
    code, terminal, _ = _run_with_pty(stderr_on_pty=False, stdout_on_pty=True, fmt="table", columns=80,
                                      verb=("risk", str(DATASET / "auditd_at_execution.log"), "--tz", "UTC"))
    assert code == 0
    lines = STYLES.sub("", terminal).splitlines()
    message = 'A SYSCALL - [atq] event was executed on host - [vm] to execute the "at" application.'
    assert sum(message in line for line in lines) == 1


def test_a_wide_terminal_gets_the_box_table_with_whole_values():
    code, terminal, _ = _run_with_pty(stderr_on_pty=False, stdout_on_pty=True, fmt="table", columns=200,
                                      verb=("run", str(DATASET / "auditd_at_execution.log"), "--tz", "UTC"))
    assert code == 0 and "┃" in terminal
    assert "2026-11-29T02:38:02 │ 2026-11-29T02:38:02" in STYLES.sub("", terminal)


HOSTILE_UID = "\x1b]0;pwned\x07\x1b[2Jroot"
HOSTILE_NODE = "ev\x1b[2Jil"


def _hostile_log(tmp_path: Path) -> str:
    """The enriched fixture with a terminal title sequence and a screen clear in UID and node=
    (the host, hence `dest`, with --host-from-node)."""
    data = (DATA / "enriched.log").read_bytes().replace(b'UID="root"', f'UID="{HOSTILE_UID}"'.encode())
    lines = [f"node={HOSTILE_NODE} ".encode() + line for line in data.splitlines()]
    return _log(tmp_path, "hostile.log", b"\n".join(lines) + b"\n")


def test_control_characters_are_escaped_in_the_table(cli, tmp_path, monkeypatch):
    log = _hostile_log(tmp_path)
    code, out, _ = cli("run", log, "--tz", "UTC", "--host-from-node")
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07\\x1b[2Jroot" in out and "ev\\x1b[2Jil" in out

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert main(["--app-dir", str(REPO), "run", log, "--tz", "UTC", "--host-from-node"]) == 0
    drawn = sys.stdout.getvalue()
    assert "┃" in drawn and "\\x1b]0;pwned\\x07\\x1b[2Jroot" in drawn
    assert "\x07" not in drawn and "\x1b]" not in drawn and "\x1b[2J" not in drawn


def test_control_characters_stay_raw_in_json_and_csv(cli, tmp_path):
    log = _hostile_log(tmp_path)
    _, out, _ = cli("run", log, "--tz", "UTC", "--host-from-node", "--format", "json")
    assert {(row["UID"], row["dest"]) for row in json.loads(out)} == {(HOSTILE_UID, HOSTILE_NODE)}
    _, out, _ = cli("run", log, "--tz", "UTC", "--host-from-node", "--format", "csv")
    rows = csv.DictReader(io.StringIO(out))
    assert {(row["UID"], row["dest"]) for row in rows} == {(HOSTILE_UID, HOSTILE_NODE)}


@pytest.mark.parametrize("verb", ["run", "risk", "backtest"])
def test_earliest_after_latest_is_an_error_in_every_verb(cli, verb):
    code, _, err = cli(verb, DATA / "enriched.log", "--tz", "UTC", "--earliest", "now", "--latest=-1d")
    assert code == 2
    assert err == f"linux-auditd-at {verb}: error: --earliest 'now' is after --latest '-1d'\n"


@pytest.mark.parametrize("verb", ["run", "check", "risk"])
def test_an_empty_tz_is_an_error_not_the_local_zone(cli, verb):
    code, out, err = cli(verb, DATA / "enriched.log", "--tz", "")
    assert code == 2 and out == ""
    assert err == (f"linux-auditd-at {verb}: error: --tz '': unknown time zone (use an IANA name like "
                   "Europe/Berlin)\n")
