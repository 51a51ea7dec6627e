"""Text functions: lower, upper, len. A multivalue argument gives one result per value."""

from __future__ import annotations

from collections.abc import Callable

from linux_auditd_at.spl.functions.registry import Kind, function
from linux_auditd_at.spl.values import as_text


def each_value(name: str, apply: Callable[[str], object]) -> None:
    """Register `name(x)`: `apply` on the text of each value of x (null stays null)."""
    @function(name, 1, 1, Kind.VALUE)
    def build(compiler, call):
        arg = compiler.compile(call.args[0])

        def evaluate(row):
            value = arg(row)
            if value is None:
                return None
            if isinstance(value, list):
                return [apply(as_text(v)) for v in value]
            return apply(as_text(value))
        return evaluate


each_value("lower", str.lower)
each_value("upper", str.upper)
each_value("len", len)
