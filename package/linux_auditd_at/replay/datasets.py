"""Which logs to replay: attack_data metadata YAML (`datasets:` entries with name, path,
sourcetype, source, host, and optionally `expected_rows`, a JSON file of the rows the search must
return, worked out from what the capture did), or a plain log, whose events keep what the audit
reader gives them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from linux_auditd_at.errors import AuditInputError

METADATA_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Dataset:
    """One log and the metadata its events are indexed with (None: the reader's value)."""

    name: str
    path: Path
    sourcetype: str | None = None
    source: str | None = None
    host: str | None = None
    expected_rows: Path | None = None

    def expected(self) -> list[dict[str, object]] | None:
        """The rows the saved search must return on this dataset, when the metadata says."""
        if self.expected_rows is None:
            return None
        try:
            rows = json.loads(self.expected_rows.read_text(encoding="utf-8"))["rows"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AuditInputError(f"cannot read expected rows: {exc}", path=str(self.expected_rows)) from exc
        if not isinstance(rows, list):
            raise AuditInputError("`rows` is not a list", path=str(self.expected_rows))
        return rows

    def metadata(self) -> dict[str, str]:
        """The event fields this dataset sets."""
        given = {"sourcetype": self.sourcetype, "source": self.source, "host": self.host}
        return {key: value for key, value in given.items() if value}


def default_metadata(root: Path) -> list[Path]:
    """The bundled metadata files: attack_data/**/*.yml under `root`."""
    return sorted(p for suffix in METADATA_SUFFIXES for p in (root / "attack_data").rglob(f"*{suffix}"))


def load_datasets(paths: list[Path]) -> list[Dataset]:
    """Datasets from metadata files and plain logs, in the order given."""
    datasets: list[Dataset] = []
    for path in paths:
        if path.suffix in METADATA_SUFFIXES:
            datasets.extend(read_metadata(path))
        elif path.is_file():
            datasets.append(Dataset(name=path.name, path=path))
        else:
            raise AuditInputError("no such file", path=str(path))
    return datasets


def read_metadata(path: Path) -> list[Dataset]:
    """The `datasets:` of one metadata file; a relative `path` is taken relative to that file's
    folder, else to the working directory (the repository root for the bundled files)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuditInputError(exc.strerror or str(exc), path=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise AuditInputError(f"not valid YAML: {exc}", path=str(path),
                              line=mark.line + 1 if mark else None) from exc
    entries = document.get("datasets") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise AuditInputError("no `datasets:` list", path=str(path))
    datasets = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("path"):
            raise AuditInputError(f"datasets entry {number} has no `path`", path=str(path))
        log = _beside(path, entry["path"], f"datasets entry {number}: log")
        expected = entry.get("expected_rows")
        datasets.append(Dataset(
            name=str(entry.get("name") or log.name),
            path=log,
            sourcetype=_text(entry.get("sourcetype")),
            source=_text(entry.get("source")),
            host=_text(entry.get("host")),
            expected_rows=(_beside(path, expected, f"datasets entry {number}: expected_rows")
                           if expected else None),
        ))
    return datasets


def _beside(metadata: Path, name: object, what: str) -> Path:
    """A file named in the metadata: relative to its folder, else to the working directory."""
    target = Path(str(name))
    if not target.is_absolute() and (metadata.parent / target).is_file():
        target = metadata.parent / target
    if not target.is_file():
        raise AuditInputError(f"{what} {target} does not exist", path=str(metadata))
    return target


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
