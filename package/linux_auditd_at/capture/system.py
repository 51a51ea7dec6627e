"""The machine side of a capture: preflight checks, the audit daemon and the execve rules.

Each change to the machine is a context manager that undoes exactly that change on exit, so a
capture that is interrupted or whose scenario fails still leaves the machine as it found it.
Machinery processes (auditctl, auditd) are started through `Tools`, which remembers their pids so
that their own records are not mistaken for scenario activity.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from linux_auditd_at.errors import CaptureError

LogFormat = Literal["ENRICHED", "RAW"]
"""auditd.conf's log_format values a capture writes."""

INSTALL_HINT = "apt-get install auditd at"
SYSTEM_CONF = Path("/etc/audit/auditd.conf")
DEFAULT_LOG = "/var/log/audit/audit.log"
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin", "/bin"])
WAIT = 10.0
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextmanager
def signals_held() -> Iterator[None]:
    """A change and the registration of its undo, or a cleanup, run to the end: SIGINT, SIGTERM
    and SIGHUP arriving meanwhile are delivered afterwards."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def spawn(argv: list[str], **options) -> subprocess.Popen:
    """Popen whose child starts with SIGINT/SIGTERM/SIGHUP unblocked: a daemon started while
    `signals_held` would otherwise inherit the mask and ignore SIGTERM (auditd) or the SIGHUP
    `at` sends it (atd)."""
    return subprocess.Popen(argv, preexec_fn=unblock_signals, **options)


def unblock_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD_SIGNALS)


def stop(process: subprocess.Popen, timeout: float = WAIT) -> None:
    """SIGTERM a daemon we started, if it still runs, and reap it; SIGKILL when it outlives `timeout`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def find_tool(name: str, install: str = INSTALL_HINT) -> str:
    """The absolute path of `name` (sbin included, which a non-root PATH often lacks); when it is
    missing, the error says to run `install`."""
    path = shutil.which(name, path=SEARCH_PATH)
    if path is None:
        raise CaptureError(f"`{name}` not found; install it: {install}")
    return path


def require_root() -> None:
    if os.geteuid() != 0:
        raise CaptureError("capture needs root: it adds audit rules, may start auditd and atd, and "
                           "creates a throwaway user; run it with sudo")


class Tools:
    """Runs auditctl and auditd; the pids it started are the machinery's, not the scenarios'."""

    def __init__(self) -> None:
        self.auditctl = find_tool("auditctl")
        self.auditd = find_tool("auditd")
        self.pids: set[int] = set()

    def auditctl_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        process = spawn([self.auditctl, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        stdin=subprocess.DEVNULL, text=True)
        self.pids.add(process.pid)
        out, err = process.communicate(timeout=WAIT)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def status(self) -> AuditStatus:
        """`auditctl -s`; a kernel without audit (or a container without CAP_AUDIT_CONTROL) fails here."""
        done = self.auditctl_run("-s")
        if done.returncode != 0:
            raise CaptureError(f"the kernel refuses audit: `auditctl -s` failed: {_one_line(done)}; the "
                               "kernel needs CONFIG_AUDIT and the process CAP_AUDIT_CONTROL")
        return AuditStatus.parse(done.stdout)

    def rules(self) -> list[str]:
        """`auditctl -l` as lines (an empty list for "No rules")."""
        done = self.auditctl_run("-l")
        if done.returncode != 0:
            raise CaptureError(f"`auditctl -l` failed: {_one_line(done)}")
        return [line for line in done.stdout.splitlines() if line.strip() and line.strip() != "No rules"]


@dataclass(frozen=True)
class AuditStatus:
    """The kernel's audit state: `enabled` 0/1/2 (2 = locked until reboot), the registered daemon's pid."""

    enabled: int
    pid: int

    @classmethod
    def parse(cls, text: str) -> AuditStatus:
        values = dict(line.split(None, 1) for line in text.splitlines() if len(line.split(None, 1)) == 2)
        try:
            return cls(int(values["enabled"]), int(values["pid"]))
        except (KeyError, ValueError) as exc:
            raise CaptureError(f"unexpected `auditctl -s` output: {text.strip()!r}") from exc


class AuditEnabled:
    """Makes sure the kernel audits (enabled 1) and puts the flag back as it was."""

    def __init__(self, tools: Tools, status: AuditStatus):
        self.tools, self.before = tools, status.enabled

    def __enter__(self) -> AuditEnabled:
        if self.before == 2:
            raise CaptureError("the kernel's audit configuration is locked (auditctl -s: enabled 2); "
                               "rules cannot be added until reboot")
        if self.before == 0:
            done = self.tools.auditctl_run("-e", "1")
            if done.returncode != 0:
                raise CaptureError(f"the kernel refuses audit: `auditctl -e 1` failed: {_one_line(done)}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.before == 0:
            self.tools.auditctl_run("-e", "0")


class ExecveRules:
    """`-a always,exit -F arch=... -S execve -k KEY` for both ABIs; on exit `-d` of exactly those."""

    ARCHES = ("b64", "b32")

    def __init__(self, tools: Tools, key: str):
        self.tools, self.key = tools, key
        self.added: list[list[str]] = []

    def __enter__(self) -> ExecveRules:
        for arch in self.ARCHES:
            spec = ["always,exit", "-F", f"arch={arch}", "-S", "execve", "-k", self.key]
            done = self.tools.auditctl_run("-a", *spec)
            if done.returncode != 0:
                self.__exit__()
                raise CaptureError(f"the kernel refused the audit rule `auditctl -a {' '.join(spec)}`: "
                                   f"{_one_line(done)}")
            self.added.append(spec)
        return self

    def __exit__(self, *exc: object) -> None:
        failures = []
        for spec in reversed(self.added):
            done = self.tools.auditctl_run("-d", *spec)
            if done.returncode != 0:
                failures.append(f"`auditctl -d {' '.join(spec)}`: {_one_line(done)}")
        self.added.clear()
        if failures:
            raise CaptureError("could not remove our audit rule(s): " + "; ".join(failures))


class AuditLog:
    """The log a capture reads: the part of `path` written after `offset` (rotation followed once)."""

    def __init__(self, path: Path):
        self.path = path
        self.inode, self.offset = _inode_and_size(path)

    def read_new(self) -> bytes:
        inode, size = _inode_and_size(self.path)
        data = b""
        if inode != self.inode or size < self.offset:
            rotated = self.path.with_name(self.path.name + ".1")
            if rotated.exists() and _inode_and_size(rotated)[0] == self.inode:
                data = _read_from(rotated, self.offset)
            return data + _read_from(self.path, 0)
        return _read_from(self.path, self.offset)

    def wait_for(self, marker: bytes, timeout: float = WAIT) -> bytes:
        """The new part of the log once it holds `marker`: auditd writes in order, so every record
        queued before the marker is on disk then."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.read_new()
            if marker in data:
                return data
            if time.monotonic() > deadline:
                raise CaptureError(f"auditd did not write our end marker within {timeout:.0f} s",
                                   path=str(self.path))
            time.sleep(0.05)


class PrivateAuditd:
    """A foreground `auditd -n -c DIR` with its own auditd.conf and log file, stopped on exit.

    `-s nochange` keeps the kernel's enabled flag as it is (`AuditEnabled` handles it); the
    plugin folder is an empty one of ours, so no dispatcher plugin starts.
    """

    def __init__(self, tools: Tools, workdir: Path, log_format: LogFormat, node: bool):
        self.tools, self.workdir, self.log_format, self.node = tools, workdir, log_format, node
        self.process: subprocess.Popen[bytes] | None = None
        self.log: AuditLog | None = None

    def __enter__(self) -> PrivateAuditd:
        conf_dir, plugins = self.workdir / "auditd-conf", self.workdir / "auditd-plugins"
        conf_dir.mkdir(parents=True)
        plugins.mkdir()
        log_path = self.workdir / "audit.log"
        log_path.touch(mode=0o600)
        conf = conf_dir / "auditd.conf"
        conf.write_text(private_conf(log_path, plugins, self.log_format, self.node), encoding="utf-8")
        conf.chmod(0o640)
        output = (self.workdir / "auditd.out").open("wb")
        self.process = spawn([self.tools.auditd, "-n", "-s", "nochange", "-c", str(conf_dir)],
                             stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        output.close()
        self.tools.pids.add(self.process.pid)
        self.log = AuditLog(log_path)
        deadline = time.monotonic() + WAIT
        while self.tools.status().pid != self.process.pid:
            if self.process.poll() is not None or time.monotonic() > deadline:
                said = (self.workdir / "auditd.out").read_text(errors="replace").strip()
                self.__exit__()
                raise CaptureError("our private auditd did not register with the kernel: "
                                   f"{said or 'no output'}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            stop(self.process)
        self.process = None


def private_conf(log_path: Path, plugin_dir: Path, log_format: LogFormat, node: bool) -> str:
    """auditd.conf for a short private capture: our log, flushed per record, never rotated."""
    settings = {
        "local_events": "yes", "write_logs": "yes", "log_file": str(log_path), "log_group": "root",
        "log_format": log_format, "flush": "DATA", "freq": "0", "max_log_file": "0",
        "max_log_file_action": "IGNORE", "num_logs": "0", "priority_boost": "4",
        "name_format": "HOSTNAME" if node else "NONE", "space_left": "1%", "space_left_action": "IGNORE",
        "admin_space_left": "1%", "admin_space_left_action": "IGNORE", "disk_full_action": "IGNORE",
        "disk_error_action": "SYSLOG", "plugin_dir": str(plugin_dir), "q_depth": "2000",
        "overflow_action": "SYSLOG", "end_of_event_timeout": "2",
    }
    return "".join(f"{key} = {value}\n" for key, value in settings.items())


def running_log(status: AuditStatus, log_format: LogFormat, node: bool) -> AuditLog:
    """The log of the auditd that already runs (its `-c DIR`, else /etc/audit), if it writes what we need."""
    path = daemon_conf(status.pid)
    conf = read_conf(path)
    who = f"auditd (pid {status.pid}, {path})"
    if conf.get("write_logs", "yes").lower() == "no":
        raise CaptureError(f"{who} runs with write_logs = no: there is no log to read")
    fmt = conf.get("log_format", "ENRICHED").upper()
    if fmt != log_format:
        raise CaptureError(f"{who} already runs and writes log_format = {fmt}; a {log_format} capture "
                           f"needs it stopped, or capture {fmt}")
    has_node = conf.get("name_format", "NONE").upper() != "NONE"
    if has_node != node:
        raise CaptureError(f"{who} already runs with name_format = {conf.get('name_format', 'NONE')}; "
                           f"{'--node needs it set' if node else 'capture with --node, or stop it'}")
    return AuditLog(Path(conf.get("log_file", DEFAULT_LOG)))


def daemon_conf(pid: int) -> Path:
    """The auditd.conf a running auditd was started with (`-c DIR` on its command line)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return SYSTEM_CONF
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == b"-c":
            return Path(os.fsdecode(value)) / "auditd.conf"
    return SYSTEM_CONF


def read_conf(path: Path) -> dict[str, str]:
    """auditd.conf's `key = value` lines (comments and blanks ignored)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def _inode_and_size(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError as exc:
        raise CaptureError(f"cannot read the audit log: {exc.strerror}", path=str(path)) from exc
    return stat.st_ino, stat.st_size


def _read_from(path: Path, offset: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read()


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    text = " ".join((done.stderr or done.stdout or "").split())
    return text or f"exit status {done.returncode}"
