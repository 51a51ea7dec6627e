"""User regular expressions (match, replace, mvfind, regex, rex) with Splunk's engine, PCRE.

Backend: the `pcre2` bindings (PCRE2, the library Splunk uses), JIT-compiled, when the package
is installed; otherwise Python's `re`, after translating what PCRE writes differently:
`(?<name>...)` -> `(?P<name>...)`, `\\z` -> `\\Z`, `\\Z` -> `(?=\\n?\\Z)`, and the POSIX classes
`[:alpha:]` `[:digit:]` `[:alnum:]` `[:upper:]` `[:lower:]` `[:space:]` `[:punct:]` `[:xdigit:]`
`[:word:]` inside brackets, `\\x{hh}` -> `\\Uhhhhhhhh`. What `re` still cannot compile (`\\K`,
recursion, `(*VERB)`s, `\\h`) is an error that says to install pcre2.

Both run in UTF mode without Unicode properties (PCRE's default, no UCP): `\\w`, `\\d`, `\\s`
and the POSIX classes are ASCII (UNVERIFIED: that Splunk does not set UCP). A difference that
remains with `re` (ASCII mode): `(?i)` folds only ASCII letters, where PCRE2 folds `É` to `é` too.

Bounded work (catastrophic backtracking such as `(a+)+$` on a long value):
- PCRE2: every pattern runs under a match limit of MATCH_LIMIT internal match() calls (set with
  PCRE2's `(*LIMIT_MATCH=n)`), 100000, taken to be Splunk's limits.conf `[rex] match_limit`; that
  value, and Splunk using it for every regex command and function, are UNVERIFIED.
- `re` has no such limit: each match runs under a wall-clock bound of FALLBACK_SECONDS (an
  interval timer, so only in the main thread; other threads run unbounded; a timer already set
  by the caller is restored after).
A hit raises RegexLimitError, which the callers turn into one SPL error naming the regex.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator

try:
    import pcre2
except ImportError:  # the wheel is missing for this platform: Python's re with a time bound
    pcre2 = None

MATCH_LIMIT = 100_000
FALLBACK_SECONDS = 1.0
_ADVICE = ": it backtracks without end on this value (nested repeats such as (a+)+?)"

_POSIX = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
          "space": r"\s", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f", "word": r"\w"}
_PCRE_ONLY = re.compile(r"\(\?<(?=[A-Za-z_])|\\[zZ]|\[:(\w+):\]|\\x\{([0-9A-Fa-f]{1,8})\}|\\.", re.DOTALL)
_BRACED_HEX = re.compile(r"\\x\{([0-9A-Fa-f]{1,8})\}|\\.", re.DOTALL)


class RegexError(ValueError):
    """A pattern that does not compile; the message says why."""


class RegexLimitError(RuntimeError):
    """A match that exceeded the work bound (see the module docstring)."""


def backend() -> str:
    return "pcre2" if pcre2 is not None else "re"


def _to_python(pattern: str) -> str:
    def swap(match: re.Match) -> str:
        text = match.group()
        if text == "(?<":
            return "(?P<"
        if text == r"\z":
            return r"\Z"
        if text == r"\Z":
            return r"(?=\n?\Z)"
        if match.group(2) is not None:
            return f"\\U{int(match.group(2), 16):08x}"
        if match.group(1) is not None:
            if match.group(1) not in _POSIX:
                raise RegexError(f"unknown POSIX class [:{match.group(1)}:]")
            return _POSIX[match.group(1)]
        return text
    return _PCRE_ONLY.sub(swap, pattern)


def _to_pcre2(pattern: str) -> str:
    """The bindings compile with PCRE2_ALT_BSUX, under which `\\x{1d}` is not a character: write
    it `\\N{U+1d}`, which PCRE2 reads the same in UTF mode."""
    return _BRACED_HEX.sub(lambda m: f"\\N{{U+{m.group(1)}}}" if m.group(1) else m.group(), pattern)


@contextlib.contextmanager
def _time_bound(pattern: str):
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise RegexLimitError(f'regex "{pattern}" ran longer than {FALLBACK_SECONDS:g} s (Python\'s re, '
                              f"without pcre2){_ADVICE}")
    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    outer, interval = signal.setitimer(signal.ITIMER_REAL, FALLBACK_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-6), interval)


class Regex:
    """One compiled user regex; `search`, `finditer` and `groupindex` as in `re`."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        if pcre2 is not None:
            try:
                limited = f"(*LIMIT_MATCH={MATCH_LIMIT}){_to_pcre2(pattern)}"
                self._compiled = pcre2.compile(limited, pcre2.ASCII)
            except pcre2.PatternError as err:
                raise RegexError(str(err)) from None
        else:
            try:
                self._compiled = re.compile(_to_python(pattern), re.ASCII)
            except re.error as err:
                raise RegexError(f"{err} (Python's re; install the pcre2 package for full PCRE)") from None
        self.groupindex = dict(self._compiled.groupindex)
        self.groups = self._compiled.groups

    def _guarded(self, call, *args):
        if pcre2 is not None:
            try:
                return call(*args)
            except pcre2.LibraryError:
                raise RegexLimitError(f'regex "{self.pattern}" exceeded PCRE\'s match limit '
                                      f"({MATCH_LIMIT}){_ADVICE}") from None
        with _time_bound(self.pattern):
            return call(*args)

    def search(self, text: str):
        return self._guarded(self._compiled.search, text)

    def finditer(self, text: str) -> Iterator:
        return iter(self._guarded(lambda t: list(self._compiled.finditer(t)), text))


def group_names(regex: Regex) -> list[str]:
    """The named groups in the order they stand in the pattern."""
    return [name for name, _ in sorted(regex.groupindex.items(), key=lambda item: item[1])]


def expand_template(template: str, match) -> str:
    """A replacement with `\\N` back-references (N = 0..9) as Splunk's replace() and rex mode=sed
    write them; `\\\\` is a backslash, any other escaped character stands for itself."""
    out, i = [], 0
    while i < len(template):
        char = template[i]
        if char == "\\" and i + 1 < len(template):
            following = template[i + 1]
            if following.isdigit():
                number = int(following)
                out.append((match.group(number) or "") if number <= len(match.groups()) else "")
            else:
                out.append(following)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def substitute(regex: Regex, template: str, text: str, occurrence: int = 0) -> str:
    """`text` with every match (occurrence 0) or only the occurrence-th (from 1) replaced by
    `template` (see expand_template)."""
    out, last = [], 0
    for index, match in enumerate(regex.finditer(text), start=1):
        if occurrence and index != occurrence:
            continue
        out.append(text[last:match.start()])
        out.append(expand_template(template, match))
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def guard(call: Callable, fail: Callable[[str], Exception]) -> Callable:
    """`call` (which runs a user regex) with a RegexLimitError raised as `fail(message)`."""
    def run(*args):
        try:
            return call(*args)
        except RegexLimitError as err:
            raise fail(str(err)) from None
    return run
