"""Conversions (Search Reference, "Conversion functions" and "Mathematical functions"):

- tonumber(x[, base]); tostring(x[, "hex"|"commas"|"duration"]): "hex" upper-case digits after
  `0x` (UNVERIFIED); "commas" groups thousands and rounds to two decimals (`12,345.68`), an
  integer gets no decimals; "duration" prints seconds as `HH:MM:SS`, with `D+` in front from one
  day on (`1+02:03:04`, UNVERIFIED).
- round(x[, digits]): half away from zero (`round(2.5)` is 3), `digits` decimals (default 0).
"""

from __future__ import annotations

import math

from linux_auditd_at.spl import tree
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
    if not (isinstance(form, tree.Literal) and form.value in _FORMATS):
        raise compiler.error('tostring() formats are "hex", "commas" and "duration"', form.pos)
    render = _FORMATS[form.value]
    return lambda row: None if (n := to_number(scalar(value(row)))) is None or _infinite(n) else render(n)


def _infinite(number: int | float) -> bool:
    """A number no format can print (one written with more digits than a double holds)."""
    return isinstance(number, float) and math.isinf(number)


def _commas(number: int | float) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{_half_up(number, 2):,.2f}"


def _duration(number: int | float) -> str:
    days, seconds = divmod(int(number), 86400)
    clock = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{days}+{clock}" if days else clock


_FORMATS = {"hex": lambda n: f"0x{int(n):X}", "commas": _commas, "duration": _duration}


def _half_up(number: int | float, digits: int) -> int | float:
    from decimal import ROUND_HALF_UP, Decimal  # only for round()

    exact = Decimal(str(number)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(exact) if digits <= 0 else float(exact)


@function("round", 1, 2, Kind.VALUE)
def _round(compiler, call):
    value = compiler.compile(call.args[0])
    digits = compiler.compile(call.args[1]) if len(call.args) > 1 else (lambda row: 0)

    def evaluate(row):
        number, places = to_number(scalar(value(row))), to_number(scalar(digits(row)))
        if number is None or not isinstance(places, int):
            return None
        return number if _infinite(number) else _half_up(number, places)
    return evaluate
