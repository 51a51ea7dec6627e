"""Evaluating a search expression against one event or row.

- `field=value`: string match, case-insensitive unless CASE(value); `*` is a wildcard, also when
  the value was quoted. A missing field never matches. A CIDR value (`10.0.0.0/8`, `fe80::/10`)
  matches the addresses inside the block (see `cidr`), not the text. Multivalue: any value may match
  (UNVERIFIED, Splunk-like).
- `field!=value`: the field exists and no value matches (so `NOT f=v` keeps events without `f`,
  `f!=v` does not). For multivalue fields "no value matches" is UNVERIFIED.
- `< <= > >=`: numeric when both sides are numbers, else lower-cased string order (UNVERIFIED).
- A bare term matches `_raw` case-insensitively where it stands between breakers: the characters
  around a match must be a breaker or the start/end of `_raw`. Breakers are whitespace, control
  characters (e.g. auditd's 0x1d), Splunk's major breakers `[]<>(){}|!;,'"*&?+` and minor
  breakers `/:=@.-$#%\\_`, so `bin` matches `/usr/bin/at` as in Splunk's segmentation. `*` in a
  bare term matches any run without whitespace or major breakers. This approximates Splunk's
  segmenters.conf; TERM(x) is treated as a plain bare term. Without `_raw` (after stats) only
  `*` matches.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable
from typing import TypeGuard, TypeVar

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.cidr import in_block, parse_cidr
from linux_auditd_at.spl.values import as_text, to_number, values_of

Matcher = Callable[[dict], bool]

_MAJOR = r"\s\x00-\x1f\[\]<>(){}|!;,'\"*&?+"
_MINOR = r"/:=@.\-$#%\\_"
_BREAK = _MAJOR + _MINOR
_MAJOR_CHARACTER = re.compile(f"[{_MAJOR}]")
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def glob_body(text: str, gap: str, *, atomic: bool = True, wildcard: str = "*",
              escape: Callable[[str], str] = re.escape) -> str:
    """The regex body of a `*` pattern, each `*` a run of `gap` (a character class or `.`); eval's
    LIKE passes `wildcard="%"` and an `escape` that makes `_` one character (fixed-length parts).

    With `atomic`, each part between two `*` is an atomic group `(?>gap*?part)`: taken at its
    first occurrence and never retried, so `*a*a*a*b` on a long value is one pass, not a
    backtrack through every way of splitting it. The first occurrence is always a right choice
    when the text of a part may also stand in a gap (any `.`, or a part without a character the
    gap excludes); pass `atomic=False` otherwise (backtracking, polynomial in the value's length)."""
    if wildcard not in text:
        return escape(text)
    first, *middle, last = (escape(part) for part in text.split(wildcard))
    inner = "".join(f"(?>{gap}*?{part})" if atomic else f"{gap}*{part}" for part in middle)
    return f"{first}{inner}{gap}*{last}"


def wildcard_regex(value: str, case_sensitive: bool) -> re.Pattern:
    """A whole-value pattern (for fullmatch); `*` matches any run of characters, in linear time."""
    body = glob_body(value, ".")
    return re.compile(body, re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


def matches_everything(expr: tree.SearchExpr | None) -> bool:
    """Whether the expression keeps every row whatever its fields: none (an empty search) or a
    bare term of stars alone (`search *`, rows without `_raw` included)."""
    return expr is None or (isinstance(expr, tree.BareTerm) and expr.text.strip("*") == "")


def compile_matcher(expr: tree.SearchExpr | None) -> Matcher:
    """A predicate for one search expression (None, an empty search, matches everything)."""
    if matches_everything(expr):
        return lambda row: True
    match expr:
        case tree.And(items):
            return each_or_any([compile_matcher(item) for item in items], every=True)
        case tree.Or(items):
            if (table := _value_table(expr)) is not None:
                return table
            return each_or_any([compile_matcher(item) for item in items], every=False)
        case tree.Not(item):
            inner = compile_matcher(item)
            return lambda row: not inner(row)
        case tree.FieldIn(field, values) if not any("*" in value or parse_cidr(value) for value in values):
            return _one_of(field, frozenset(value.lower() for value in values))
        case tree.FieldIn(field, values):
            return compile_matcher(tree.Or(tuple(tree.FieldCompare(field, "=", v) for v in values)))
        case tree.FieldCompare():
            return _field_compare(expr)
        case tree.BareTerm():
            return _bare_term(expr)
        case _:
            raise TypeError(f"not a search expression: {expr!r}")


def _is_plain(term: tree.SearchExpr) -> TypeGuard[tree.FieldCompare]:
    return (isinstance(term, tree.FieldCompare) and term.op == "=" and not term.case_sensitive
            and "*" not in term.value and "/" not in term.value)


def _plain_terms(item: tree.SearchExpr) -> tuple[tree.FieldCompare, ...] | None:
    """The `f=v` terms of an item that is one or an AND of them, each a plain value (no `*`, no
    `/` that could make it a CIDR range, not CASE()); else None."""
    terms = item.items if isinstance(item, tree.And) else (item,)
    plain = tuple(filter(_is_plain, terms))
    return plain if plain and len(plain) == len(terms) else None


def _value_table(expr: tree.Or) -> Matcher | None:
    """An OR of many plain `f=v` terms or ANDs of them (what a subsearch's rows become) as set
    lookups: per set of fields, the lower-cased value combinations. The same answers as testing
    each term (case-insensitive equality; a multivalue field matches when any value does; a
    missing field matches nothing), in one probe per field set instead of one test per row."""
    if len(expr.items) < 8:
        return None
    groups: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for item in expr.items:
        terms = _plain_terms(item)
        if terms is None:
            return None
        pairs = sorted({(t.field, t.value.lower()) for t in terms})
        fields = tuple(field for field, _ in pairs)
        if len(set(fields)) != len(fields):  # f=a AND f=b: only a multivalue f matches; test it term by term
            return None
        groups.setdefault(fields, set()).add(tuple(value for _, value in pairs))

    def matches(row: dict) -> bool:
        for fields, combinations in groups.items():
            values = [[as_text(v).lower() for v in values_of(row.get(name))] for name in fields]
            if any(combination in combinations for combination in itertools.product(*values)):
                return True
        return False
    return matches


Tested = TypeVar("Tested")


def each_or_any(parts: list[Callable[[Tested], object]], every: bool) -> Callable[[Tested], bool]:
    """AND (every part is true of the value) or OR (some part is), trying the parts in order; a
    loop, not a generator (rows and raw lines are tested millions of times)."""
    def all_match(row: Tested) -> bool:
        for part in parts:
            if not part(row):
                return False
        return True

    def any_matches(row: Tested) -> bool:
        for part in parts:
            if part(row):
                return True
        return False
    return all_match if every else any_matches


def _one_of(name: str, lowered: frozenset[str]) -> Matcher:
    """`name IN (...)` without wildcards or CIDR blocks: some value equals one of them, without
    case."""
    def test(row: dict) -> bool:
        value = row.get(name)
        if type(value) is str:
            return value.lower() in lowered
        return any(as_text(v).lower() in lowered for v in values_of(value))
    return test


def _value_equals(value: str, case_sensitive: bool) -> Callable[[object], bool]:
    if network := parse_cidr(value):
        return lambda v: in_block(network, as_text(v))
    if "*" in value:
        pattern = wildcard_regex(value, case_sensitive)
        return lambda v: pattern.fullmatch(as_text(v)) is not None
    if case_sensitive:
        return lambda v: as_text(v) == value
    lowered = value.lower()
    return lambda v: as_text(v).lower() == lowered


def _field_compare(expr: tree.FieldCompare) -> Matcher:
    name = expr.field
    if expr.op in ("=", "!="):
        if expr.value == "*":
            present = lambda row: bool(values_of(row.get(name)))  # noqa: E731
            return present if expr.op == "=" else (lambda row: False)
        equals = _value_equals(expr.value, expr.case_sensitive)
        if expr.op == "=":
            def any_equal(row: dict) -> bool:
                value = row.get(name)
                if type(value) is str:  # the common case, without building a list
                    return equals(value)
                return any(equals(v) for v in values_of(value))
            return any_equal
        return lambda row: bool(vs := values_of(row.get(name))) and not any(equals(v) for v in vs)
    compare = _ORDER[expr.op]
    number = to_number(expr.value)
    text = expr.value.lower()

    def ordered(v: object) -> bool:
        left = to_number(v)
        if number is not None and left is not None:
            return compare(left, number)
        return compare(as_text(v).lower(), text)

    return lambda row: any(ordered(v) for v in values_of(row.get(name)))


def bare_term_regex(text: str, case_sensitive: bool = False) -> re.Pattern:
    """Where `text` stands between breakers; searched in `_raw` (lower-cased unless case-sensitive).

    A term with `*` and no major breaker in its text matches in linear time: each run between
    major breakers is tried once, from the first place in it where the term can start (a later
    start in the same run can only reach less), with glob_body's first-occurrence parts."""
    text = text if case_sensitive else text.lower()
    gap = f"[^{_MAJOR}]"
    if "*" not in text or _MAJOR_CHARACTER.search(text.replace("*", "")):
        body = f"(?<![^{_BREAK}]){glob_body(text, gap, atomic=False)}"
    else:
        first, rest = text.split("*", 1)
        body = f"(?<!{gap})(?>{gap}*?(?<![^{_BREAK}]){re.escape(first)}){glob_body(f'*{rest}', gap)}"
    return re.compile(f"{body}(?![^{_BREAK}])", re.DOTALL)


def _bare_term(expr: tree.BareTerm) -> Matcher:
    pattern = bare_term_regex(expr.text, expr.case_sensitive)
    fold = (lambda raw: raw) if expr.case_sensitive else str.lower
    return lambda row: isinstance(raw := row.get("_raw"), str) and pattern.search(fold(raw)) is not None
