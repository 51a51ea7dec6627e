"""The capture's error paths: each failure is produced for real where the machine allows it (an
unprivileged uid, a root without CAP_AUDIT_CONTROL), and only the tool search path is redirected
to make tools "missing". Nothing here adds an audit rule or starts a daemon."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from linux_auditd_at.capture import SCENARIOS, capture, dataset, scenarios, system, window
from linux_auditd_at.capture.scenarios import Process
from linux_auditd_at.errors import CaptureError
from paths import DATASET

FOLDER = DATASET
NOBODY = 65534
AS_USER = """
import os, sys
import linux_auditd_at.cli.capture  # imported while we can still read the interpreter's files
from linux_auditd_at.cli import main
uid = int(sys.argv[1])
os.setgroups([])
os.setresgid(uid, uid, uid)
os.setresuid(uid, uid, uid)
sys.exit(main(sys.argv[2:]))
"""
is_root = os.geteuid() == 0
needs_root = pytest.mark.skipif(not is_root, reason="needs root to drop to another uid or capability")


def cli(argv: list[str], *, uid: int | None = None,
        prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    if uid is None:
        command = [*prefix, sys.executable, "-m", "linux_auditd_at", *argv]
    else:
        command = [*prefix, sys.executable, "-c", AS_USER, str(uid), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=FOLDER.parents[2])


def test_not_root_is_a_clear_error(tmp_path):
    argv = ["capture", str(tmp_path / "out")]
    done = cli(argv, uid=NOBODY) if is_root else cli(argv)
    assert done.returncode == 2
    assert "capture needs root" in done.stderr and "sudo" in done.stderr
    assert not (tmp_path / "out").exists()


@needs_root
def test_kernel_refusing_audit_is_a_clear_error(tmp_path):
    """Root without CAP_AUDIT_CONTROL, as in an unprivileged container: auditctl -s fails."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or shutil.which("auditctl", path=system.SEARCH_PATH) is None:
        pytest.skip("needs setpriv (util-linux) and auditctl: apt-get install auditd at")
    drop = (setpriv, "--bounding-set=-audit_control", "--inh-caps=-audit_control")
    done = cli(["capture", str(tmp_path / "out")], prefix=drop)
    assert done.returncode == 2
    assert "the kernel refuses audit: `auditctl -s` failed" in done.stderr
    assert not (tmp_path / "out").exists()


@needs_root
def test_rule_the_kernel_refuses_is_a_clear_error():
    """ExecveRules without CAP_AUDIT_CONTROL: the add fails, so nothing is left to remove."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or shutil.which("auditctl", path=system.SEARCH_PATH) is None:
        pytest.skip("needs setpriv (util-linux) and auditctl: apt-get install auditd at")
    code = ("from linux_auditd_at.capture import system\n"
            "rules = system.ExecveRules(system.Tools(), 'linux_auditd_at_test')\n"
            "try:\n    rules.__enter__()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
            "print('added', rules.added)\n")
    done = subprocess.run([setpriv, "--bounding-set=-audit_control", "--inh-caps=-audit_control",
                           sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert ("CaptureError the kernel refused the audit rule `auditctl -a always,exit -F arch=b64"
            in done.stdout)
    assert "added []" in done.stdout


def test_missing_tools_name_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(system, "SEARCH_PATH", str(tmp_path))
    for tool in ("auditd", "auditctl", "at", "atd"):
        with pytest.raises(CaptureError, match=rf"`{tool}` not found; install it: apt-get install auditd at"):
            system.find_tool(tool)


def test_a_missing_useradd_names_its_package_before_the_user_is_made(monkeypatch, tmp_path):
    monkeypatch.setattr(system, "SEARCH_PATH", str(tmp_path))
    workspace = scenarios.Workspace(tmp_path, ExitStack(), scenario="user_at")
    with pytest.raises(CaptureError, match=r"`useradd` not found; install it: apt-get install passwd"):
        scenarios._throwaway_user(workspace)


def test_unknown_scenario_and_format_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(CaptureError, match="unknown scenario.*nope.*known: at_root"):
        capture(tmp_path, name="x", scenario_names=["at_root", "nope"])
    with pytest.raises(CaptureError, match="unknown log format"):
        capture(tmp_path, name="x", scenario_names=list(SCENARIOS), log_format="NOLOG")
    assert list(tmp_path.iterdir()) == []


def test_audit_status_parsing():
    status = system.AuditStatus.parse("enabled 1\nfailure 1\npid 612\nrate_limit 0\n")
    assert (status.enabled, status.pid) == (1, 612)
    with pytest.raises(CaptureError, match="unexpected `auditctl -s` output"):
        system.AuditStatus.parse("Error sending status request (Operation not permitted)")


def test_locked_audit_is_refused():
    with pytest.raises(CaptureError, match="locked"):
        system.AuditEnabled(tools=None, status=system.AuditStatus(enabled=2, pid=0)).__enter__()


def test_private_conf_writes_where_we_say():
    text = system.private_conf(Path("/tmp/x/audit.log"), Path("/tmp/x/plugins"), "RAW", True)
    conf = dict(line.split(" = ") for line in text.splitlines())
    assert conf["log_file"] == "/tmp/x/audit.log"
    assert (conf["log_format"], conf["name_format"]) == ("RAW", "HOSTNAME")
    assert conf["plugin_dir"] == "/tmp/x/plugins" and conf["max_log_file_action"] == "IGNORE"


def _sample() -> tuple[list[window.Record], dict]:
    import yaml
    meta = yaml.safe_load((FOLDER / "linux_auditd_at.yml").read_text())
    entry = next(d for d in meta["datasets"] if d["name"] == "auditd_at_execution")
    return window.parse((FOLDER / entry["path"]).read_bytes()), entry


def test_a_label_that_does_not_match_the_log_fails_the_capture():
    records, entry = _sample()
    later = next(p for s in entry["scenarios"] for p in s["processes"] if p["comm"] == "later")
    pid, ppid = later["pid"], later["ppid"]
    wrong_comm = Process("symlink_later", pid, ppid, "at", "/usr/bin/at", "root", "detected", "")
    with pytest.raises(CaptureError, match=r"scenario symlink_later: pid \d+: no execve record with comm=at.*"
                                           r"comm=later exe=/usr/bin/at"):
        window.verified_records(records, wrong_comm, enriched=True)
    wrong_user = Process("symlink_later", pid, ppid, "later", "/usr/bin/at", "daemon", "", "")
    with pytest.raises(CaptureError, match="wrote .*'UID': 'root'.* the scenario says .*'UID': 'daemon'"):
        window.verified_records(records, wrong_user, enriched=True)


def test_log_lines_that_are_not_audit_records_fail_the_capture():
    with pytest.raises(CaptureError, match="line 2 of the captured log is not an audit record"):
        window.parse(b'type=SYSCALL msg=audit(1.0:1): pid=1\nhello\n')


def test_select_keeps_the_tree_and_drops_machinery_and_strangers():
    log = (b'type=SYSCALL msg=audit(1.0:1): ppid=100 pid=101 comm="at"\n'
           b'type=EXECVE msg=audit(1.0:1): argc=1 a0="at"\n'
           b'type=SYSCALL msg=audit(1.1:2): ppid=101 pid=102 comm="sh"\n'
           b'type=SYSCALL msg=audit(1.2:3): ppid=100 pid=103 comm="auditctl"\n'
           b'type=USER msg=audit(1.2:4): pid=103 uid=0 msg=\'text=end\'\n'
           b'type=SYSCALL msg=audit(1.3:5): ppid=7 pid=8 comm="git"\n'
           b'type=SYSCALL msg=audit(1.4:6): ppid=900 pid=901 comm="atd"\n'
           b'type=LOGIN msg=audit(1.4:6): pid=901 old-auid=4294967295 auid=0\n')
    kept = window.select(window.parse(log), roots={100, 900}, machinery={103})
    assert [r.serial for r in kept] == ["1", "1", "2", "6", "6"]


def test_metadata_update_keeps_id_and_other_datasets(tmp_path):
    records, _ = _sample()
    def one(name: str) -> None:
        dataset.write(tmp_path, dataset.Capture(name, records[:3], [], ["benign"], [], "RAW", False, "h", {}))
    one("first")
    import yaml
    before = yaml.safe_load((tmp_path / dataset.METADATA).read_text())
    one("second")
    one("first")
    after = yaml.safe_load((tmp_path / dataset.METADATA).read_text())
    assert after["id"] == before["id"]
    assert [d["name"] for d in after["datasets"]] == ["first", "second"]
    assert (tmp_path / "first.log").read_bytes() == b"".join(r.raw + b"\n" for r in records[:3])


@needs_root
def test_outdir_that_is_a_file_fails_before_anything_runs(tmp_path):
    """Found after a full capture before (a traceback from mkdir); now refused up front."""
    afile = tmp_path / "afile"
    afile.write_text("")
    for outdir in (afile, afile / "sub"):
        with pytest.raises(CaptureError, match=rf"{afile}: not a folder"):
            capture(outdir, name="x", scenario_names=["benign"])
    done = cli(["capture", str(afile), "--scenario", "benign"])
    assert done.returncode == 2 and f"error: {afile}: not a folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


@pytest.mark.parametrize(("text", "message"), [
    ("datasets: [\n  - : :\n", r"linux_auditd_at.yml:2: not valid YAML"),
    ("- just\n- a list\n", r"linux_auditd_at.yml: not attack_data metadata"),
    ("datasets: a string\n", r"linux_auditd_at.yml: not attack_data metadata"),
    ("datasets:\n- name: a\n  path: a.log\n- 7\n", r"linux_auditd_at.yml: datasets entry 2 is not a mapping"),
])
@needs_root
def test_metadata_that_cannot_be_kept_fails_before_anything_runs(tmp_path, text, message):
    """An existing metadata file the capture would have to overwrite or drop parts of: refused
    before the machine is touched, and nothing is written (was: a traceback after the capture had
    written the log, or the file silently replaced)."""
    (tmp_path / dataset.METADATA).write_text(text)
    with pytest.raises(CaptureError, match=message):
        capture(tmp_path, name="x", scenario_names=["benign"])
    assert [p.name for p in tmp_path.iterdir()] == [dataset.METADATA]
    assert (tmp_path / dataset.METADATA).read_text() == text


@pytest.mark.parametrize("name", ["a/b", "", "../up", ".hidden", "sp ace"])
def test_a_dataset_name_that_is_not_a_plain_file_stem_is_refused(tmp_path, name):
    """Was: a capture, then a traceback (`a/b`) or files named `.log`/`.expected.json` (``)."""
    with pytest.raises(CaptureError, match=f"dataset name {name!r}: use letters, digits"):
        capture(tmp_path, name=name, scenario_names=["benign"])
    assert list(tmp_path.iterdir()) == []
