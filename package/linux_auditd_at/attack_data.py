"""The attack_data metadata YAML: one reader for every consumer of a dataset.

Splunk's attack_data ships each log with a YAML: `datasets: [{name, path, sourcetype, source,
host}]`, and its replay tool indexes each file with that host and source. The audit reader takes
`host` and `source` from it (so a dataset gives the same events here as after a replay), replay
takes the whole list, and our captures add `expected_rows`, a JSON file of the rows the shipped
search must return. `capture/dataset.py` writes these files.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from linux_auditd_at.errors import AuditInputError, CaptureError
from linux_auditd_at.structs import Struct

METADATA_SUFFIXES = (".yml", ".yaml")
MAX_METADATA_BYTES = 1 << 20
"""Dataset metadata is a few lines; a larger YAML beside a log is refused, not parsed."""


class Dataset(Struct):
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
        import json  # only where a dataset's expected rows are checked

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


def default_metadata(root: Path, under: str = "attack_data") -> list[Path]:
    """The metadata files below `root`/`under`: by default the bundled attack_data/**/*.yml."""
    return sorted(p for suffix in METADATA_SUFFIXES for p in (root / under).rglob(f"*{suffix}"))


def load_datasets(paths: list[Path]) -> list[Dataset]:
    """Datasets from metadata files and plain logs, in the order given."""
    datasets: list[Dataset] = []
    for path in paths:
        try:
            datasets.extend(_datasets_of(path))
        except OSError as exc:  # a folder on the way that cannot be entered
            raise AuditInputError(exc.strerror or str(exc), path=str(exc.filename or path)) from exc
    return datasets


def _datasets_of(path: Path) -> list[Dataset]:
    if path.is_dir():
        found = default_metadata(path, under="")
        if not found:
            raise AuditInputError("a folder without dataset metadata (*.yml): name its logs instead",
                                  path=str(path))
        return [dataset for metadata in found for dataset in read_metadata(metadata)]
    if path.suffix in METADATA_SUFFIXES:
        return read_metadata(path)
    if path.is_file():
        return [Dataset(name=path.name, path=path)]
    raise AuditInputError("no such file", path=str(path))


def read_metadata(path: Path) -> list[Dataset]:
    """The `datasets:` of one metadata file; a relative `path` is taken relative to that file's
    folder, else to the working directory (the repository root for the bundled files)."""
    entries = _entries(str(path))
    if not entries:
        raise AuditInputError("no `datasets:` list", path=str(path))
    datasets = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("path"):
            raise AuditInputError(f"datasets entry {number} has no `path`", path=str(path))
        log = _beside(path, entry["path"], f"datasets entry {number}: log")
        expected = entry.get("expected_rows")
        datasets.append(_dataset(entry, log, path, expected_rows=(
            _beside(path, expected, f"datasets entry {number}: expected_rows") if expected else None)))
    return datasets


def dataset_for_log(log_path: str) -> Dataset | None:
    """The entry describing `log_path` (its `path` ends with the log's file name) in a
    `*.yml`/`*.yaml` of the same folder, if any. YAML files without a `datasets:` list are not
    dataset metadata and are passed over. One that does not parse is an error naming it when its
    text names the log (broken metadata of this very log: the host would be wrong), and is passed
    over otherwise (a compose file or playbook that happens to lie beside the log)."""
    log = Path(log_path)
    for yaml_path in map(Path, _metadata_beside(str(log.parent))):
        try:
            entries = _entries(str(yaml_path))
        except AuditInputError:
            if log.name in yaml_path.read_text(encoding="utf-8", errors="replace"):
                raise
            continue
        for entry in entries or ():
            if isinstance(entry, dict) and entry.get("path") and Path(str(entry["path"])).name == log.name:
                return _dataset(entry, log, yaml_path)
    return None


def log_metadata(log_path: str) -> dict[str, str]:
    """The event fields the metadata next to a log sets (`host`, `source`, `sourcetype`), none for
    stdin (`-`) or a log no metadata describes: what the audit reader asks its `dataset` about."""
    info = dataset_for_log(log_path) if log_path != "-" else None
    return info.metadata() if info is not None else {}


def _metadata_beside(folder: str) -> tuple[str, ...]:
    """The *.yml/*.yaml files of a folder, sorted; listed once per folder (5,000 logs of one
    folder list it once), again only when the folder changed."""
    try:
        changed = os.stat(folder).st_mtime_ns
    except OSError as exc:
        raise AuditInputError(exc.strerror or str(exc), path=folder) from exc
    return _listed_metadata(folder, changed)


@lru_cache(maxsize=32)
def _listed_metadata(folder: str, _mtime_ns: int) -> tuple[str, ...]:
    return tuple(sorted(str(p) for suffix in METADATA_SUFFIXES for p in Path(folder).glob(f"*{suffix}")))


def safe_yaml(text: str) -> object:
    """`text` as yaml.safe_load reads it, except that an alias (`*name`) is a yaml.YAMLError:
    metadata has no use for them, and a 400-byte file of nested aliases expands to gigabytes.
    With libyaml (PyYAML's wheels bundle it) the events are checked for an alias, then the text
    is loaded, both in C: the bundled sample's 18 KiB metadata took a `run` over it 0.1 s through
    PyYAML's Python parser. Without libyaml, a SafeLoader that refuses an alias as it composes."""
    import yaml  # only when a metadata file is there: `run` on a plain log starts faster

    if not yaml.__with_libyaml__:
        return yaml.load(text, Loader=_no_alias_loader())
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _alias_error(event.start_mark)
    return yaml.load(text, Loader=yaml.CSafeLoader)


def _alias_error(mark: Any) -> Exception:
    """The error of an alias at `mark` (PyYAML's Mark, or libyaml's with the same line and column)."""
    from yaml.composer import ComposerError

    return ComposerError(None, None, "an alias (*name), which dataset metadata does not use", mark)


@lru_cache(maxsize=1)
def _no_alias_loader() -> type:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise _alias_error(self.peek_event().start_mark)
            return super().compose_node(parent, index)

    return NoAliasLoader


def _dataset(entry: dict, log: Path, metadata: Path, expected_rows: Path | None = None) -> Dataset:
    for key in ("name", "sourcetype", "source", "host"):
        if isinstance(entry.get(key), (list, dict)):  # `host: [a, b]` would index host "['a', 'b']"
            raise AuditInputError(f"`{key}` of the entry for {log.name} is a YAML list or mapping, not one "
                                  "value", path=str(metadata))
    return Dataset(name=str(entry.get("name") or log.name), path=log,
                   sourcetype=_text(entry.get("sourcetype")), source=_text(entry.get("source")),
                   host=_text(entry.get("host")), expected_rows=expected_rows)


def _entries(yaml_path: str) -> tuple | None:
    """The `datasets:` list of a YAML file, None when it has none; read again only when it changed."""
    try:
        stat = os.stat(yaml_path)
    except OSError as exc:
        raise AuditInputError(exc.strerror or str(exc), path=yaml_path) from exc
    if stat.st_size > MAX_METADATA_BYTES:
        raise AuditInputError(f"larger than {MAX_METADATA_BYTES} bytes, too large for dataset metadata",
                              path=yaml_path)
    return _parsed_entries(yaml_path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _parsed_entries(yaml_path: str, _mtime_ns: int, _size: int) -> tuple | None:
    document = read_yaml(yaml_path, AuditInputError, hint="; is it dataset metadata?")
    entries = document.get("datasets") if isinstance(document, dict) else None
    return tuple(entries) if isinstance(entries, list) else None


def read_yaml(path: str, error: type[AuditInputError | CaptureError], *, hint: str = "") -> object:
    """`path` as YAML, the one reading of a YAML file: a file that cannot be read, or is not valid
    YAML, raises `error` naming the file (and the line of a syntax error)."""
    import yaml  # only when a metadata file is there: `run` on a plain log starts faster

    try:
        with open(path, encoding="utf-8") as handle:
            return safe_yaml(handle.read())
    except OSError as exc:
        raise error(exc.strerror or str(exc), path=path) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"not valid YAML ({problem}){hint}", path=path,
                    line=mark.line + 1 if mark else None) from exc


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
