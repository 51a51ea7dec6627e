"""The raw-line prefilter: never rejects a line whose event the search matches (soundness), checked
over randomly generated audit-like lines and searches, with the real auto-KV extraction."""

from __future__ import annotations

import random

import pytest

from linux_auditd_at.audit.record import extract_fields
from linux_auditd_at.spl import compile_search
from linux_auditd_at.spl.search_expr import compile_matcher

VALUES = ["at", "atd", "AT", "At", "later", "/usr/bin/at", "/usr/sbin/atd", "/usr/bin/cat", "root", "daemon",
          "SYSCALL", "EXECVE", "PATH", "execve", "write", "0", "10", "2751", "exec", "x y", "ät"]
KEYS = ["comm", "exe", "uid", "key", "a0", "name", "pid"]
ENRICHED = ["UID", "SYSCALL", "AUID", "EUID"]


def _encode(value: str, rng: random.Random) -> str:
    """How auditd may write a value: quoted, bare, or as upper-case hex."""
    choice = rng.random()
    if choice < 0.25 or " " in value:
        return value.encode().hex().upper()
    if choice < 0.6:
        return f'"{value}"'
    return value


def random_line(rng: random.Random) -> str:
    kind = rng.choice(["SYSCALL", "SYSCALL", "EXECVE", "PATH", "syscall"])
    keys = rng.sample(KEYS, rng.randint(1, len(KEYS)))
    pairs = [f"{key}={_encode(rng.choice(VALUES), rng)}" for key in keys]
    stamp = f"msg=audit(1795915736.{rng.randint(100, 999)}:{rng.randint(1, 99)}):"
    line = f"type={kind} {stamp} " + " ".join(pairs)
    if rng.random() < 0.7:
        enriched = rng.sample(ENRICHED, rng.randint(1, 4))
        line += "\x1d" + " ".join(f'{k}="{rng.choice(VALUES)}"' for k in enriched)
    return line


def random_term(rng: random.Random, depth: int) -> str:
    field = rng.choice(KEYS + ENRICHED + ["type", "host", "sourcetype"])
    value = rng.choice(VALUES + ["a*", "*at", "*", "at*d", "*bin*"])
    quoted = f'"{value}"'
    roll = rng.random()
    if depth < 2 and roll < 0.2:
        return f"({random_search(rng, depth + 1)})"
    if roll < 0.3:
        return f"NOT {random_term(rng, depth + 1)}"
    if roll < 0.45:
        return f"{field} IN ({quoted}, \"{rng.choice(VALUES)}\")"
    if roll < 0.55:
        return quoted  # a bare term
    if roll < 0.62:
        return f"{field}{rng.choice(['!=', '>', '<='])}{quoted}"
    if roll < 0.66:
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
    for _ in range(400):
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
    assert checked > 1000 and rejected > 1000  # the test exercised both directions


@pytest.mark.parametrize(("spl", "line", "kept"), [
    ("comm=at", 'type=SYSCALL comm="AT"', True),
    ("comm=at", "type=SYSCALL comm=4154", True),          # hex of "AT": case-insensitive match
    ("comm=at", "type=SYSCALL comm=6174", True),
    ("comm=at", 'type=SYSCALL comm="cron"', False),
    ("comm=at*", 'comm="atq"', True),
    ("comm=*bin*", 'comm="/usr/lib/x"', False),
    ("NOT comm=at", 'comm="cron"', True),                 # NOT constrains nothing
    ("sourcetype=linux:audit", "type=SYSCALL", True),     # metadata fields are not in the line
    ("host=web-01 comm=at", "comm=at", True),
    ("comm!=at", "anything", True),
    ("error", "an ERROR here", True),
    ("error", "no such word", False),
    ("comm=at OR pid>5", "nothing relevant", True),      # one OR branch constrains nothing
    ("comm=ät", "nothing relevant", True),               # non-ASCII values are not used
])
def test_prefilter_examples(spl, line, kept):
    keep = compile_search(spl).raw_prefilter()
    assert (keep is None or keep(line)) == kept


def test_no_prefilter_when_nothing_is_checkable():
    assert compile_search("sourcetype=linux:audit NOT UID=daemon").raw_prefilter() is None
    assert compile_search("* | stats count").raw_prefilter() is None
    assert compile_search("| search comm=at").raw_prefilter() is not None
