"""The attack_data-style metadata YAML next to a log: which host and source the dataset came from.

Splunk's attack_data datasets ship a YAML with `datasets: [{name, path, sourcetype, source, host}]`;
their replay tool indexes each file with that host and source. We read the entry whose `path`
ends with the log's file name, so a dataset gives the same `host` and `source` here as after a
replay into Splunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from linux_auditd_at.errors import AuditInputError


@dataclass(frozen=True)
class DatasetInfo:
    """What a metadata YAML says about one log file; None where it says nothing."""

    yaml_path: str
    host: str | None
    source: str | None


def dataset_info(log_path: str) -> DatasetInfo | None:
    """The metadata entry for `log_path` from a `*.yml`/`*.yaml` in the same folder, if any."""
    log = Path(log_path)
    for yaml_path in sorted([*log.parent.glob("*.yml"), *log.parent.glob("*.yaml")]):
        for entry in _datasets(str(yaml_path)):
            path = str(entry.get("path") or "")
            if path and Path(path).name == log.name:
                return DatasetInfo(str(yaml_path), _text(entry.get("host")), _text(entry.get("source")))
    return None


@lru_cache(maxsize=32)
def _datasets(yaml_path: str) -> tuple[dict, ...]:
    try:
        with open(yaml_path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise AuditInputError(f"unreadable dataset metadata: {exc}", path=yaml_path) from exc
    if not isinstance(document, dict) or not isinstance(document.get("datasets"), list):
        return ()
    return tuple(entry for entry in document["datasets"] if isinstance(entry, dict))


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
