"""Field values as Splunk treats them: strings that may be numbers, multivalue lists, null.

Inside the engine a value is None, a str, a list of str (multivalue) or a number (`_time` is a
float epoch). Rows leave the engine as str / list[str] / None (`to_result`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import cast

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_HUGE = 10 ** 4000
_FLOAT = {float}
_TEXT = {str}


def values_of(value: object) -> list[object]:
    """The values of a field: [] when null, the list for a multivalue field, else [value]."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def format_number(number: int | float) -> str:
    """How Splunk prints a number: integral values without a fraction, others with the shortest
    repr that round-trips (`1795915736.369`). UNVERIFIED for very large or tiny floats and for
    trailing zeros of a fraction (`.060` prints as `.06`)."""
    if isinstance(number, float):
        return str(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)
    if abs(number) >= _HUGE:  # more digits than Python prints, and more than a double holds
        return "inf" if number > 0 else "-inf"
    return str(number)


def as_text(value: object) -> str:
    """One (single) value as the string Splunk would show."""
    if type(value) is str:
        return value
    if type(value) is float:  # `_time`
        return format_number(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def all_text(values: Iterable[object]) -> bool:
    """Whether every value is a str, told from the set of their types (no Python call per value)."""
    return {*map(type, values)} <= _TEXT


def as_texts(values: list[object]) -> list[str]:
    """`as_text` of each value; floats (stats' min/max of `_time`) without a call per value."""
    if {*map(type, values)} != _FLOAT:
        return [*map(as_text, values)]
    texts = [*map(repr, values)]  # format_number of a float with a fraction
    for index in itertools.compress(itertools.count(), map(float.is_integer, cast(list[float], values))):
        texts[index] = format_number(cast(float, values[index]))
    return texts


def to_number(value: object) -> int | float | None:
    """The value as a number when it is one (a number, or a string that spells one), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            return _spelled_number(text)
    return None


def _spelled_number(text: str) -> int | float:
    """An integer exactly, a fraction or exponent as a float; an integer too long for Python to
    convert (over 4,300 digits) as a float too, which is inf beyond 1.8e308, as a double is
    (UNVERIFIED: what Splunk makes of such a number is not documented)."""
    if _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:
            pass
    return float(text)


def sort_key(value: object) -> tuple:
    """Splunk's mixed ordering: numbers (numerically) before strings (byte order).

    Used by min/max (docs: "numbers are smaller than strings") and by `sort`.
    """
    number = to_number(value)
    if number is not None:
        return (0, number, "")
    return (1, 0, as_text(value))


def to_result(value: object) -> str | list[str] | None:
    """A value in the shape of Splunk's JSON results; a one-element multivalue becomes a str."""
    if value is None:
        return None
    if isinstance(value, list):
        texts = [as_text(v) for v in value]
        if not texts:
            return None
        return texts[0] if len(texts) == 1 else texts
    return as_text(value)
