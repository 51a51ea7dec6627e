"""Generate a large, realistic audit log for the benchmark from real captured record groups.

`bench/templates.log` holds whole events (all records sharing one serial) captured with auditd
on this project's machine: execve of ordinary commands (SYSCALL, BPRM_FCAPS, EXECVE, CWD, PATH x2,
PROCTITLE), a failed execve, `at`, `atq`, `atrm`, `atd` starting a job, and PAM records. Each
generated event is one of those groups with a fresh rising serial and time, new pids, and for
ordinary commands a name and path taken from this machine's /usr/bin and /usr/sbin (thousands of
distinct comms). ENRICHED 0x1d parts are kept as captured. `--at-share` sets how many events are
at/atq/atrm/atd (default 0.2 %); `--hosts N` prefixes lines with `node=` of N hosts.

    python bench/generate.py OUT.log --size-mb 200 [--at-share 0.002] [--hosts 4] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import re
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates.log")
AT_FAMILY = ("at", "atq", "atrm", "atd", "batch")
ARGS = ("-l", "/tmp", "--version", "/etc/passwd", "status", "-a", "/var/log", "-h", "install", "list")
START = 1795900000.0
_SERIAL = re.compile(r"msg=audit\(\d+\.\d+:(\d+)\)")


def load_groups(path: Path = TEMPLATES) -> list[list[str]]:
    """Template events: lists of lines sharing one serial, in file order."""
    groups: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line:
            groups.setdefault(_SERIAL.search(line).group(1), []).append(line)
    return list(groups.values())


def _syscall(group: list[str]) -> str:
    return next((line for line in group if line.startswith("type=SYSCALL")), "")


def _shape(group: list[str], ordinary: bool) -> str:
    """The group as one format string with {time} {serial} {pid} {ppid} (and {comm} {exe}
    {arg} {proctitle} for ordinary commands)."""
    text = "\n".join(group).replace("{", "{{").replace("}", "}}") + "\n"
    text = re.sub(r"msg=audit\(\d+\.\d+:\d+\)", "msg=audit({time}:{serial})", text)
    text = re.sub(r" ppid=\d+", " ppid={ppid}", text)
    text = re.sub(r"(?<=[ (]) ?pid=\d+", "pid={pid}", text)
    if ordinary:
        text = re.sub(r'comm="[^"]*"', 'comm="{comm}"', text)
        text = re.sub(r'exe="[^"]*"', 'exe="{exe}"', text)
        text = re.sub(r"argc=\d+ .*", 'argc=2 a0="{comm}" a1="{arg}"', text)
        text = re.sub(r'item=0 name="[^"]*"', 'item=0 name="{exe}"', text)
        text = re.sub(r"proctitle=\S+", "proctitle={proctitle}", text)
    return text


def commands() -> list[tuple[str, str]]:
    """(comm, exe) of this machine's programs, at's family left out."""
    found = set()
    for folder in ("/usr/bin", "/usr/sbin"):
        for entry in os.scandir(folder):
            name = entry.name
            if name not in AT_FAMILY and re.fullmatch(r"[\w.+-]+", name) and entry.is_file():
                found.add((name[:15], f"{folder}/{name}"))
    return sorted(found)


def generate(out: Path, size: int, *, at_share: float, hosts: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    groups = load_groups()
    at_groups = [g for g in groups if re.search(r' comm="(at|atq|atrm|atd)"', _syscall(g))]
    ordinary = [g for g in groups if 'syscall=59 success=yes' in _syscall(g) and g not in at_groups]
    other = [g for g in groups if g not in at_groups and g not in ordinary]
    at_shapes = [_shape(g, False) for g in at_groups]
    ordinary_shapes = [_shape(g, True) for g in ordinary]
    other_shapes = [_shape(g, False) for g in other]
    programs = commands()
    prefixes = [f"node=host-{n:02d} " for n in range(hosts)] or [""]
    counts = {"events": 0, "at_events": 0, "lines": 0, "bytes": 0}
    now, serial, pid = START, 1000, 3000
    with out.open("w", encoding="utf-8", newline="\n") as handle:
        while counts["bytes"] < size:
            roll = rng.random()
            now += rng.randint(0, 40) / 1000
            serial += 1
            pid = pid + rng.randint(1, 5) if pid < 4_000_000 else 3000
            values = {"time": f"{now:.3f}", "serial": serial, "pid": pid, "ppid": rng.randint(1, pid - 1)}
            if roll < at_share:
                shape = rng.choice(at_shapes)
                counts["at_events"] += 1
            elif roll < at_share + 0.05:
                shape = rng.choice(other_shapes)
            else:
                shape = rng.choice(ordinary_shapes)
                comm, exe = rng.choice(programs)
                arg = rng.choice(ARGS)
                values.update(comm=comm, exe=exe, arg=arg,
                              proctitle=f"{exe}\0{arg}".encode().hex().upper())
            text = shape.format(**values)
            prefix = rng.choice(prefixes)
            if prefix:
                text = prefix + text[:-1].replace("\n", "\n" + prefix) + "\n"
            handle.write(text)
            counts["events"] += 1
            counts["lines"] += text.count("\n")
            counts["bytes"] += len(text)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--at-share", type=float, default=0.002)
    parser.add_argument("--hosts", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate(args.out, int(args.size_mb * 1024 * 1024), at_share=args.at_share, hosts=args.hosts,
                      seed=args.seed)
    print(f"{args.out}: {counts['bytes'] / 2**20:.0f} MiB, {counts['lines']} lines, "
          f"{counts['events']} events, {counts['at_events']} of them at/atq/atrm/atd")


if __name__ == "__main__":
    main()
