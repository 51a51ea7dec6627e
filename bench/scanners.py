"""The scanner choice, measured: the shipped search's block scan with each library at hand.

Cuts a bench log (default: (b) of bench/run.py, made by `make bench`) into 64 KiB blocks of whole
lines in memory, then finds the candidate lines of the shipped search in every block, best of
--repeat passes, with:
  - hyperscan: audit/scan.py as the toolkit runs it (the block check, then its needles);
  - re2 (google-re2 or pyre2, whichever provides `re2`): the same check, then the same needles as
    one alternation, `(?im)`, finditer per block;
  - re: audit/scan.py's stdlib fallback (the check, then `necessary` over the lower-cased block).
Every engine must find the same lines. Prints seconds per engine and the ratio to hyperscan.

    python bench/scanners.py [LOG] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import sys
import time
from pathlib import Path

from linux_auditd_at.audit import scan
from linux_auditd_at.audit.reader import CHUNK
from linux_auditd_at.audit.record import block_is_records
from linux_auditd_at.runner import compile_detection

DEFAULT = Path(__file__).resolve().parent / ".data" / "at-runs-200mb-0.2-4h.log"


def blocks(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, start = [], 0
    while start < len(data):
        end = data.rfind(b"\n", start, start + CHUNK) + 1 or len(data)
        out.append(data[start:end])
        start = end
    return out


def re2_scanner(needles):
    import re2

    alternatives = b"|".join(scan.needle_pattern(scan.Needle(*n)).encode() for n in needles)
    pattern = re2.compile(b"(?im)" + alternatives)

    def candidates(block: bytes) -> list[int] | None:
        if not block_is_records(block, block.count(b"\n") + (block[-1:] != b"\n")):
            return None
        return sorted({block.rfind(b"\n", 0, m.end()) + 1 for m in pattern.finditer(block)})
    return candidates


def starts(scanner: scan.Scanner):
    """The scanner's candidate lines of a block (its line count left out), or None."""
    def candidates(block: bytes) -> list[int] | None:
        found = scanner.candidates(block)
        return None if found is None else found[1]
    return candidates


def timed(candidates, data: list[bytes], repeat: int) -> tuple[float, int]:
    best, found = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        found = sum(len(candidates(block) or ()) for block in data)
        best = min(best, time.perf_counter() - start)
    return best, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    keep = compile_detection()[1].raw_prefilter()
    engines = {"re (stdlib fallback)": starts(scan.Scanner(keep.needles, keep.necessary, "re"))}
    if importlib.util.find_spec("hyperscan"):
        engines["hyperscan " + importlib.metadata.version("hyperscan")] = starts(scan.Scanner(
            keep.needles, keep.necessary, "hyperscan"))
    if importlib.util.find_spec("re2"):
        dist = _re2_distribution()
        engines[f"{dist} {importlib.metadata.version(dist)}"] = re2_scanner(keep.needles)
    data = blocks(args.log)
    print(f"{args.log.name}: {sum(map(len, data)) / 2**20:.0f} MiB in {len(data)} blocks")
    results = {name: timed(candidates, data, args.repeat) for name, candidates in engines.items()}
    if len({found for _, found in results.values()}) != 1:
        print(f"engines disagree: {results}", file=sys.stderr)
        return 1
    base = next((s for name, (s, _) in results.items() if name.startswith("hyperscan")), None)
    for name, (seconds, found) in results.items():
        ratio = f"{seconds / base:.1f}x hyperscan" if base else ""
        print(f"  {name:<28}{seconds:>8.3f} s  {found} candidate lines  {ratio}")
    return 0


def _re2_distribution() -> str:
    """google-re2 or pyre2: whichever installed the `re2` module that imports first."""
    import re2

    for dist in ("google-re2", "pyre2"):
        try:
            files = importlib.metadata.distribution(dist).files or []
        except importlib.metadata.PackageNotFoundError:
            continue
        if any(Path(re2.__file__).samefile(f.locate()) for f in files if f.name == Path(re2.__file__).name):
            return dist
    raise SystemExit(f"re2 from an unknown distribution: {re2.__file__}")


if __name__ == "__main__":
    sys.exit(main())
