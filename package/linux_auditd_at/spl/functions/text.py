"""Text functions (Search Reference, "Text functions"). A multivalue argument gives one result
per value for lower, upper, len, trim, ltrim, rtrim, replace and urldecode; substr uses the first
value.

- trim/ltrim/rtrim(s[, chars]): remove the characters in `chars` (default space and tab) from
  both ends / the left / the right.
- replace(s, "regex", "replacement"): every PCRE match replaced; `\\1`..`\\9` in the replacement
  are groups.
- substr(s, start[, length]): 1-based; a negative start counts from the end (`substr("abc", -2)`
  is "bc"); start 0 acts as 1 (UNVERIFIED).
- urldecode(s): `%XX` escapes decoded as UTF-8; `+` stays `+` (UNVERIFIED).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from linux_auditd_at.spl.eval_ops import scalar
from linux_auditd_at.spl.functions.conditional import guarded, literal_regex
from linux_auditd_at.spl.functions.registry import Kind, function
from linux_auditd_at.spl.values import as_text, to_number, values_of


def each_value(name: str, apply: Callable[..., object], extra: int = 0) -> None:
    """Register `name(x[, a ...])`: `apply(text, *a)` on the text of each value of x (null stays
    null); the `extra` optional arguments are evaluated per row and passed as text."""
    @function(name, 1, 1 + extra, Kind.VALUE)
    def build(compiler, call):
        arg, rest = compiler.compile(call.args[0]), [compiler.compile(a) for a in call.args[1:]]

        def evaluate(row):
            value = arg(row)
            options = [scalar(o(row)) for o in rest]
            if value is None or None in options:
                return None
            options = [as_text(o) for o in options]
            if isinstance(value, list):
                return [apply(as_text(v), *options) for v in value]
            return apply(as_text(value), *options)
        return evaluate


each_value("lower", str.lower)
each_value("upper", str.upper)
each_value("len", len)
each_value("trim", lambda text, chars=" \t": text.strip(chars), extra=1)
each_value("ltrim", lambda text, chars=" \t": text.lstrip(chars), extra=1)
each_value("rtrim", lambda text, chars=" \t": text.rstrip(chars), extra=1)
each_value("urldecode", unquote)


@function("replace", 3, 3, Kind.VALUE)
def _replace(compiler, call):
    arg, template = compiler.compile(call.args[0]), compiler.compile(call.args[2])
    from linux_auditd_at.spl.regex import substitute

    regex = literal_regex(compiler, call, 1)
    replace = guarded(compiler, call.args[1].pos, substitute)

    def evaluate(row):
        value, replacement = arg(row), scalar(template(row))
        if value is None or replacement is None:
            return None
        texts = [replace(regex, as_text(replacement), as_text(v)) for v in values_of(value)]
        return texts if isinstance(value, list) else texts[0]
    return evaluate


def _substring(text: str, start: int, length: int | None) -> str:
    begin = max(len(text) + start, 0) if start < 0 else max(start - 1, 0)
    return text[begin:] if length is None else text[begin:begin + max(length, 0)]


@function("substr", 2, 3, Kind.VALUE)
def _substr(compiler, call):
    arg, start = compiler.compile(call.args[0]), compiler.compile(call.args[1])
    length = compiler.compile(call.args[2]) if len(call.args) > 2 else None

    def evaluate(row):
        value, begin = scalar(arg(row)), to_number(scalar(start(row)))
        count = to_number(scalar(length(row))) if length else None
        if value is None or not isinstance(begin, int) or (length and not isinstance(count, int)):
            return None
        return _substring(as_text(value), begin, count)
    return evaluate
