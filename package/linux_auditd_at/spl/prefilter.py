"""A fast test on the raw log line, derived from the first search stage, that never rejects a
line whose event the search would match.

Soundness rests on one contract with the audit reader: every field except the metadata ones
below (and `_`-prefixed ones) has a value that appears in the raw line either as written
(quotes stripped) or as auditd's upper-case hex encoding of its UTF-8 bytes (`comm=6174`).

Rules, on the lower-cased line:
- `f=v` (and each `f IN (...)` value): each `*`-free piece of v appears, or its hex form appears
  (every letter may be either case, since values match case-insensitively). Non-ASCII values
  are not used (case folding could change their bytes).
- a bare term: each `*`-free piece appears (bare terms only match `_raw`).
- AND needs all parts, OR any part; NOT, `!=`, `< > <= >=`, `f=*` and metadata fields
  (sourcetype, host, source, index, ...) constrain nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from linux_auditd_at.spl import ast

NOT_IN_RAW = frozenset({"host", "source", "sourcetype", "index", "splunk_server", "eventtype", "tag",
                        "linecount", "punct", "timestartpos", "timeendpos"})

# A requirement is True (anything passes), ("piece", text, allow_hex), ("all", (...)) or ("any", (...)).
Requirement = object


def _hex_pattern(piece: str) -> str:
    """Regex for the hex encoding of `piece` in any letter case, as it appears lower-cased."""
    parts = []
    for char in piece:
        variants = sorted({char.lower().encode().hex(), char.upper().encode().hex()})
        parts.append(variants[0] if len(variants) == 1 else f"(?:{'|'.join(variants)})")
    return "".join(parts)


def _value_requirement(value: str, allow_hex: bool) -> Requirement:
    pieces = [p.lower() for p in value.split("*") if p]
    if not pieces or not value.isascii():
        return True
    needs = [("piece", piece, allow_hex) for piece in pieces]
    return needs[0] if len(needs) == 1 else ("all", tuple(needs))


def _in_raw(name: str) -> bool:
    return not name.startswith("_") and name not in NOT_IN_RAW and not name.startswith("date_")


def _combine(kind: str, parts: list) -> Requirement:
    """Flatten nested all/all and any/any; in an `any`, drop a piece another piece implies
    (`atd` contains `at`, so `at OR atd` needs only `at`)."""
    flat = []
    for part in parts:
        flat.extend(part[1] if part[0] == kind else [part])
    if kind == "any":
        pieces = [p for p in flat if p[0] == "piece"]
        flat = [p for p in flat if p[0] != "piece" or not any(
            q is not p and q[1] in p[1] and (q[2] or not p[2]) and (q[1], q[2]) != (p[1], p[2])
            for q in pieces)]
        flat = list(dict.fromkeys(flat))
    return flat[0] if len(flat) == 1 else (kind, tuple(flat))


def requirement(expr) -> Requirement:
    """What the raw line must contain for the expression to possibly match."""
    if isinstance(expr, ast.And | ast.Or):
        parts = [requirement(item) for item in expr.items]
        if isinstance(expr, ast.And):
            parts = [p for p in parts if p is not True]
            return _combine("all", parts) if parts else True
        return True if any(p is True for p in parts) else _combine("any", parts)
    if isinstance(expr, ast.FieldCompare) and expr.op == "=" and _in_raw(expr.field):
        return _value_requirement(expr.value, allow_hex=True)
    if isinstance(expr, ast.FieldIn) and _in_raw(expr.field):
        return requirement(ast.Or(tuple(ast.FieldCompare(expr.field, "=", v) for v in expr.values)))
    if isinstance(expr, ast.BareTerm):
        return _value_requirement(expr.text, allow_hex=False)
    return True


def _compile(req: Requirement) -> Callable[[str], bool]:
    kind, body = req[0], req[1]
    if kind == "piece" or (kind == "any" and all(part[0] == "piece" for part in body)):
        pieces = [req] if kind == "piece" else body
        plain = [piece[1] for piece in pieces]
        hexes = [_hex_pattern(piece[1]) for piece in pieces if piece[2]]
        hex_search = re.compile("|".join(hexes)).search if hexes else None
        if hex_search is None:
            return lambda line: any(text in line for text in plain)
        return lambda line: any(text in line for text in plain) or hex_search(line) is not None
    parts = [_compile(part) for part in body]
    if kind == "all":
        return lambda line: all(part(line) for part in parts)
    return lambda line: any(part(line) for part in parts)

def build_prefilter(expr) -> Callable[[str], bool] | None:
    """The predicate on a raw line (None when the search constrains nothing checkable)."""
    req = requirement(expr) if expr is not None else True
    if req is True:
        return None
    test = _compile(req)
    return lambda line: test(line.lower())
