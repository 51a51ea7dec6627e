"""One capture from start to finish, restoring the machine whatever happens.

Order: checks (root, tools, `auditctl -s`), note `auditctl -l`; enable audit if it was off; use the
running auditd's log from its current end, or start a private auditd; add our execve rules; play
the scenarios (which undo their own side effects: jobs, throwaway user, an atd they started);
write an end marker (`auditctl -m`) and wait until auditd has written it; then, in reverse and
with SIGINT/SIGTERM held back, remove our rules, stop our auditd, restore the enabled flag and
delete the scratch folder. SIGTERM and SIGHUP raise `Interrupted`, so the same cleanup runs.
Afterwards `auditctl -l` must be what it was, else the capture fails loudly.
"""

from __future__ import annotations

import fcntl
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import get_args

from linux_auditd_at.capture import dataset, scenarios, system, window
from linux_auditd_at.errors import CaptureError, ExitCode

FORMATS: tuple[system.LogFormat, ...] = get_args(system.LogFormat)
LOCK = Path("/run/linux-auditd-at-capture.lock")
LOCK_WAIT = 120.0
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Interrupted(CaptureError):
    """SIGTERM or SIGHUP arrived during a capture (SIGINT raises KeyboardInterrupt as usual)."""

    exit_code = ExitCode.INTERRUPTED


def capture(outdir: Path, *, name: str, scenario_names: list[str], log_format: str = "ENRICHED",
            node: bool = False) -> list[Path]:
    """Capture the scenarios into dataset `name` in `outdir`; returns the files written."""
    unknown = [s for s in scenario_names if s not in scenarios.SCENARIOS]
    if unknown:
        raise CaptureError(f"unknown scenario(s) {', '.join(unknown)}; "
                           f"known: {', '.join(scenarios.SCENARIOS)}")
    chosen = _log_format(log_format)
    if not NAME.fullmatch(name):
        raise CaptureError(f"dataset name {name!r}: use letters, digits, `.`, `_` and `-`, starting "
                           "with a letter or digit (it is the stem of NAME.log and NAME.expected.json)")
    system.require_root()
    dataset.check_outdir(outdir)
    with _signals_raise(), exclusive():
        return _capture(outdir, name, scenario_names, chosen, node)


def _log_format(value: str) -> system.LogFormat:
    for known in FORMATS:
        if value == known:
            return known
    raise CaptureError(f"unknown log format {value}; use one of {', '.join(FORMATS)}")


def _capture(outdir: Path, name: str, scenario_names: list[str], log_format: system.LogFormat,
             node: bool) -> list[Path]:
    tools = system.Tools()
    for tool in ("at", "atd"):
        system.find_tool(tool)
    status = tools.status()
    rules_before = tools.rules()
    stack = ExitStack()
    try:
        with system.signals_held():  # no signal between making the folder and registering its removal
            workdir = Path(tempfile.mkdtemp(prefix="linux-auditd-at-capture-"))
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        workspace = scenarios.Workspace(workdir / "play", ExitStack(), roots={os.getpid()})
        _enter(stack, system.AuditEnabled(tools, status))
        if status.pid and Path(f"/proc/{status.pid}").exists():
            log = system.running_log(status, log_format, node)
        else:
            log = _enter(stack, system.PrivateAuditd(tools, workdir / "auditd", log_format, node)).log
        _enter(stack, system.ExecveRules(tools, f"linux_auditd_at_{uuid.uuid4().hex[:8]}"))
        workdir.chmod(0o711)  # the throwaway user's `at` runs there too; nobody may list it
        workspace.workdir.mkdir()
        workspace.workdir.chmod(0o711)
        try:
            scenarios.play(scenario_names, workspace)
        finally:
            with system.signals_held():
                workspace.cleanups.close()
        marker = f"linux_auditd_at_capture_end_{uuid.uuid4().hex}"
        done = tools.auditctl_run("-m", marker)
        if done.returncode != 0:
            raise CaptureError(f"`auditctl -m` failed: {done.stderr.strip()}")
        data = log.wait_for(marker.encode())
    finally:
        with system.signals_held():
            stack.close()
    rules_after = tools.rules()
    if rules_after != rules_before:
        raise CaptureError(f"audit rules differ after the capture: before {rules_before}, "
                           f"after {rules_after}")
    records = window.select(window.parse(data), workspace.roots, tools.pids)
    host = socket.gethostname()
    rows = window.expected_rows(records, workspace.processes, enriched=log_format == "ENRICHED", host=host)
    return dataset.write(outdir, dataset.Capture(
        name=name, records=records, processes=workspace.processes, scenarios=scenario_names, rows=rows,
        log_format=log_format, node=node, host=host, environment=_environment()))


def _enter(stack: ExitStack, change):
    """Make a change and register its undo with no signal in between: a signal raising inside
    `__enter__` would skip `__exit__` (and leak the rule or daemon it had just made)."""
    with system.signals_held():
        return stack.enter_context(change)


def _environment() -> dict[str, str]:
    """What the records depend on: kernel, distribution, auditd and at versions."""
    def version(package: str) -> str:
        if shutil.which("dpkg-query") is None:
            return "unknown"
        done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                              capture_output=True, text=True)
        return done.stdout.strip() or "unknown"
    release = Path("/etc/os-release")
    lines = release.read_text().splitlines() if release.exists() else []
    os_release = dict(line.split("=", 1) for line in lines if "=" in line)
    return {"kernel": platform.release(), "os": os_release.get("PRETTY_NAME", "unknown").strip('"'),
            "auditd": version("auditd"), "at": version("at"), "arch": platform.machine()}


@contextmanager
def exclusive() -> Iterator[None]:
    """One capture at a time on a machine: the kernel takes one audit daemon, and a second capture
    would read the wrong log. Tests hold it to look at the machine while no capture runs."""
    with LOCK.open("w") as handle:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise CaptureError(f"another capture holds {LOCK} for over {LOCK_WAIT:.0f} s") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _signals_raise() -> Iterator[None]:
    def handler(signum: int, frame: object) -> None:
        raise Interrupted(f"interrupted by {signal.Signals(signum).name}; the machine was restored")
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
