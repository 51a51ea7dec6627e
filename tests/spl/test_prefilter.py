"""The raw-line prefilter: never rejects a line whose event the search matches (soundness), and
every ASCII line it keeps holds its `necessary` pattern, checked over randomly generated audit-like
lines and searches with the real auto-KV extraction; then worked examples of each rule."""

from __future__ import annotations

import random

import pytest

from linux_auditd_at.audit.record import extract_fields
from linux_auditd_at.detection import load_detection
from linux_auditd_at.spl import Pipeline, compile_search
from linux_auditd_at.spl.search_expr import compile_matcher
from paths import REPO


@pytest.fixture(scope="module")
def shipped() -> Pipeline:
    """The shipped search, compiled once for the module (read when a test asks, not at import)."""
    return compile_search(load_detection(REPO).expanded_search())


VALUES = ["at", "atd", "AT", "At", "later", "/usr/bin/at", "/usr/sbin/atd", "/usr/bin/cat", "root", "daemon",
          "SYSCALL", "EXECVE", "PATH", "execve", "write", "0", "10", "2751", "exec", "x y", "a.b", "a+b",
          "(none)", "it's", "ät", "ſat", "\u212aey", "", "10.1.2.3", "fe80::1"]
KEYS = ["comm", "exe", "uid", "key", "a0", "name", "pid", "old-auid", "old_auid", "nametype"]
ENRICHED = ["UID", "SYSCALL", "AUID", "EUID"]
SEARCH_VALUES = VALUES + ["a*", "*at", "*", "at*d", "*bin*", "a.*", "*t'*", "s*", "k*", "*AT*D",
                          "10.0.0.0/8", "fe80::/10"]
SEARCH_FIELDS = ["comm", "exe", "uid", "key", "a0", "name", "pid", "old_auid", "old-auid", "type", "UID",
                 "SYSCALL", "Comm", "host", "sourcetype", "acct", "res"]


def _encode(value: str, rng: random.Random) -> str:
    """How auditd may write a value: quoted, bare (ending at a space, quote, 0x1d or the line's
    end), or as upper-case hex."""
    choice = rng.random()
    if choice < 0.2 or " " in value:
        return value.encode().hex().upper()
    if choice < 0.55:
        return f'"{value}"'
    return value


def random_line(rng: random.Random) -> str:
    kind = rng.choice(["SYSCALL", "SYSCALL", "EXECVE", "PATH", "syscall", "USER_ACCT"])
    keys = rng.choices(KEYS, k=rng.randint(1, 6))  # a key may occur twice: the first one counts
    pairs = [f"{key}={_encode(rng.choice(VALUES), rng)}" for key in keys]
    stamp = f"msg=audit(1795915736.{rng.randint(100, 999)}:{rng.randint(1, 99)}):"
    node = rng.choice(["", "", "node=at "])
    header = rng.choice(["", "", "Nov 29 02:38:02 at audispd: ", "<13>1 2026-11-29T02:38:02Z at au - - - "])
    line = f"{header}{node}type={kind} {stamp} " + " ".join(pairs)
    if kind == "USER_ACCT":
        line += f" msg='op=PAM:accounting acct={_encode(rng.choice(VALUES), rng)} res=success'"
    if rng.random() < 0.6:
        enriched = rng.sample(ENRICHED, rng.randint(1, 4))
        separator = rng.choice(["\x1d", "\x1d", "#035", " "])  # auditd's, rsyslog's escape, an add-on's
        line += separator + " ".join(f'{k}={_encode(rng.choice(VALUES), rng)}' for k in enriched)
    return line


def random_term(rng: random.Random, depth: int) -> str:
    field = rng.choice(SEARCH_FIELDS)
    quoted = '"{}"'.format(rng.choice(SEARCH_VALUES).replace('"', ""))
    roll = rng.random()
    if depth < 2 and roll < 0.2:
        return f"({random_search(rng, depth + 1)})"
    if roll < 0.28:
        return f"NOT {random_term(rng, depth + 1)}"
    if roll < 0.43:
        return f"{field} IN ({quoted}, \"{rng.choice(VALUES)}\")"
    if roll < 0.53:
        return quoted  # a bare term
    if roll < 0.58:
        return f"{field}{rng.choice(['!=', '>', '<='])}{quoted}"
    if roll < 0.64:
        return f"{field}=CASE({quoted})"
    return f"{field}={quoted}"


def random_search(rng: random.Random, depth: int = 0) -> str:
    terms = [random_term(rng, depth) for _ in range(rng.randint(1, 4))]
    return "".join(t if i == 0 else rng.choice([" ", " AND ", " OR "]) + t for i, t in enumerate(terms))


def as_event(line: str, rng: random.Random) -> dict:
    host = rng.choice(["at", "web-01"])
    return {**extract_fields(line), "_raw": line, "_time": 1795915736.0, "host": host,
            "sourcetype": rng.choice(["linux:audit", "at"]), "index": "main"}


def test_prefilter_never_rejects_a_matching_line():
    rng = random.Random(20261129)
    lines = [random_line(rng) for _ in range(400)]
    events = [as_event(line, rng) for line in lines]
    checked = rejected = 0
    for _ in range(800):
        spl = random_search(rng)
        pipeline = compile_search(spl)
        keep = pipeline.raw_prefilter()
        if keep is None:
            continue
        matches = compile_matcher(pipeline.stages[0].node.expr)
        for line, event in zip(lines, events, strict=True):
            if matches(event):
                checked += 1
                assert keep(line), f"prefilter of {spl!r} rejects a matching line {line!r}"
            elif not keep(line):
                rejected += 1
            if keep(line) and line.isascii():
                assert keep.necessary.search(line.lower()), \
                    f"{spl!r} keeps {line!r} without its necessary pattern {keep.necessary.pattern!r}"
    assert checked > 5000 and rejected > 100000  # both directions were exercised


def test_necessary_pattern_finds_kept_lines_inside_a_block():
    """The reader runs `necessary` over a whole lower-cased block: line ends are newlines there."""
    keep = compile_search("comm=at OR exe=*/at").raw_prefilter()
    block = 'type=SYSCALL comm=AT\ntype=SYSCALL comm="cat"\ntype=SYSCALL exe=/usr/bin/at\n'
    found = [block.count("\n", 0, m.start()) for m in keep.necessary.finditer(block.lower())]
    assert found == [0, 2]


@pytest.mark.parametrize(("spl", "line", "kept"), [
    ("comm=at", 'type=SYSCALL comm="AT"', True),
    ("comm=at", "type=SYSCALL comm=at", True),               # bare at the end of the line
    ("comm=at", "type=SYSCALL comm=at exe=x", True),         # bare before a space
    ("comm=at", "type=SYSCALL comm=at\x1dUID=root", True),   # bare before the ENRICHED separator
    ("comm=at", "msg='comm=at'", True),                      # bare before a quote, key after a quote
    ("comm=at", 'type=SYSCALL comm="cat"', False),
    ("comm=at", 'type=SYSCALL comm="atq"', False),
    ("comm=at", "type=SYSCALL xcomm=at", False),             # a longer key is another field
    ("comm=at", "type=SYSCALL comm=6174", False),            # hex stays 6174 for the search too
    ("comm=at", "type=SYSCALL comm=4154", False),
    ("comm=at", 'type=SYSCALL comm="x" name="comm=at"', False),  # inside a quoted value
    ("Comm=at", "type=SYSCALL comm=at", True),               # names compared without case: weaker, sound
    ("old_auid=5", "type=LOGIN old-auid=5", True),           # auto-KV reads old-auid as old_auid
    ("comm=at*", 'comm="atq"', True),
    ("comm=at*", 'comm="cat"', False),                       # a leading piece anchors at the value start
    ("comm=*at", 'comm="bat" exe=x', True),
    ("comm=*at", 'comm="atq"', False),                       # a trailing piece anchors at the value end
    ("comm=a*d", 'comm="a b d"', True),                      # `*` spans spaces inside quotes
    ("comm=*bin*", 'comm="/usr/lib/x" exe=/bin/x', False),
    ("exe=/usr/bin/a.t", "exe=/usr/bin/a.t", True),
    ("exe=/usr/bin/a.t", "exe=/usr/bin/axt", False),         # `.` is literal
    ("a0=a+b", 'a0="a+b"', True),
    ('tty="(none)"', "tty=(none) ses=1", True),
    ("comm=*", "type=SYSCALL comm=x", True),
    ("comm=*", "type=SYSCALL exe=x", False),                 # f=* needs the field
    ("NOT comm=at", 'comm="cron"', True),                    # NOT constrains nothing
    ("sourcetype=linux:audit", "type=SYSCALL", True),        # metadata fields are not in the line
    ("host=web-01 comm=at", "comm=at", True),
    ("comm!=at", "anything", True),
    ("error", "an ERROR here", True),
    ("error", "no such word", False),
    ("bin", "exe=/usr/bin/at", True),                        # a bare term between breakers
    ("bin", "exe=/usr/binary", False),
    ("comm=at OR pid>5", "nothing relevant", True),          # one OR branch constrains nothing
    ("comm=ät", "nothing relevant", True),                   # non-ASCII values are not used
    ("comm=s*", "comm=\u017fx", True),                       # non-ASCII lines pass: ſ matches s*
])
def test_prefilter_examples(spl, line, kept):
    keep = compile_search(spl).raw_prefilter()
    assert (keep is None or keep(line)) == kept


@pytest.mark.parametrize("line", [
    'type=PATH msg=audit(1795915736.369:13): item=0 name="/usr/lib/x" nametype=NORMAL',
    'type=SYSCALL msg=audit(1795915736.369:13): comm="cat" exe="/usr/bin/cat"',
    "type=SYSCALL msg=audit(1795915736.369:13): comm=6174 exe=2F7573722F62696E2F6174",
])
def test_shipped_prefilter_rejects_lines_with_at_elsewhere(shipped, line):
    keep = shipped.raw_prefilter()
    assert not keep(line)
    assert not keep.necessary.search(line.lower())
    assert not compile_matcher(shipped.stages[0].node.expr)(
        {**extract_fields(line), "_raw": line, "sourcetype": "linux:audit"})


def test_shipped_necessary_pattern_starts_with_a_literal(shipped):
    """Python's `re` scans fast only for a leading literal: the shipped search's starts with `at`."""
    assert shipped.raw_prefilter().necessary.pattern.startswith("at(?<=")


def test_no_prefilter_when_nothing_is_checkable():
    assert compile_search("sourcetype=linux:audit NOT UID=daemon").raw_prefilter() is None
    assert compile_search("* | stats count").raw_prefilter() is None
    assert compile_search("| search comm=at").raw_prefilter() is not None
