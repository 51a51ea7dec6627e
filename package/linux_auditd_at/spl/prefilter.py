"""A fast test on the raw log line, derived from the first search stage, that never rejects a
line whose event the search would match.

Soundness rests on how the audit reader (`audit/record.py`) builds an event: `_raw` is the line,
and every other field except the metadata ones below (and `_`-prefixed ones) comes from a key
that stands at the start of the line or after whitespace, 0x1d, `#035` or `'`, spelled as the
field name with `_` written `_` or `-`, then `=`, then the value either as `"value"` or bare,
ending at whitespace, 0x1d, `#035`, a quote or the end of the line. Hex-encoded values
(`comm=6174`) are kept as the hex text, so the search sees `6174` and `comm=at` cannot match
them: no hex form is needed.

Rules, on the lower-cased line (ASCII lines only: every line holding another character passes,
because Unicode case rules, e.g. `ſ` matching `s` under IGNORECASE, break "lower-case both"):
- `f=v` (and each `f IN (...)` value): `f=` (name matched without case, weaker than the search)
  then `v`, quoted or bare; a `*` in v matches any run without `"`, and v's ends anchor at `=`/`"`
  and at the value's end unless they are `*`. `f=*` and a CIDR v (`f=10.0.0.0/8`) need `f=`. A
  non-ASCII v constrains nothing.
- a bare term: the search's own breaker pattern (`search_expr.bare_term_regex`), which is what
  the search runs on the lower-cased `_raw`.
- AND needs all parts, OR any part; NOT, `!=`, `< > <= >=` and metadata fields (sourcetype, host,
  source, index, ...) constrain nothing.

The returned `Prefilter` is the test (`keep`, also its call) with `necessary`: a compiled regex
that every ASCII line it accepts holds in its lower-cased text (the reader's block fast path).
For an AND it is the most selective part, for an OR one alternation; field terms sharing text in
their values start with that literal and check the key with look-behinds (Python's `re` scans for
a leading literal fast). It also holds `needles`, the same alternatives as data `(key, pieces,
lead, trail)` (key None: a bare term's literal anywhere), for a multi-pattern scanner
(audit/scan.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, NamedTuple, TypeAlias

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.cidr import parse_cidr
from linux_auditd_at.spl.search_expr import bare_term_regex, each_or_any
from linux_auditd_at.structs import Struct

NOT_IN_RAW = frozenset({"host", "source", "sourcetype", "index", "splunk_server", "eventtype", "tag",
                        "linecount", "punct", "timestartpos", "timeendpos"})

# Classes spelled out (\x1c-\x1f are whitespace to a str pattern, not to a bytes one), so the
# `necessary` pattern means the same on the bytes of a block (audit/scan.py) as on a line.
_NOT_KEY_START = r"[^\s\x1c-\x1f']"  # a key stands at the line start or after one of these, or #035
_ESCAPED_SEPARATOR = "#035"
_VALUE_END = r"""(?=[\s\x1c-\x1f'"]|#035|$)"""
_GAP = '[^"\n]*'  # within a value, never past the line
_ANCHOR_MIN = 2  # a shorter common literal is too frequent to scan for
_ANCHOR_MAX = 16


class Field(NamedTuple):
    """`key=value` with the value's `*`-free pieces; `lead`/`trail`: v does not start/end with `*`."""

    key: str  # regex for the lower-cased key
    pieces: tuple[str, ...]
    lead: bool
    trail: bool

    def source(self, key_start: bool) -> str:
        """Led by the key's literal (Python's `re` scans fast for a leading literal)."""
        start = _key_starts(f"{self.key}=") if key_start else ""
        return f'{self.key}={start}"?' + self.value_source()

    def value_source(self, skip: int = 0) -> str:
        """The value pattern after `=`/`="`, from character `skip` of the first piece on."""
        if not self.pieces:
            return ""
        body = _GAP.join(re.escape(p) for p in (self.pieces[0][skip:], *self.pieces[1:]))
        body = body if self.lead else _GAP + body
        return body + _VALUE_END if self.trail else body


class Bare(NamedTuple):
    """A bare term, matched against `_raw`."""

    text: str

    def literal(self) -> str:
        return max(self.text.lower().split("*"), key=len)


class Combined(Struct):
    """All (AND) or any (OR) of two or more terms."""

    kind: Literal["all", "any"]
    parts: tuple[Term, ...]


Term: TypeAlias = Field | Bare | Combined
Requirement: TypeAlias = Literal[True] | Term  # True: anything passes
Needle: TypeAlias = tuple[str | None, tuple[str, ...], bool, bool]


class Prefilter(Struct):
    """The test on a raw line (`keep`, also the instance's call) and what it announces for the
    reader's block fast path: `necessary` and `needles` (see the module docstring)."""

    keep: Callable[[str], bool]
    necessary: re.Pattern[str]
    needles: tuple[Needle, ...]

    def __call__(self, line: str) -> bool:
        return self.keep(line)


def _key_pattern(name: str) -> str:
    """auditd keys: `-` is read as `_` (old-auid -> old_auid), so a `_` after the first char may be either."""
    lowered = name.lower()
    return re.escape(lowered[:1]) + "".join("[_-]" if c == "_" else re.escape(c) for c in lowered[1:])


def _field(name: str, value: str) -> Requirement:
    if not value.isascii():
        return True
    if parse_cidr(value):  # an address in the block, spelled in no fixed way: only the key counts
        return Field(_key_pattern(name), (), False, False)
    lowered = value.lower()
    pieces = tuple(p for p in lowered.split("*") if p)
    return Field(_key_pattern(name), pieces, not lowered.startswith("*"), not lowered.endswith("*"))


def _in_raw(name: str) -> bool:
    return not name.startswith("_") and name not in NOT_IN_RAW and not name.startswith("date_")


def _combine(kind: Literal["all", "any"], parts: list[Term]) -> Term:
    flat: list[Term] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Combined) and part.kind == kind else [part])
    flat = list(dict.fromkeys(flat))
    return flat[0] if len(flat) == 1 else Combined(kind, tuple(flat))


def requirement(expr: tree.SearchExpr) -> Requirement:
    """What the raw line must contain for the expression to possibly match."""
    if isinstance(expr, tree.And | tree.Or):
        parts = [requirement(item) for item in expr.items]
        terms = [p for p in parts if p is not True]
        if isinstance(expr, tree.And):
            return _combine("all", terms) if terms else True
        return True if len(terms) < len(parts) else _combine("any", terms)
    if isinstance(expr, tree.FieldCompare) and expr.op == "=" and _in_raw(expr.field):
        return _field(expr.field, expr.value)
    if isinstance(expr, tree.FieldIn) and _in_raw(expr.field):
        return requirement(tree.Or(tuple(tree.FieldCompare(expr.field, "=", v) for v in expr.values)))
    if isinstance(expr, tree.BareTerm) and expr.text.strip("*"):
        return Bare(expr.text)
    return True


def _compile(req: Term) -> Callable[[str], object]:
    """The test on a lower-cased ASCII line (truthy when kept); an OR of field terms is one pattern."""
    match req:
        case Field():
            return re.compile(_anchored([req], key_start=True), re.DOTALL).search
        case Bare():
            literal, pattern = req.literal(), bare_term_regex(req.text)
            return lambda line: literal in line and pattern.search(line)
        case Combined("any", body) if all(isinstance(part, Field) for part in body):
            return re.compile(_anchored([part for part in body if isinstance(part, Field)], key_start=True),
                              re.DOTALL).search
        case Combined(kind, body):
            return each_or_any([_compile(part) for part in body], every=kind == "all")


def _score(req: Term) -> int:
    """A guess at how rare the text a requirement needs is: its longest literal. Record types
    (`type=`) come last: a few dozen values, each on many lines."""
    match req:
        case Field():
            return 0 if req.key == "type" else max(map(len, req.pieces), default=0)
        case Bare():
            return len(req.literal())
        case Combined(kind, body):
            scores = [_score(part) for part in body]
            return max(scores) if kind == "all" else min(scores)


def _common_text(texts: list[str]) -> str:
    """The longest text (up to _ANCHOR_MAX characters: plenty to scan for, and it bounds the work
    for long IN lists) contained in all of `texts`."""
    first = min(texts, key=len)
    for size in range(min(len(first), _ANCHOR_MAX), 0, -1):
        for start in range(len(first) - size + 1):
            candidate = first[start:start + size]
            if all(candidate in text for text in texts):
                return candidate
    return ""


def _key_starts(before: str) -> str:
    """Looking back from here, `before` (a key, `=` and what follows) starts where a key can."""
    return f"(?:(?<!{_NOT_KEY_START}{before})|(?<={_ESCAPED_SEPARATOR}{before}))"


def _after_key(key: str, text: str, key_start: bool) -> str:
    found = f"(?<={key}={text})"
    return found + _key_starts(f"{key}={text}") if key_start else found


def _anchored(fields: list[Field], key_start: bool) -> str:
    """One pattern for an OR of field terms, led by a literal all their values contain when
    there is one: `at(?<=[="/]at)(?:(?<=comm=at)|(?<=comm="at)|(?<=exe=/usr/bin/at)|...)...`."""
    common = _common_text([f.pieces[0] for f in fields]) if all(f.lead and f.pieces for f in fields) else ""
    if len(common) < _ANCHOR_MIN:
        return "|".join(f"(?:{f.source(key_start)})" for f in fields)
    branches: list[str] = []
    preceding: set[str] = set()
    for f in fields:
        at = f.pieces[0].index(common)
        preceding.update(f.pieces[0][at - 1] if at else '="')
        end = at + len(common)
        before = re.escape(f.pieces[0][:end])
        after_key = f'{_after_key(f.key, before, key_start)}|{_after_key(f.key, chr(34) + before, key_start)}'
        branches.append(f"(?:{after_key})" + f.value_source(end))
    anchor = re.escape(common)
    quick = "".join(re.escape(char) for char in sorted(preceding))  # rejects most hits in one step
    return f"{anchor}(?<=[{quick}]{anchor})(?:{'|'.join(branches)})"


def _alternatives(req: Term) -> list[Field | Bare]:
    """Terms one of which every ASCII line meeting `req` holds: for an AND the most selective
    part's, for an OR all parts'."""
    match req:
        case Combined("all", body):
            return _alternatives(max(body, key=_score))
        case Combined(_, body):
            return [term for part in body for term in _alternatives(part)]
        case _:
            return [req]


def _necessary(terms: list[Field | Bare]) -> str:
    """A pattern every lower-cased ASCII line holding one of `terms` holds."""
    fields = [term for term in terms if isinstance(term, Field)]
    parts = [re.escape(term.literal()) for term in terms if isinstance(term, Bare)]
    if fields:
        parts.insert(0, _anchored(fields, key_start=False))
    return parts[0] if len(parts) == 1 else "|".join(f"(?:{part})" for part in parts)


def _needle(term: Field | Bare) -> Needle:
    if isinstance(term, Bare):
        return None, (term.literal(),), False, False
    return term.key, term.pieces, term.lead, term.trail


def build_prefilter(expr: tree.SearchExpr | None) -> Prefilter | None:
    """The predicate on a raw line (None when the search constrains nothing checkable), with its
    `necessary` pattern and `needles`."""
    req = requirement(expr) if expr is not None else True
    if req is True:
        return None
    test = _compile(req)

    def keep(line: str) -> bool:
        return not line.isascii() or bool(test(line.lower()))

    terms = _alternatives(req)
    return Prefilter(keep, re.compile(_necessary(terms), re.DOTALL), tuple(map(_needle, terms)))
