"""Splunk's result rows against the embedded engine's, field by field.

Both sides are normalised the way Splunk's JSON results present values: an absent field and None
are the same, and a one-element multivalue is the plain string. Fields whose name starts with `_`
(Splunk's internal fields) are left out. Rows are matched as a multiset: equal rows pair first,
then each remaining Splunk row pairs with the embedded row sharing the most field values, so a
single wrong value shows as one field difference rather than two unrelated rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Value = str | tuple[str, ...] | None


@dataclass(frozen=True)
class FieldDiff:
    """One field of one paired row whose value differs."""

    row: int
    field: str
    splunk: Value
    embedded: Value


@dataclass
class Comparison:
    """Paired rows' field differences and the rows one side has and the other lacks."""

    matched: int = 0
    field_diffs: list[FieldDiff] = field(default_factory=list)
    only_splunk: list[dict[str, Value]] = field(default_factory=list)
    only_embedded: list[dict[str, Value]] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (self.field_diffs or self.only_splunk or self.only_embedded)


def normalise(value: object) -> Value:
    """A result value as Splunk's JSON gives it: None, a string, or a tuple of 2+ strings."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        values = tuple(str(v) for v in value)
        if not values:
            return None
        return values[0] if len(values) == 1 else values
    return str(value)


def normalise_row(row: Mapping[str, object]) -> dict[str, Value]:
    """Public fields only, None-valued fields dropped, values normalised."""
    out: dict[str, Value] = {}
    for key, value in row.items():
        if key.startswith("_"):
            continue
        value = normalise(value)
        if value is not None:
            out[key] = value
    return out


def _similarity(a: dict[str, Value], b: dict[str, Value]) -> int:
    return sum(1 for key, value in a.items() if b.get(key) == value)


def compare_rows(splunk_rows: Iterable[Mapping[str, object]],
                 embedded_rows: Iterable[Mapping[str, object]]) -> Comparison:
    """Pair the rows of both sides and list what differs (the order of rows does not matter).

    `FieldDiff.row` is the 0-based position of the row in `splunk_rows`."""
    left = [normalise_row(r) for r in splunk_rows]
    right = [normalise_row(r) for r in embedded_rows]
    result = Comparison()
    unmatched = []
    for number, row in enumerate(left):
        if row in right:
            right.remove(row)
            result.matched += 1
        else:
            unmatched.append((number, row))
    for number, row in unmatched:
        best = max(range(len(right)), key=lambda i: _similarity(row, right[i]), default=None)
        if best is None or _similarity(row, right[best]) == 0:
            result.only_splunk.append(row)
            continue
        other = right.pop(best)
        result.field_diffs.extend(FieldDiff(number, key, row.get(key), other.get(key))
                                  for key in sorted(row.keys() | other.keys())
                                  if row.get(key) != other.get(key))
    result.only_embedded.extend(right)
    return result


def describe(comparison: Comparison, other: str = "embedded") -> list[str]:
    """Human-readable lines, one per difference; empty when both sides agree. `other` names what
    Splunk's rows were compared with (the embedded engine, or a dataset's expected rows)."""
    lines = [f"row {d.row}: field {d.field!r}: splunk={d.splunk!r} {other}={d.embedded!r}"
             for d in comparison.field_diffs]
    lines += [f"only in splunk: {row!r}" for row in comparison.only_splunk]
    lines += [f"only in {other}: {row!r}" for row in comparison.only_embedded]
    return lines
