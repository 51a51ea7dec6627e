"""Lookup tables found as Splunk finds them for this app, read once per run.

    resolve = LookupResolver(app_dir, [Path("exported")])     # --lookups DIR ..., in that order
    table = resolve("at_allowlist")                            # a spl.LookupTable

A name is a lookup definition when `transforms.conf` (default/ with local/ over it, `conf`'s
layering) has a stanza of that name with `filename`; its `case_sensitive_match`, `match_type`
(`WILDCARD(f)`, `CIDR(f)`, comma-separated), `max_matches`, `min_matches` and `default_match`
apply. Otherwise a name ending in `.csv` is a file name (Search Reference, lookup: "the name of a
CSV file ... or the name of a stanza in the transforms.conf file"). Files are looked for in each
`--lookups` folder, then in the app's `lookups/` folder: the first folder that has the file wins,
so a table exported from the search head overrides an example the app ships. A lookup that
cannot be found is one ConfError naming it and every place looked.

CSV: the first line is the header; UTF-8 (a byte-order mark is dropped); empty cells are null;
a row shorter than the header leaves the rest null, cells beyond the header are ignored. A
quote-free file is split into cells lazily (`read_csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

from linux_auditd_at.conf import default_path, is_true, key_origin, layer_paths, read_layered
from linux_auditd_at.errors import ConfError
from linux_auditd_at.patterns import compiled
from linux_auditd_at.spl import LookupTable
from linux_auditd_at.spl.lookups import CsvText

MATCH_TYPE = r"(?i)\s*(WILDCARD|CIDR|EXACT)\s*\(\s*([^)]*?)\s*\)\s*(?:,|$)"
"""One rule of a `match_type` setting, compiled on first use (`patterns`): most apps set none."""
MAX_MATCHES = (1, 1000)


def read_csv(path: Path) -> tuple[tuple[str, ...], Sequence[list[str]]]:
    """The header and the records of a lookup CSV file, each record one cell per column. A file
    without double quotes (the usual export) is split into cells only where a search needs it
    (spl.lookups.CsvText); one with quotes goes through Python's csv module."""
    records: Sequence[list[str]]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
        if '"' in text or ("\r" in text and "\r" in text.replace("\r\n", "")):
            lines = list(csv.reader(io.StringIO(text, newline="")))
            header, records = tuple(lines[0]) if lines else (), lines[1:]
        else:
            first, _, body = text.partition("\n")
            header = tuple(first.rstrip("\r").split(","))
            records = CsvText(body, len(header))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfError(f"cannot read lookup file: {exc}", path=str(path)) from exc
    if not any(header):
        raise ConfError("lookup file has no header line", path=str(path))
    if isinstance(records, CsvText):
        return header, records
    width = len(header)
    return header, [cells if len(cells) == width else (cells + [""] * width)[:width] for cells in records]


class _MatchRules(TypedDict):
    """A lookup definition's matching rules, as LookupTable's fields of the same names."""

    case_sensitive: bool
    wildcard: frozenset[str]
    cidr: frozenset[str]
    max_matches: int
    min_matches: int
    default_match: str


class LookupResolver:
    """Name -> LookupTable for one app and its extra lookup folders; each file is read once."""

    def __init__(self, app_dir: Path, folders: list[Path] | tuple[Path, ...] = ()):
        self.app_dir = app_dir
        self.folders = [*folders, app_dir / "lookups"]
        self.definitions = read_layered(app_dir, "transforms")
        self.tables: dict[str, LookupTable] = {}
        self.files: dict[Path, tuple[tuple[str, ...], Sequence[list[str]]]] = {}

    def __call__(self, name: str) -> LookupTable:
        if name not in self.tables:
            self.tables[name] = self._load(name)
        return self.tables[name]

    def _places(self) -> str:
        conf = ", ".join(str(p) for p in layer_paths(self.app_dir, "transforms")) or \
            f"{default_path(self.app_dir, 'transforms')} (absent)"
        return f"transforms.conf stanzas in {conf}; files in {', '.join(map(str, self.folders))}"

    def _file(self, name: str, filename: str) -> Path:
        for folder in self.folders:
            if (folder / filename).is_file():
                return folder / filename
        raise ConfError(f"lookup {name!r} not found: no {filename} (searched {self._places()})")

    def _load(self, name: str) -> LookupTable:
        settings = self.definitions.get(name)
        if settings is None or "filename" not in settings:
            if settings is None and not name.lower().endswith(".csv"):
                raise ConfError(f"lookup {name!r} not found: no lookup definition of that name and not a "
                                f".csv file name (searched {self._places()})")
            if settings is not None:
                origin = key_origin(self.app_dir, "transforms", name, "filename")
                raise ConfError("lookup definition has no filename (only CSV lookups run offline)",
                                path=str(origin), stanza=name)
            settings = {"filename": name}
        path = self._file(name, settings["filename"])
        if path not in self.files:  # `name` and `name.csv` often name the same file
            self.files[path] = read_csv(path)
        columns, records = self.files[path]
        return LookupTable(name, str(path), columns, records, **self._rules(name, settings))

    def _rules(self, name: str, settings: dict[str, str]) -> _MatchRules:
        def fail(key: str, message: str) -> ConfError:
            origin = key_origin(self.app_dir, "transforms", name, key)
            return ConfError(message, path=str(origin), stanza=name, key=key)

        kinds: dict[str, set[str]] = {"WILDCARD": set(), "CIDR": set(), "EXACT": set()}
        text, covered = settings.get("match_type", "").strip(), 0
        for match in compiled(MATCH_TYPE).finditer(text):
            if match.start() != covered:
                break
            kinds[match.group(1).upper()].add(match.group(2))
            covered = match.end()
        if covered != len(text):
            raise fail("match_type", "expected WILDCARD(field), CIDR(field) or EXACT(field), "
                                     f"comma-separated: {text!r}")
        numbers: dict[str, int] = {}
        for key, default, low, high in (("max_matches", 100, *MAX_MATCHES), ("min_matches", 0, 0, 1000)):
            value = settings.get(key, str(default)).strip()
            if not value.isdigit() or not low <= int(value) <= high:
                raise fail(key, f"expected an integer from {low} to {high}, got {value!r}")
            numbers[key] = int(value)
        return {"case_sensitive": is_true(settings.get("case_sensitive_match", "true")),
                "wildcard": frozenset(kinds["WILDCARD"]), "cidr": frozenset(kinds["CIDR"]),
                "default_match": settings.get("default_match", ""),
                "max_matches": numbers["max_matches"], "min_matches": numbers["min_matches"]}
