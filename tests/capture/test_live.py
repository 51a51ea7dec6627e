"""Live captures on this machine's kernel: the detection fires on the fresh `at` records and not on
the benign ones, and the machine is left as it was (same `auditctl -l`, no audit daemon or atd,
user or at job left behind), also when the capture is interrupted.

They change the machine while they run (audit rules, the audit flag, an auditd, atd, a throwaway
user), so they run only when asked: `LIVE=1` in the environment (`make test-live`, or
`make test LIVE=1`; `.ci/run` does). They also need root, `apt-get install auditd at`, and a kernel
that accepts audit rules; they skip otherwise, saying which.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from linux_auditd_at import runner
from linux_auditd_at.capture import SCENARIOS, capture, system
from linux_auditd_at.capture.session import exclusive
from linux_auditd_at.errors import CaptureError
from linux_auditd_at.spl import Context
from paths import REPO

LIVE = "LIVE"
"""The environment variable that opts in to the live captures (`LIVE=1`)."""


def _why_not() -> str | None:
    if os.environ.get(LIVE) != "1":
        return ("live captures change this machine's audit state; run them with `make test-live` "
                "(or LIVE=1 in the environment)")
    if os.geteuid() != 0:
        return "live capture needs root (it adds audit rules)"
    try:
        tools = system.Tools()
        for tool in ("at", "atd"):
            system.find_tool(tool)
        tools.status()
    except Exception as exc:  # the reason is the message: what to install, or what the kernel said
        return str(exc)
    return None


REASON = _why_not()
pytestmark = [pytest.mark.live, pytest.mark.skipif(REASON is not None, reason=str(REASON))]


def machine_state() -> dict[str, object]:
    """What a capture must leave as it found it, looked at while no other capture runs (another
    session's test run may capture at the same time)."""
    with exclusive():
        return _machine_state()


def _machine_state() -> dict[str, object]:
    def out(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True).stdout
    daemons = []
    for proc in Path("/proc").iterdir():
        try:
            comm = (proc / "comm").read_text().strip()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if comm in ("auditd", "atd") and state != "Z":
            daemons.append((comm, proc.name))
    status = out(system.find_tool("auditctl"), "-s")
    return {
        "rules": out(system.find_tool("auditctl"), "-l"),
        "enabled": [line for line in status.splitlines() if line.startswith(("enabled", "pid"))],
        "daemons": sorted(daemons),
        "users": sorted(line.split(":")[0] for line in Path("/etc/passwd").read_text().splitlines()),
        "jobs": out(system.find_tool("atq")),
    }


def test_capture_fires_on_at_and_not_on_benign_and_restores_the_machine(tmp_path):
    before = machine_state()
    capture(tmp_path, name="live", scenario_names=list(SCENARIOS))
    assert machine_state() == before

    expected = json.loads((tmp_path / "live.expected.json").read_text())
    entry = yaml.safe_load((tmp_path / "linux_auditd_at.yml").read_text())["datasets"][0]
    labelled = [p for s in entry["scenarios"] for p in s["processes"]]
    _, pipeline = runner.compile_detection()
    outcome = runner.run_detection(pipeline, [str(tmp_path / "live.log")],
                                   Context(now=datetime.now(UTC).timestamp(), tz=UTC), strict=True)
    rows = outcome.result.rows

    def as_text(rows: list[dict]) -> list[str]:
        return sorted(json.dumps(row, sort_keys=True) for row in rows)
    assert as_text(rows) == as_text(expected["rows"])

    fired = {row["pid"] for row in rows}
    detected = {str(p["pid"]) for p in labelled if p["outcome"] == "detected"}
    quiet = {str(p["pid"]) for p in labelled if p["outcome"] in ("benign", "missed", "excluded")}
    assert detected and detected <= fired
    # a pid can be both: batch's script exec is benign, its exec of at in the same pid is detected
    assert not (quiet - detected) & fired
    assert {"at", "atq", "atrm", "later"} <= {row["comm"] for row in rows}
    assert {p["comm"] for p in labelled if p["outcome"] == "benign"} >= {"ls", "id", "date", "cat"}


SCENARIO_PROGRAMS = {"at", "atq", "atrm", "batch", "su", "useradd", "later", "sched_helper", "ls", "id",
                     "date", "cat", "stat", "dash"}


def playing(pid: int) -> bool:
    """The capture has a child that a scenario started, so our rules are in place (other children,
    such as a library probing with `file` at import, come before that)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return False
    for child in children:
        try:
            if Path(f"/proc/{child}/comm").read_text().strip() in SCENARIO_PROGRAMS:
                return True
        except OSError:
            continue
    return False


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.2])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_capture_restores_the_machine(tmp_path, signum, delay):
    """Signalled `delay` s after its first scenario process started, at different places each."""
    before = machine_state()
    for _ in range(3):  # the capture is fast; retry if it finished before our signal landed
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        process = subprocess.Popen([sys.executable, "-m", "linux_auditd_at", "capture", str(tmp_path / "out"),
                                    "--name", "interrupted"], cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        while process.poll() is None and not playing(process.pid):
            time.sleep(0.002)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signum)
        out, err = process.communicate(timeout=60)
        if process.returncode != 0:
            break
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert not (tmp_path / "out").exists()
    assert machine_state() == before


def test_failing_scenario_restores_the_machine(tmp_path, monkeypatch):
    """A scenario that breaks after scheduling a job, creating the throwaway user and starting
    atd (when none ran): the error comes through, and all of it is undone."""
    from linux_auditd_at.capture import scenarios

    def broken(workspace: scenarios.Workspace) -> None:
        scenarios.SCENARIOS["user_at"].play(workspace)
        scenarios.SCENARIOS["at_root"].play(workspace)
        if scenarios._running_atd() is None:
            atd = scenarios.spawn([scenarios.ATD, "-f"])
            workspace.cleanups.callback(scenarios.stop, atd, scenarios.JOB_WAIT)
        raise RuntimeError("scenario broke")

    monkeypatch.setitem(scenarios.SCENARIOS, "broken",
                        scenarios.Scenario("broken", "breaks half-way", "detected", "", broken))
    before = machine_state()
    with pytest.raises(RuntimeError, match="scenario broke"):
        capture(tmp_path / "out", name="broken", scenario_names=["benign", "broken"])
    assert machine_state() == before
    assert not (tmp_path / "out").exists()


@contextmanager
def registered_auditd(folder: Path, log_format: str) -> Iterator[tuple[subprocess.Popen, Path]]:
    """A real auditd with its own -c folder, as a system auditd would run, registered with the
    kernel for the duration, with the kernel's audit enabled (as a system auditd's start-up rules
    do; the flag is put back after); (the daemon, its log)."""
    tools = system.Tools()
    status = tools.status()
    if status.pid:
        pytest.skip("an audit daemon already runs here; this test starts its own")
    conf_dir, log = folder / "conf", folder / "audit.log"
    conf_dir.mkdir()
    (folder / "plugins").mkdir()
    (conf_dir / "auditd.conf").write_text(system.private_conf(log, folder / "plugins", log_format, False))
    log.write_bytes(b"")
    with system.AuditEnabled(tools, status), _auditd(conf_dir) as daemon:
        yield daemon, log


@contextmanager
def _auditd(conf_dir: Path) -> Iterator[subprocess.Popen]:
    daemon = subprocess.Popen([system.find_tool("auditd"), "-n", "-s", "nochange", "-c", str(conf_dir)])
    try:
        deadline = time.monotonic() + 10
        while system.Tools().status().pid != daemon.pid:
            assert daemon.poll() is None and time.monotonic() < deadline, "our auditd did not register"
            time.sleep(0.05)
        yield daemon
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_capture_reads_an_already_running_auditd_and_leaves_it_running(tmp_path):
    """With an audit daemon already registered, the capture reads that daemon's log from its
    current end and neither stops it nor starts another; the audit flag the test set for its
    daemon is put back (a fresh VM has audit disabled, and `auditctl -m` needs it enabled)."""
    before = machine_state()
    with registered_auditd(tmp_path, "ENRICHED") as (daemon, log):
        subprocess.run([system.find_tool("auditctl"), "-m", "before-the-capture"], check=True)
        capture(tmp_path / "out", name="running", scenario_names=["at_root", "atq_atrm", "benign"])
        assert daemon.poll() is None and system.Tools().status().pid == daemon.pid
    assert machine_state() == before
    captured = (tmp_path / "out" / "running.log").read_bytes()
    assert b'comm="at" exe="/usr/bin/at"' in captured and b'comm="atq"' in captured
    assert b"before-the-capture" in log.read_bytes() and b"before-the-capture" not in captured
    rows = json.loads((tmp_path / "out" / "running.expected.json").read_text())["rows"]
    assert {row["comm"] for row in rows} == {"at", "atq", "atrm"}


def test_running_auditd_writing_another_format_is_a_clear_error(tmp_path):
    """A running auditd whose log_format or name_format is not what the capture asks for: refused
    with what to do, before any rule is added, and the daemon keeps running."""
    with registered_auditd(tmp_path, "RAW") as (daemon, _):
        rules = system.Tools().rules()
        with pytest.raises(CaptureError, match=r"already runs and writes log_format = RAW; a ENRICHED "
                                               r"capture needs it stopped, or capture RAW"):
            capture(tmp_path / "out", name="x", scenario_names=["benign"])
        with pytest.raises(CaptureError, match=r"already runs with name_format = NONE; --node needs it set"):
            capture(tmp_path / "out", name="x", scenario_names=["benign"], log_format="RAW", node=True)
        assert system.Tools().rules() == rules
        assert daemon.poll() is None and system.Tools().status().pid == daemon.pid
    assert not (tmp_path / "out").exists()
