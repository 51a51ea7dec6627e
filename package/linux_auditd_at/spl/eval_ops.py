"""Eval's operations on values, shared by the expression compiler and the eval functions.

Null propagates; a multivalue operand of a comparison matches if any value does; arithmetic and
string functions of one value use a multivalue field's first value (UNVERIFIED, see eval_expr).
"""

from __future__ import annotations

import operator
import re

from linux_auditd_at.spl.search_expr import glob_body
from linux_auditd_at.spl.values import as_text, to_number, values_of

ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
         "=": operator.eq, "==": operator.eq, "!=": operator.ne}


def scalar(value: object) -> object:
    """A single value: the first value of a multivalue field, null for an empty one."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def compare(op: str, left: object, right: object) -> bool | None:
    """`left op right` by eval's rules; multivalue on either side matches if any value does."""
    if left is None or right is None:
        return None
    if isinstance(left, list) or isinstance(right, list):
        pairs = [(a, b) for a in values_of(left) for b in values_of(right)]
        return any(compare(op, a, b) for a, b in pairs) if pairs else None
    a, b = to_number(left), to_number(right)
    if a is not None and b is not None:
        return ORDER[op](a, b)
    return ORDER[op](as_text(left), as_text(right))


def like_regex(pattern: str) -> re.Pattern:
    """SQL LIKE: `%` any run, `_` one character; case-sensitive, whole value. Matches in linear
    time, as `*` patterns do (search_expr.glob_body): `%a%a%a%b` on a long value is one pass."""
    return re.compile(glob_body(pattern, ".", wildcard="%", escape=_like_part), re.DOTALL)


def _like_part(text: str) -> str:
    return "".join("." if c == "_" else re.escape(c) for c in text)


def like(value, pattern) -> bool | None:
    if value is None or pattern is None:
        return None
    regex = like_regex(as_text(scalar(pattern)))
    return any(regex.fullmatch(as_text(v)) is not None for v in values_of(value))


def in_list(value, options) -> bool | None:
    if value is None:
        return None
    return any(compare("=", value, option) for option in options if option is not None)


def arithmetic(op: str, a, b):
    if a is None or b is None:
        return None
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        return None
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        return None
    if op == "%":
        return x % y
    if isinstance(x, int) and isinstance(y, int) and x % y == 0:
        return x // y
    return x / y
