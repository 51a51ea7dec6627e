"""Conversions: tonumber(x[, base]), tostring(x[, "hex"])."""

from __future__ import annotations

from linux_auditd_at.spl import ast
from linux_auditd_at.spl.eval_ops import scalar
from linux_auditd_at.spl.functions.registry import Kind, function
from linux_auditd_at.spl.values import as_text, to_number


@function("tonumber", 1, 2, Kind.VALUE)
def _tonumber(compiler, call):
    value = compiler.compile(call.args[0])
    base = compiler.compile(call.args[1]) if len(call.args) > 1 else None

    def convert(row):
        text = scalar(value(row))
        if text is None:
            return None
        if base is None:
            return to_number(text)
        radix = to_number(base(row))
        if not isinstance(radix, int) or not 2 <= radix <= 36:
            raise compiler.error("tonumber() base must be an integer from 2 to 36", call.pos)
        try:
            return int(as_text(text), radix)
        except ValueError:
            return None
    return convert


@function("tostring", 1, 2, Kind.VALUE)
def _tostring(compiler, call):
    value = compiler.compile(call.args[0])
    if len(call.args) == 1:
        return lambda row: None if (v := scalar(value(row))) is None else as_text(v)
    form = call.args[1]
    if not (isinstance(form, ast.Literal) and form.value == "hex"):
        raise compiler.error('tostring() supports only the "hex" format', form.pos)
    # UNVERIFIED: Splunk's hex prints upper-case digits with a 0x prefix.
    return lambda row: None if (n := to_number(scalar(value(row)))) is None else f"0x{int(n):X}"
