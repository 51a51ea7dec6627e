"""`linux-auditd-at check`: data readiness on real ENRICHED, RAW and node= records."""

from __future__ import annotations

import gzip
import re

from linux_auditd_at.cli import main
from paths import AUDIT_DATA, REPO

DATA = AUDIT_DATA


def _field_lines(out: str) -> dict[str, str]:
    lines = out.split("\n")
    start = lines.index("fields on SYSCALL records:") + 1
    return {line.split()[0]: " ".join(line.split()[1:]) for line in lines[start:start + 6]}


def test_enriched_log_is_ready(cli):
    code, out, _ = cli("check", str(DATA / "enriched.log"), "--host", "lab-1")
    assert code == 0
    assert "format     ENRICHED (SYSCALL records: 17 ENRICHED, 0 RAW, 0 interpreted)" in out
    assert "SYSCALL    17 record(s), 14 execve" in out  # 14 execve + 3 others (auditctl sendto, atd write)
    assert set(_field_lines(out).values()) == {"17/17"}
    assert out.endswith("READY: the shipped search can fire on this data.\n")
    assert "machine's name" not in out  # --host given


def test_raw_log_cannot_fire_and_says_how_to_fix_auditd(cli):
    code, out, _ = cli("check", str(DATA / "raw.log"))
    assert code == 1
    assert "format     RAW" in out
    fields = _field_lines(out)
    assert fields["SYSCALL"] == fields["UID"] == "0/16 MISSING"
    assert fields["comm"] == "16/16"
    assert "NOT READY" in out and "log_format = ENRICHED" in out
    assert "12 execve" in out  # found by arch=c000003e syscall=59 without SYSCALL=


def test_node_prefix_is_reported_as_a_field_beside_the_input_host(cli):
    code, out, _ = cli("check", str(DATA / "node.log"), "--host", "collector")
    assert code == 0
    assert "hosts      collector (101)\nnode=      fixture-node-01 (101)\n" in out
    assert "machine's name" not in out and "WARNING" not in out


def test_several_node_names_under_one_host_are_warned_about(cli, tmp_path):
    """A central collector (audisp-remote, name_format = HOSTNAME) writes every node's name, but a
    Splunk input gives them all its own host: `dest` is the collector for every node."""
    lines = (DATA / "node.log").read_text().split("\n")
    log = tmp_path / "collector.log"
    log.write_text("\n".join(line.replace("node=fixture-node-01", "node=peer-02") if i % 2 else line
                             for i, line in enumerate(lines)))
    code, out, _ = cli("check", str(log), "--host", "collector")
    assert code == 0
    assert ("note: WARNING: node= names 2 hosts (fixture-node-01, peer-02), but the input gives the events "
            "1 host(s) (collector): in Splunk they become that dest unless the site overrides host at "
            "index time (emulate that with --host-from-node)\n") in out
    code, out, _ = cli("check", str(log), "--host", "collector", "--host-from-node")
    assert "hosts      fixture-node-01 (51), peer-02 (50)\n" in out and "WARNING" not in out


def test_no_execve_records_suggests_the_rule(cli, tmp_path):
    lines = (DATA / "enriched.log").read_text().split("\n")
    no_exec = [line for line in lines if "syscall=59" not in line and "type=EXECVE" not in line]
    log = tmp_path / "noexec.log"
    log.write_text("\n".join(no_exec))
    code, out, _ = cli("check", str(log), "--host", "x")
    assert code == 1
    assert "no execve SYSCALL records" in out and "-a always,exit -F arch=b64 -S execve" in out


def test_machine_name_host_is_noted_and_gzip_is_read(cli, tmp_path):
    (tmp_path / "a.log.gz").write_bytes(gzip.compress((DATA / "enriched.log").read_bytes()))
    code, out, _ = cli("check", str(tmp_path / "a.log.gz"))
    assert code == 0
    assert "note: records get this machine's name as host (dest); pass --host" in out


def test_empty_input_is_not_ready_and_missing_file_is_an_error(cli, tmp_path):
    (tmp_path / "empty.log").write_text("")
    code, out, _ = cli("check", str(tmp_path / "empty.log"))
    assert code == 1 and "no audit records in the input" in out
    code = main(["--app-dir", str(REPO), "check", str(tmp_path / "none.log")])
    assert code == 2


def test_lines_that_are_not_records_are_named(cli, tmp_path):
    """A stamped line without type= is named (as `run` names it), as are lines with bytes that are
    not UTF-8."""
    lines = (DATA / "enriched.log").read_bytes().split(b"\n")[:-1]
    lines[4] = lines[4].replace(b'key="fxtest"', b'key="fx\xfftest"')
    log = tmp_path / "cut.log"
    log.write_bytes(b'msg=audit(1795918493.060:4): arch=c000003e syscall=59 comm="at"\n' + b"\n".join(lines))
    code, out, _ = cli("check", str(log), "--host", "x")
    assert code == 0
    assert "lines      116 (115 audit records, 1 not audit records, 0 blank)" in out
    assert (f"note: 1 line(s) were not audit records and were skipped; first: {log}:1: no type= field; "
            f"1 line(s) held bytes that are not UTF-8, replaced with U+FFFD as Splunk does; first: {log}:6\n"
            ) in out


def test_a_site_index_in_the_base_macro_is_not_ready_until_index_says_where(capsys, app):
    """The README's advice, `index=os sourcetype="linux:audit"` in local/macros.conf: events read
    into `main` cannot pass, so check says NOT READY for this app configuration; --index os fixes it."""
    (app / "local").mkdir(exist_ok=True)
    site_macro = '[linux_auditd]\ndefinition = index=os sourcetype="linux:audit"\n'
    (app / "local" / "macros.conf").write_text(site_macro)
    log = str(DATA / "enriched.log")
    assert main(["--app-dir", str(app), "check", log, "--host", "lab-1"]) == 1
    out = capsys.readouterr().out
    assert ("  - not in this app configuration: the search requires index=\"os\" "
            "(set by macro `linux_auditd`), which no event read carries (index=main): pass --index os "
            "if that is where Splunk has them, else change the macro\n") in out
    assert main(["--app-dir", str(app), "check", log, "--host", "lab-1", "--index", "os"]) == 0
    assert capsys.readouterr().out.endswith("READY: the shipped search can fire on this data.\n")


def test_a_time_past_the_year_9999_is_shown_as_its_epoch(cli, tmp_path):
    """A date cannot show the year 10000; the span names the epoch instead of failing."""
    lines = (DATA / "enriched.log").read_bytes().split(b"\n")[:-1]
    far = re.sub(rb"audit\(\d+\.\d+", b"audit(253402300805.000", lines[0])
    log = tmp_path / "far.log"
    log.write_bytes(b"\n".join([*lines[1:], far]))
    code, out, _ = cli("check", str(log), "--host", "lab-1")
    assert code == 0
    assert re.search(r"^time span  2026-11-29T\S+ \.\. epoch 253402300805$", out, re.MULTILINE)
