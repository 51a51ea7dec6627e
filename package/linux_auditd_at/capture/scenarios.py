"""What a capture plays: small scenarios, each stating what the shipped search should make of it.

A scenario runs real programs and records the ground truth of each process it started: pid,
parent pid, the `comm` and `exe` the kernel should write, the user, and the outcome the shipped
search should give (`detected`, `excluded` by its `NOT UID IN("daemon")`, `missed` although it is
`at` activity, or `benign`, not `at` at all). The capture checks every such process against the
log, so a label that does not match reality fails the capture instead of shipping.

Facts found on Debian 12 (at 3.2.5) and kept here because the labels depend on them:
`atq` and `atrm` are symlinks to `at`, so their `comm` is `atq`/`atrm` and only `exe` matches;
`batch` is a shell script (`comm=batch exe=/usr/bin/dash`) that execs `at` in the same pid;
`atd` is `/usr/sbin/atd`, so only `comm="atd"` matches it; when atd starts a job, its child
writes the job's login uid while still `uid=daemon`, which gives a `SYSCALL=write` record with
`comm="atd" UID="daemon"` (excluded by the search) and the job itself runs as `sh`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from linux_auditd_at.capture.system import find_tool, signals_held, spawn, stop, unblock_signals
from linux_auditd_at.errors import CaptureError

ScenarioOutcome = Literal["detected", "excluded", "missed", "benign"]
"""What the shipped search does with a process a scenario ran (expected rows hold the detected)."""
OUTCOMES: tuple[ScenarioOutcome, ...] = get_args(ScenarioOutcome)
AT, ATD, DASH = "/usr/bin/at", "/usr/sbin/atd", "/usr/bin/dash"
ATQ, ATRM, BATCH, SU = "/usr/bin/atq", "/usr/bin/atrm", "/usr/bin/batch", "/usr/bin/su"
ATD_PIDFILE = Path("/run/atd.pid")
JOB_WAIT = 30.0
USER_PREFIX = "atcapture"
USER_TOOLS_HINT = "apt-get install passwd"  # useradd, userdel


@dataclass(frozen=True)
class Process:
    """Ground truth for one process a scenario ran, as the kernel should record it."""

    scenario: str
    pid: int
    ppid: int
    comm: str
    exe: str
    user: str
    outcome: ScenarioOutcome
    why: str
    syscall: str = "execve"


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    outcome: ScenarioOutcome
    why: str
    play: Callable[[Workspace], None]


@dataclass
class Workspace:
    """Where scenarios run: a scratch folder, the processes they report, and their own cleanups
    (run before the capture window closes, so they are recorded too, and also when one fails)."""

    workdir: Path
    cleanups: ExitStack
    processes: list[Process] = field(default_factory=list)
    roots: set[int] = field(default_factory=set)
    jobs: list[str] = field(default_factory=list)
    scenario: str = ""

    def run(self, argv: list[str], *, comm: str, exe: str, outcome: ScenarioOutcome, why: str,
            stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run `argv` as root and record it (the exec happens in the child, so its pid is Popen's)."""
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, cwd=self.workdir)
        out, err = _finish(process, stdin)
        self.record(process.pid, os.getpid(), comm, exe, "root", outcome, why)
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    def run_as(self, user: str, argv: list[str], *, comm: str, exe: str, outcome: ScenarioOutcome, why: str,
               stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run `argv` as `user` through `su` (in our scratch folder, which others may traverse):
        the shell prints its pid, then execs `argv` in it."""
        script = "echo $$; exec " + shlex.join(argv)
        process = subprocess.Popen([SU, "-s", "/bin/sh", user, "-c", script], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=self.workdir)
        out, err = _finish(process, stdin)
        first, _, rest = out.partition("\n")
        if not first.strip().isdigit():
            raise CaptureError(f"scenario {self.scenario}: `su {user}` did not run the command: "
                               f"{err.strip()}")
        self.record(int(first), process.pid, comm, exe, user, outcome, why)
        return subprocess.CompletedProcess(argv, process.returncode, rest, err)

    def record(self, pid: int, ppid: int, comm: str, exe: str, user: str, outcome: ScenarioOutcome, why: str,
               syscall: str = "execve") -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome {outcome!r} is not one of {OUTCOMES}")
        self.processes.append(Process(self.scenario, pid, ppid, comm, exe, user, outcome, why, syscall))

    def schedule(self, done: subprocess.CompletedProcess[str]) -> str:
        """The job number `at` printed ("job 7 at ..."), remembered until `atrm` removes it."""
        match = re.search(r"^job (\d+) at ", done.stderr, re.MULTILINE)
        if not match:
            raise CaptureError(f"scenario {self.scenario}: at did not schedule a job: {done.stderr.strip()}")
        self.jobs.append(match.group(1))
        return match.group(1)


def _at_root(workspace: Workspace) -> None:
    done = workspace.run([AT, "-t", "203001010000"], stdin="true\n", comm="at", exe=AT,
                     outcome="detected", why="comm is at and UID root")
    workspace.schedule(done)


def _atq_atrm(workspace: Workspace) -> None:
    if not workspace.jobs:
        workspace.schedule(workspace.run([AT, "-t", "203001010000"], stdin="true\n", comm="at", exe=AT,
                                 outcome="detected", why="comm is at and UID root"))
    workspace.run([ATQ], comm="atq", exe=AT, outcome="detected",
              why='atq is a symlink to at: comm is atq (not in the list), exe is /usr/bin/at')
    workspace.run([ATRM, *workspace.jobs], comm="atrm", exe=AT, outcome="detected",
              why='atrm is a symlink to at: comm is atrm, exe is /usr/bin/at')
    workspace.jobs.clear()


def _batch(workspace: Workspace) -> None:
    done = workspace.run([BATCH], stdin=":\n", comm="batch", exe=DASH, outcome="benign",
                     why="batch is a shell script: its own exec is comm=batch exe=/usr/bin/dash")
    workspace.record(workspace.processes[-1].pid, os.getpid(), "at", AT, "root", "detected",
                 "the script execs /usr/bin/at in the same pid: comm at")
    job = workspace.schedule(done)
    workspace.run([ATRM, job], comm="atrm", exe=AT, outcome="detected", why="exe is /usr/bin/at")
    workspace.jobs.remove(job)


def _user_at(workspace: Workspace) -> None:
    user = _throwaway_user(workspace)
    done = workspace.run_as(user, [AT, "-t", "203001010000"], stdin="true\n", comm="at", exe=AT,
                        outcome="detected", why=f"comm is at and UID {user}, an ordinary user")
    job = workspace.schedule(done)
    workspace.run_as(user, [ATRM, job], comm="atrm", exe=AT, outcome="detected",
                 why=f"exe is /usr/bin/at, UID {user}")
    workspace.jobs.remove(job)


def _daemon_at(workspace: Workspace) -> None:
    workspace.run_as("daemon", [AT, "-l"], comm="at", exe=AT, outcome="excluded",
                 why='UID is daemon, which the search excludes (at also refuses: daemon is in at.deny)')


def _atd_job(workspace: Workspace) -> None:
    atd = _running_atd()
    if atd is None:
        with signals_held():
            process = spawn([ATD, "-f"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
            workspace.cleanups.callback(stop, process, JOB_WAIT)
        workspace.record(process.pid, os.getpid(), "atd", ATD, "root", "detected",
                     "starting atd: comm is atd (exe /usr/sbin/atd is not in the list), UID root")
        atd = _wait_for_atd(process)
    workspace.roots.add(atd)
    marker = workspace.workdir / "job-ran"
    done = workspace.run([AT, "now"], stdin=f"echo $$ $PPID > {shlex.quote(str(marker))}\n",
                     comm="at", exe=AT, outcome="detected", why="comm is at and UID root")
    workspace.schedule(done)
    shell, child = _wait_for_job(marker)
    workspace.jobs.pop()
    workspace.record(child, atd, "atd", ATD, "daemon", "excluded",
                 "atd's job child sets the job's login uid: SYSCALL=write, comm atd, but UID daemon",
                 syscall="write")
    workspace.record(shell, child, "sh", DASH, "root", "missed",
                 "the job runs as sh under atd; nothing in it names at")


def _symlink(workspace: Workspace) -> None:
    later = workspace.workdir / "later"
    later.symlink_to(AT)
    workspace.run([str(later), "-l"], comm="later", exe=AT, outcome="detected",
              why="comm is later, but the kernel resolves exe to /usr/bin/at")


def _renamed_copy(workspace: Workspace) -> None:
    helper = workspace.workdir / "sched_helper"
    shutil.copyfile(AT, helper)
    helper.chmod(0o755)
    workspace.run([str(helper), "-l"], comm="sched_helper", exe=str(helper), outcome="missed",
              why="a renamed copy: neither comm nor exe names at (known blind spot)")


def _benign(workspace: Workspace) -> None:
    why = "ordinary command, nothing to do with at"
    for argv in (["ls", "-l", AT, ATD], ["id"], ["date", "-u"], ["cat", "/etc/hostname"],
                 ["stat", AT]):
        path = shutil.which(argv[0]) or argv[0]
        workspace.run([path, *argv[1:]], comm=argv[0], exe=os.path.realpath(path), outcome="benign", why=why)
    workspace.run([DASH, "-c", "echo at atd batch > /dev/null"], comm="dash", exe=DASH, outcome="benign",
              why="a shell whose arguments mention at: only EXECVE/PROCTITLE carry them, not SYSCALL")


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("at_root", "root schedules a job with at", "detected", "comm=at, UID root", _at_root),
    Scenario("atq_atrm", "root lists (atq) and removes (atrm) jobs", "detected",
             "atq/atrm are symlinks to at: comm atq/atrm, exe /usr/bin/at matches", _atq_atrm),
    Scenario("batch", "root queues a job with batch", "detected",
             "batch is a dash script that execs at: the at exec matches, the script's own does not", _batch),
    Scenario("user_at", "an ordinary (throwaway) user schedules and removes a job", "detected",
             "comm=at / exe /usr/bin/at with that user's UID", _user_at),
    Scenario("daemon_at", "the daemon account runs at", "excluded",
             'UID daemon is excluded by NOT (UID IN("daemon"))', _daemon_at),
    Scenario("atd_job", "atd runs a job scheduled with `at now` (atd started if not running)", "detected",
             "at and a freshly started atd match; atd's job child is UID daemon (excluded), the job is sh",
             _atd_job),
    Scenario("symlink_later", "at run through a symlink named `later`", "detected",
             "comm=later but exe=/usr/bin/at", _symlink),
    Scenario("renamed_copy", "a copy of at renamed sched_helper", "missed",
             "neither comm nor exe names at: a known blind spot of name-based matching", _renamed_copy),
    Scenario("benign", "ordinary commands, some mentioning at in their arguments", "benign",
             "nothing executes at", _benign),
)}


def play(names: list[str], workspace: Workspace) -> None:
    """Play the scenarios `names` in order; workspace.cleanups undoes their side effects. When one
    fails or a signal interrupts, every job scheduled from our scratch folder is removed (the
    capture fails anyway, so the extra atq/atrm records do not matter)."""
    try:
        for name in names:
            workspace.scenario = name
            SCENARIOS[name].play(workspace)
    except BaseException:
        with signals_held():
            _remove_our_jobs(workspace.workdir)
        raise
    workspace.scenario = "cleanup"
    if workspace.jobs:
        workspace.run([ATRM, *workspace.jobs], comm="atrm", exe=AT, outcome="detected",
                  why="removes the jobs the scenarios left: exe is /usr/bin/at")
        workspace.jobs.clear()


def _throwaway_user(workspace: Workspace) -> str:
    useradd = find_tool("useradd", USER_TOOLS_HINT)
    existing = {line.split(":", 1)[0] for line in Path("/etc/passwd").read_text().splitlines()}
    user = next(f"{USER_PREFIX}{n or ''}" for n in range(1000) if f"{USER_PREFIX}{n or ''}" not in existing)
    with signals_held():
        done = subprocess.run([useradd, "--no-create-home", "--shell", "/bin/sh", user],
                              capture_output=True, text=True, preexec_fn=unblock_signals)
        if done.returncode != 0:
            raise CaptureError(f"scenario {workspace.scenario}: useradd {user} failed: {done.stderr.strip()}")
        workspace.cleanups.callback(_remove_user, user)
    return user


def _remove_user(user: str) -> None:
    subprocess.run([find_tool("userdel", USER_TOOLS_HINT), user], capture_output=True)


def _finish(process: subprocess.Popen[str], stdin: str) -> tuple[str, str]:
    """communicate(); when a signal interrupts it, let the child finish first (an `at` still
    running would write its job after our cleanup looked for it), then re-raise. Its stdin is
    closed first: interrupted before communicate() closed it, `at` would wait for the rest of
    its input until the timeout."""
    try:
        return process.communicate(stdin, timeout=JOB_WAIT)
    except BaseException:
        with signals_held():
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            process.wait(timeout=JOB_WAIT)
        raise


def _remove_our_jobs(workdir: Path) -> None:
    """Remove the jobs whose script changes to `workdir` (at records the cwd it was run from, with
    backslash escapes), whatever their content: an `at` interrupted early may have read none."""
    listed = subprocess.run([ATQ], capture_output=True, text=True).stdout
    for job in (line.split()[0] for line in listed.splitlines() if line.strip()):
        script = subprocess.run([AT, "-c", job], capture_output=True, text=True).stdout
        if f"cd {workdir}" in script.replace("\\", ""):
            subprocess.run([ATRM, job], capture_output=True)


def _running_atd() -> int | None:
    """The pid of a live atd (its pid file, checked against /proc), else None."""
    try:
        pid = int(ATD_PIDFILE.read_text().strip())
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError, IndexError):
        return None
    return pid if comm == "atd" and state != "Z" else None


def _wait_for_atd(process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + JOB_WAIT
    while (pid := _running_atd()) != process.pid:
        if process.poll() is not None or time.monotonic() > deadline:
            raise CaptureError(f"atd did not start (pid file {ATD_PIDFILE}, exit status {process.poll()})")
        time.sleep(0.05)
    return pid


def _wait_for_job(marker: Path) -> tuple[int, int]:
    """(the job shell's pid, its parent: atd's job child), as the job wrote them (one `echo`, a
    shell builtin, so the job execs nothing after its shell)."""
    deadline = time.monotonic() + JOB_WAIT
    while True:
        words = marker.read_text().split() if marker.exists() else []
        if len(words) == 2 and all(word.isdigit() for word in words):
            return int(words[0]), int(words[1])
        if time.monotonic() > deadline:
            raise CaptureError(f"atd did not run our job within {JOB_WAIT:.0f} s (is atd stuck or its "
                               f"pid file {ATD_PIDFILE} stale?)")
        time.sleep(0.05)
