"""The user-regex guard, measured: how long a catastrophic regex (`(a+)+$` on "a"*n + "b") runs
before it becomes an error, with PCRE2's match limit and with the fallback's time bound, beside
Python's `re` without a guard; and the cost of a plain regex on audit-like values, PCRE2 against
`re`, in the same run.

    python bench/regex_guard.py
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "package"))

from linux_auditd_at.spl import regex as user_regex  # noqa: E402
from linux_auditd_at.spl.regex import Regex, RegexLimitError  # noqa: E402

CATASTROPHIC = r"(a+)+$"


def seconds(search, text: str) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        outcome = "match" if search(text) is not None else "no match"
    except RegexLimitError:
        outcome = "guard hit"
    return time.perf_counter() - start, outcome


def catastrophic() -> None:
    print(f"{CATASTROPHIC} on 'a'*n + 'b':")
    print(f"  {'n':>7}  {'pcre2 (match limit)':>22}  {'re, no guard':>18}  {'re fallback (bound)':>22}")
    pcre2 = user_regex.pcre2
    for n in (18, 20, 22, 5_000, 100_000):
        text = "a" * n + "b"
        guarded = seconds(Regex(CATASTROPHIC).search, text)
        plain = seconds(re.compile(CATASTROPHIC).search, text) if n <= 22 else None
        user_regex.pcre2 = None
        fallback = seconds(Regex(CATASTROPHIC).search, text)
        user_regex.pcre2 = pcre2
        shown = f"{plain[0] * 1000:12.1f} ms" if plain else f"{'(minutes+)':>15}"
        print(f"  {n:>7}  {guarded[0] * 1000:12.2f} ms {guarded[1]:>9}  {shown:>18}  "
              f"{fallback[0] * 1000:10.1f} ms {fallback[1]:>9}")


def plain_cost() -> None:
    values = [f"/usr/{'s' if i % 3 else ''}bin/{name}" for i, name in
              enumerate(["at", "atd", "cat", "atq", "bash", "systemd"] * 20_000)]
    pattern = r"^/usr/s?bin/at[dq]?$"
    fast, slow = Regex(pattern), re.compile(pattern)
    start = time.perf_counter()
    hits = sum(fast.search(v) is not None for v in values)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    expected = sum(slow.search(v) is not None for v in values)
    theirs = time.perf_counter() - start
    assert hits == expected
    print(f"{pattern} on {len(values)} values: pcre2 {ours * 1000:.0f} ms, re {theirs * 1000:.0f} ms, "
          f"ratio {ours / theirs:.2f}x")


if __name__ == "__main__":
    print(f"backend: {user_regex.backend()}, match limit {user_regex.MATCH_LIMIT}, "
          f"fallback bound {user_regex.FALLBACK_SECONDS:g} s")
    catastrophic()
    plain_cost()
