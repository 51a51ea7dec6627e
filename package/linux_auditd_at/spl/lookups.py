"""Lookup tables as the `lookup` and `inputlookup` commands see them, and how a row matches.

The engine reads no files: the caller passes a resolver, `Lookups = Callable[[str], LookupTable]`,
that turns the name a search gives (`at_allowlist`, `at_allowlist.csv`) into a table, reads each
file once per run, and raises a ToolkitError naming the lookup and the places it looked.

Matching follows transforms.conf (Knowledge Manager Manual, "Add field matching rules to your
lookup configuration"; transforms.conf.spec):
- `case_sensitive_match` (default true): false compares every input field without case.
- `match_type = WILDCARD(f)`: `*` in the table's `f` cells matches any run of characters;
  `CIDR(f)`: the `f` cells are IPv4/IPv6 subnets (a bare address is a one-address subnet) and an
  event value matches when it is an address inside one. Other fields match exactly.
- `max_matches` (default 100, 1..1000): the first that many matching rows, in file order (the
  docs' "matches closest to the lookup value" for CIDR when more match is UNVERIFIED and not
  done: file order throughout).
- `min_matches` (default 0) with `default_match`: when fewer rows match, each output field gets
  `default_match` instead (UNVERIFIED: the docs say it is given "one or more times until
  min_matches"; we give it once per output field).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property, partial
from operator import itemgetter, methodcaller

from linux_auditd_at.spl.cidr import in_block
from linux_auditd_at.spl.search_expr import wildcard_regex
from linux_auditd_at.structs import Struct, field

Cells = dict[str, str]


class CsvText(Sequence):
    """The records of CSV text without double quotes (cells never hold a comma or a line
    break), each split into cells on first use: a filter that looks up a few rows of a large
    table does not split the others. `find` locates the records whose cell equals a value with
    a scan of the text for the value followed by each of the characters that can end a cell."""

    FIND_LINES = 1000

    def __init__(self, text: str, width: int):
        self.text = (text.replace("\r\n", "\n") if "\r" in text else text).rstrip("\n")
        self.size = self.text.count("\n") + 1 if self.text else 0
        self.width = width
        self.ascii = self.text.isascii()
        self.lowered: str | None = None

    @cached_property
    def lines(self) -> list[str]:
        """Each record's text, split on first use: lookups that `find` no record never split."""
        return self.text.split("\n") if self.text else []

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, number):
        if isinstance(number, slice):
            return [self[n] for n in range(*number.indices(len(self)))]
        cells = self.lines[number].split(",")
        return cells if len(cells) == self.width else (cells + [""] * self.width)[:self.width]

    def find(self, column: int, value: str, case_sensitive: bool) -> list[int] | None:
        """Numbers of the records whose cell `column` equals `value`, in file order, found with
        `str.find` over the text; None when that is not the cheap way (folding non-ASCII text, or
        the value ends a cell in more than FIND_LINES places)."""
        if not case_sensitive and not (self.ascii and value.isascii()):
            return None
        text = self.text
        if not case_sensitive:
            self.lowered = text = self.lowered if self.lowered is not None else self.text.lower()
            value = value.lower()
        hits = self._cell_ends(text, value)
        if hits is None:
            return None
        numbers, line, counted, end = [], 0, 0, -1
        for at in hits:
            if at < end:
                continue  # its record is checked
            start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
            end = len(text) if end < 0 else end
            cells = text[start:end].split(",")
            if len(cells) > column and cells[column] == value:
                line += text.count("\n", counted, start)
                counted = start
                numbers.append(line)
        return numbers

    def _cell_ends(self, text: str, value: str) -> list[int] | None:
        """The sorted offsets where `value` stands before a `,`, a line break or the end: where a
        cell equal to it can be (a value inside a longer cell, `vm` in `vm-01,...`, is no hit);
        None past FIND_LINES of them."""
        hits = [len(text) - len(value)] if text.endswith(value) else []
        for needle in (value + ",", value + "\n"):
            at = text.find(needle)
            while at >= 0:
                hits.append(at)
                if len(hits) > self.FIND_LINES:
                    return None
                at = text.find(needle, at + 1)
        return sorted(hits)

    def column(self, number: int) -> list[str]:
        """Cell `number` of every record ("" where a record is shorter)."""
        return [cells[number] if len(cells) > number else "" for cells in map(methodcaller("split", ","),
                                                                                self.lines)]


class LookupTable(Struct):
    """One lookup: its columns in file order, its records (one cell per column, "" for an empty
    cell, in file order) and the matching rules."""

    name: str
    source: str  # the file, for messages
    columns: tuple[str, ...]
    records: Sequence[list[str]] = field(repr=False, compare=False)  # a list, or CsvText
    case_sensitive: bool = True
    wildcard: frozenset[str] = frozenset()
    cidr: frozenset[str] = frozenset()
    max_matches: int = 100
    min_matches: int = 0
    default_match: str = ""

    def row(self, number: int) -> Cells:
        """Record `number` as a row: its non-empty cells by column."""
        return {name: cell for name, cell in zip(self.columns, self.records[number], strict=False) if cell}

    def rows(self) -> Iterator[Cells]:
        return (self.row(number) for number in range(len(self.records)))

    def matcher(self, fields: tuple[str, ...]) -> Callable[[tuple[str, ...]], list[Cells]]:
        """A function from the input values (one per lookup field, in `fields` order) to the
        matching rows; built once per command, answers cached per distinct input."""
        return _Matcher(self, fields).rows_for


Lookups = Callable[[str], LookupTable]


def _wildcard(table: LookupTable, cell: str) -> Callable[[str], bool]:
    pattern = wildcard_regex(cell, table.case_sensitive)  # linear time, as search's `*` terms
    return lambda value: pattern.fullmatch(value) is not None


def _cidr(table: LookupTable, cell: str) -> Callable[[str], bool]:
    try:
        network = ipaddress.ip_network(cell.strip(), strict=False)
    except ValueError:
        return lambda value: False
    return partial(in_block, network)


class _Matcher:
    """The first exact field is looked up in its column, once per distinct value of it: for the
    first SCANS distinct values by a scan (CsvText.find's `str.find` over the text, or
    `list.index` over the column, both C-level), then through a dict of the column built once
    (C-level zip), so a few lookups on a large table cost about one pass over it. The other exact
    fields and the WILDCARD/CIDR cells (compiled to tests on first use) are checked on the records
    found."""

    SCANS = 16

    def __init__(self, table: LookupTable, fields: tuple[str, ...]):
        self.table = table
        patterns = table.wildcard | table.cidr
        column = {name: i for i, name in enumerate(table.columns)}
        exact = [(i, column[name]) for i, name in enumerate(fields) if name not in patterns]
        self.lead: tuple[int, int] | None = exact[0] if exact else None
        self.rest = exact[1:]
        self.tests = [(i, column[name], _cidr if name in table.cidr else _wildcard)
                      for i, name in enumerate(fields) if name in patterns]
        self.compiled: dict[tuple[int, int], Callable[[str], bool]] = {}
        self.column: list[str] | None = None
        self.first: dict[str, int] | None = None
        self.scans = 0
        self.leads: dict[str, list[int] | range] = {}  # a lead value -> its records
        self.cache: dict[tuple[str, ...], list[Cells]] = {}

    def fold(self, text: str) -> str:
        return text if self.table.case_sensitive else text.lower()

    def _lead(self, value: str) -> list[int] | range:
        """The records whose first exact field equals `value`, in file order."""
        if self.lead is None:
            return range(len(self.table.records))
        if not value:
            return []
        self.scans += 1
        records = self.table.records
        if self.column is None and self.scans <= self.SCANS and isinstance(records, CsvText):
            found = records.find(self.lead[1], value, self.table.case_sensitive)
            if found is not None:
                return found
        if self.column is None:
            cells = records.column(self.lead[1]) if isinstance(records, CsvText) else \
                list(map(itemgetter(self.lead[1]), records))
            self.column = cells if self.table.case_sensitive else list(map(str.lower, cells))
        value = self.fold(value)
        if self.first is None and self.scans > self.SCANS:
            count = len(self.column)
            self.first = dict(zip(reversed(self.column), range(count - 1, -1, -1), strict=True))
        if self.first is not None:
            number = self.first.get(value)
            if number is None:
                return []
            found = [number]
        else:
            found = []
        try:
            while True:
                found.append(self.column.index(value, found[-1] + 1 if found else 0))
        except ValueError:
            return found

    def _passes(self, number: int, values: tuple[str, ...]) -> bool:
        record = self.table.records[number]
        if any(self.fold(record[col]) != self.fold(values[i]) for i, col in self.rest):
            return False
        for i, col, make in self.tests:
            test = self.compiled.get((number, col))
            if test is None:
                test = self.compiled[number, col] = make(self.table, record[col]) if record[col] else _never
            if not test(values[i]):
                return False
        return True

    def rows_for(self, values: tuple[str, ...]) -> list[Cells]:
        found = self.cache.get(values)
        if found is None:
            found = []
            lead = values[self.lead[0]] if self.lead else ""
            numbers = self.leads.get(lead)
            if numbers is None:
                numbers = self.leads[lead] = self._lead(lead)
            for number in numbers:
                if self._passes(number, values):
                    found.append(self.table.row(number))
                    if len(found) == self.table.max_matches:
                        break
            self.cache[values] = found
        return found


def _never(value: str) -> bool:
    return False
