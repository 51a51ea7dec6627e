"""`make bench`: time `linux-auditd-at run` against `ausearch -if FILE -c at` on the same file.

Generates (once, cached in bench/.data/) realistic audit logs with bench/generate.py, then runs
each program as a child process and reads its wall time and peak RSS (ru_maxrss from wait4).
Prints both times, the ratio, both peak RSS figures, and our peak RSS on half the file and on a
file of the same size with ~100x more result groups, to show that memory follows the number of
result groups, not the number of events. Note: `ausearch -c at` matches comm by substring
(`cat`, `lsattr`, ... too), so its output is larger than the detection's; both read every record.
Then the allow-list case: the same run with the filter macro set to
`lookup bench_allowlist.csv dest UID OUTPUT reason | where isnull(reason)` over a 100,000-row lookup
CSV (two of its rows match hosts of the log), and its time as a ratio of the run without it
(target: within 1.2x; the lookup is read once and indexed, whatever the event count).

    python bench/run.py [--size-mb 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402  (bench/ is not a package)


@dataclass
class Measure:
    seconds: float
    peak_rss_mb: float
    output_bytes: int


def measure(argv: list[str]) -> Measure:
    """Run argv once; wall time, the child's peak RSS, and how much it printed."""
    out_path = DATA / "out.tmp"
    with out_path.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, cwd=REPO)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    err = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode not in (0, 1):  # ausearch exits 1 when nothing matches
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {err.strip()}")
    return Measure(seconds, usage.ru_maxrss / 1024, out_path.stat().st_size)


def best(argv: list[str], repeat: int) -> Measure:
    runs = [measure(argv) for _ in range(repeat)]
    return min(runs, key=lambda m: m.seconds)


def dataset(name: str, size_mb: float, at_share: float, hosts: int) -> Path:
    path = DATA / f"{name}-{size_mb:g}mb-{at_share:g}-{hosts}h.log"
    if not path.exists():
        counts = generate(path, int(size_mb * 2**20), at_share=at_share, hosts=hosts, seed=1)
        print(f"generated {path.name}: {counts['lines']} lines, {counts['events']} events, "
              f"{counts['at_events']} at/atq/atrm/atd events")
    return path


def ours(path: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "run", str(path),
            "--format", "csv", "--tz", "UTC", *options]


ALLOWLIST_ROWS = 100_000
ALLOWLIST_FILTER = "lookup bench_allowlist.csv dest UID OUTPUT reason | where isnull(reason)"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    full = dataset("audit", args.size_mb, 0.002, 4)
    half = dataset("audit", args.size_mb / 2, 0.002, 4)
    groups = dataset("many-groups", args.size_mb, 0.2, 4)
    size = full.stat().st_size / 2**20

    mine = best(ours(full), args.repeat)
    rows = [(f"linux-auditd-at run ({size:.0f} MiB)", mine)]
    ausearch = shutil.which("ausearch")
    theirs = None
    if ausearch:
        theirs = best([ausearch, "-if", str(full), "-c", "at"], args.repeat)
        rows.append((f"ausearch -if FILE -c at ({size:.0f} MiB)", theirs))
    else:
        print("ausearch not found (apt-get install auditd): skipping the comparison")
    rows.append((f"linux-auditd-at run, half the file ({half.stat().st_size / 2**20:.0f} MiB)",
                 best(ours(half), args.repeat)))
    many = best(ours(groups), args.repeat)
    rows.append((f"linux-auditd-at run, ~100x result groups ({groups.stat().st_size / 2**20:.0f} MiB)", many))

    print(f"\n{'':<58}{'seconds':>9}{'peak RSS MB':>13}{'output KB':>11}")
    for label, m in rows:
        print(f"{label:<58}{m.seconds:>9.2f}{m.peak_rss_mb:>13.1f}{m.output_bytes / 1024:>11.0f}")
    if theirs:
        print(f"\nratio (ours / ausearch): {mine.seconds / theirs.seconds:.2f}x time, "
              f"{mine.peak_rss_mb / theirs.peak_rss_mb:.2f}x peak RSS")
    print(f"target: ours <= ausearch in time, peak RSS < 100 MB -> "
          f"{'met' if theirs and mine.seconds <= theirs.seconds and mine.peak_rss_mb < 100 else 'NOT met'}")

    lookups = ("--filter", ALLOWLIST_FILTER, "--lookups", str(allowlist_folder()))
    allowed = best(ours(full, *lookups), args.repeat)
    print(f"\n{'linux-auditd-at run, 100,000-row allow-list lookup in the filter':<58}{allowed.seconds:>9.2f}"
          f"{allowed.peak_rss_mb:>13.1f}{allowed.output_bytes / 1024:>11.0f}")
    ratio = allowed.seconds / mine.seconds
    print(f"ratio (with the lookup / without): {ratio:.2f}x time, "
          f"{allowed.peak_rss_mb / mine.peak_rss_mb:.2f}x peak RSS; target within 1.2x time -> "
          f"{'met' if ratio <= 1.2 else 'NOT met'}")
    (DATA / "out.tmp").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
