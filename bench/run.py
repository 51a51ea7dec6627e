"""`make bench`: `linux-auditd-at run` against `ausearch -if FILE -c at` and the scan floor
`grep -c type=SYSCALL`, side by side in one run, on the same files.

Files (generated once with bench/generate.py, cached in bench/.data/):
  (a) the bench file: 200 MiB, 0.2 % of events from at/atq/atrm/atd;
  (b) 200 MiB, 20 % of events are `at` runs (many candidate lines, ~100x the result groups);
  (c) with --large (make bench BENCH_ARGS=--large): a 1 GiB file shaped like (a), to show that
      time grows with the file and peak memory does not.
Each round runs every program once per file in turn (ours, ours with the stdlib alone (`re` scan,
`bytes.count`, `gzip`: LINUX_AUDITD_AT_SCANNER=re), ours with --jobs 1 and with --jobs 2 (the
default takes the CPUs no other process runs on when it starts), on (a) ours with the filter macro
set to ALLOWLIST_FILTER over a 100,000-row lookup CSV (two rows match hosts of the log; target
within 1.2x of the run without it) and ours on the file gzip-compressed (`gzip -6`, as logrotate
leaves it: one stream, inflated by python-isal), ausearch, grep), so drift of a shared machine
hits all alike; the table gives medians and min-max of wall seconds and the largest peak RSS
(ru_maxrss from wait4), then the ratios per file. `run` on an empty file measures start-up.

It fails (exit 1) when our tool exits non-zero, prints nothing, or prints rows other than the
general engine's (every field extracted, every block read line by line: runner.open_logs
fast=False), rendered the same way; checked for the default run of each file and the gzip run.
`ausearch -c at` matches comm by substring (`cat`, ...), so it prints far more; it exits 1 when
nothing matches, as grep does.

    python bench/run.py [--repeat 5] [--large] [--size-mb 200]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None  # GNU time, for peak RSS
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402  (bench/ is not a package)


@dataclass
class Runs:
    """One program on one file: every run's wall seconds and peak RSS."""

    label: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def row(self) -> str:
        spread = f"{min(self.seconds):.2f}-{max(self.seconds):.2f}"
        return f"  {self.label:<34}{self.median:>8.3f}{spread:>13}{max(self.rss_mb):>10.1f}"


@dataclass(frozen=True)
class Program:
    label: str
    argv: list[str]
    ok_codes: tuple[int, ...] = (0,)
    env: dict[str, str] = field(default_factory=dict)
    ours: bool = False


class BenchFailure(Exception):
    pass


def measure(program: Program, out_path: Path) -> tuple[float, float]:
    """Run once; wall seconds and the program's peak RSS in MB. Our tool must exit 0 and print.

    The peak RSS comes from GNU time (`%M`) when /usr/bin/time exists: a child forked from this
    process would report this process's own peak as a floor under its own (Linux keeps the larger
    of the two across fork and exec), so only a small intermediate process gives small programs
    (grep) their true figure. Without it, wait4's figure is used and the floor is printed."""
    with out_path.open("wb") as out:
        argv = [TIME, "-f", "%M", "-o", str(out_path) + ".rss", *program.argv] if TIME else program.argv
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, cwd=REPO,
                                   env={**os.environ, **program.env})
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)  # GNU time exits with the program's status
    err = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
    process.stderr.close()
    if code not in program.ok_codes:
        raise BenchFailure(f"{' '.join(program.argv)} exited {code}: {err}")
    if program.ours and out_path.stat().st_size == 0:
        raise BenchFailure(f"{' '.join(program.argv)} printed nothing: {err}")
    if TIME:
        return seconds, int(Path(str(out_path) + ".rss").read_text().split()[-1]) / 1024
    return seconds, usage.ru_maxrss / 1024


def dataset(name: str, size_mb: float, at_share: float) -> Path:
    path = DATA / f"{name}-{size_mb:g}mb-{at_share:g}-4h.log"
    if not path.exists():
        counts = generate(path, int(size_mb * 2**20), at_share=at_share, hosts=4, seed=1)
        print(f"generated {path.name}: {counts['lines']} lines, {counts['events']} events, "
              f"{counts['at_events']} at/atq/atrm/atd events", flush=True)
    return path


def ours(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "run", str(path),
            "--format", "csv", "--tz", "UTC", *extra]


ALLOWLIST_ROWS = 100_000
ALLOWLIST_FILTER = "lookup bench_allowlist.csv dest UID OUTPUT reason | where isnull(reason)"
OURS = "linux-auditd-at run"
STDLIB = "  same, the stdlib alone"
JOBS_1 = "  same, --jobs 1"
JOBS_2 = "  same, --jobs 2"
AUSEARCH = "ausearch -if FILE -c at"
GREP = "grep -c type=SYSCALL FILE"
ALLOWLIST = "  same, 100,000-row allow-list lookup"


def allowlist_folder() -> Path:
    """A --lookups folder with bench_allowlist.csv: ALLOWLIST_ROWS rows, two naming real hosts."""
    folder = DATA / "lookups"
    path = folder / "bench_allowlist.csv"
    if not path.exists():
        folder.mkdir(exist_ok=True)
        lines = ["dest,UID,reason", "host-00,root,bench: allowed", "host-01,daemon,bench: allowed"]
        lines += [f"vm-{n:06d},user{n % 500},bench row {n}" for n in range(ALLOWLIST_ROWS - 2)]
        path.write_text("\n".join(lines) + "\n")
    return folder


GZIP = "  same, the file gzip-compressed"


def gzipped(path: Path) -> Path:
    """A `gzip -6` copy of `path` (made once, kept beside it)."""
    packed = path.with_name(path.name + ".gz")
    if not packed.exists():
        with packed.open("wb") as out:
            subprocess.run(["gzip", "-6", "-c", str(path)], stdout=out, check=True)
    return packed


def programs(path: Path, name: str) -> list[Program]:
    fallback = {"LINUX_AUDITD_AT_SCANNER": "re"}
    found = [Program(OURS, ours(path), ours=True),
             Program(STDLIB, ours(path), env=fallback, ours=True),
             Program(JOBS_1, ours(path, "--jobs", "1"), ours=True),
             Program(JOBS_2, ours(path, "--jobs", "2"), ours=True)]
    if name == "(a)":
        lookups = ("--filter", ALLOWLIST_FILTER, "--lookups", str(allowlist_folder()))
        found.append(Program(ALLOWLIST, ours(path, *lookups), ours=True))
        found.append(Program(GZIP, ours(gzipped(path)), ours=True))
    ausearch = os.environ.get("AUSEARCH") or shutil.which("ausearch")
    if ausearch:
        found.append(Program(AUSEARCH, [ausearch, "-if", str(path), "-c", "at"], (0, 1)))
    found.append(Program(GREP, ["grep", "-c", "type=SYSCALL", str(path)], (0, 1)))
    return found


def general_engine_csv(path: Path) -> str:
    """The rows of the general path (all fields, line by line, every stage a generator), as `run
    --format csv` prints them."""
    from linux_auditd_at import runner
    from linux_auditd_at.cli.common import print_result
    from linux_auditd_at.spl import Context

    _, pipeline = runner.compile_detection(REPO)
    result = pipeline.execute(runner.open_logs(pipeline, [str(path)], fast=False),
                              Context(now=time.time(), tz=UTC), general=True)
    out = io.StringIO()
    print_result(result, "csv", out)
    return out.getvalue()


def check_rows(path: Path, out_path: Path, expected: str) -> None:
    printed = out_path.read_text(encoding="utf-8")
    if printed != expected:
        raise BenchFailure(f"{path.name}: the fast path printed {printed.count(chr(10))} lines, the general "
                           f"engine {expected.count(chr(10))}; they differ")
    print(f"{path.name}: same {expected.count(chr(10)) - 1} rows as the general engine", flush=True)


def bench(files: dict[str, Path], repeat: int, scratch: Path) -> dict[str, list[Runs]]:
    table = {name: [Runs(p.label) for p in programs(path, name)] for name, path in files.items()}
    for name, path in files.items():  # warm the page cache and check our rows once
        checked = [p for p in programs(path, name) if p.label in (OURS, GZIP)]
        expected = general_engine_csv(path)
        for program in checked:
            measure(program, scratch / "out")
            check_rows(path, scratch / "out", expected)
    for _ in range(repeat):
        for name, path in files.items():
            for program, runs in zip(programs(path, name), table[name], strict=True):
                seconds, rss = measure(program, scratch / "out")
                runs.seconds.append(seconds)
                runs.rss_mb.append(rss)
    return table


def startup(repeat: int, scratch: Path) -> Runs:
    empty = scratch / "empty.log"
    empty.write_bytes(b"")
    runs = Runs("linux-auditd-at run EMPTY")
    for _ in range(repeat):
        seconds, rss = measure(Program(runs.label, ours(empty), ours=False), scratch / "out")
        runs.seconds.append(seconds)
        runs.rss_mb.append(rss)
    return runs


def report(files: dict[str, Path], table: dict[str, list[Runs]], start: Runs) -> None:
    print(f"\n  {'':<34}{'median s':>8}{'min-max s':>13}{'peak MB':>10}")
    for name, path in files.items():
        print(f"{name} {path.name} ({path.stat().st_size / 2**20:.0f} MiB)")
        for runs in table[name]:
            print(runs.row())
        by = {runs.label: runs for runs in table[name]}
        mine = by[OURS].median
        if AUSEARCH in by:
            print(f"  ausearch / ours: {by[AUSEARCH].median / mine:.2f}x", end="")
        print(f"   ours / grep floor: {mine / by[GREP].median:.2f}x"
              f"   stdlib alone / default: {by[STDLIB].median / mine:.2f}x"
              f"   --jobs 1 / --jobs 2: {by[JOBS_1].median / by[JOBS_2].median:.2f}x")
        if ALLOWLIST in by:
            print(f"  allow-list lookup / without: {by[ALLOWLIST].median / mine:.2f}x (target within 1.2x)"
                  f"   gzip / plain: {by[GZIP].median / mine:.2f}x")
    print("start-up")
    print(start.row())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--large", action="store_true", help="add the 1 GiB file (c)")
    parser.add_argument("--general-csv", type=Path, help=argparse.SUPPRESS)  # check_rows' child
    args = parser.parse_args()
    if args.general_csv:
        sys.stdout.write(general_engine_csv(args.general_csv))
        return 0
    DATA.mkdir(exist_ok=True)
    # start-up as installed, with bytecode (in a child: this process stays small, see measure)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "package")], check=True,
                   stdout=subprocess.DEVNULL)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    files = {"(a)": dataset("audit", args.size_mb, 0.002), "(b)": dataset("at-runs", args.size_mb, 0.2)}
    if args.large:
        files["(c)"] = dataset("audit", 1024, 0.002)
    if not TIME:
        print("no /usr/bin/time (apt-get install time): peak RSS from wait4, with this process's "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB as a floor")
    if not (os.environ.get("AUSEARCH") or shutil.which("ausearch")):
        print("ausearch not found (apt-get install auditd, never started): no ausearch column")
    with tempfile.TemporaryDirectory(dir=DATA) as scratch:
        try:
            table = bench(files, args.repeat, Path(scratch))
            start = startup(args.repeat, Path(scratch))
        except BenchFailure as failure:
            print(f"bench: FAILED: {failure}", file=sys.stderr)
            return 1
    report(files, table, start)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
