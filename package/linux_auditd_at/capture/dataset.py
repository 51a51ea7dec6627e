"""Writing a capture the way Splunk's attack_data ships datasets.

Per dataset NAME in OUTDIR: `NAME.log` (the records, bytes as auditd wrote them),
`NAME.expected.json` (the rows the shipped search should return, from the scenarios' ground
truth, times in UTC) and an entry in `linux_auditd_at.yml` (attack_data metadata: author, id,
date, description, environment, mitre_technique, datasets with name, path, sourcetype, source,
host; `directory`, the folder's name, as attack_data's newer files have), extended with how it
was captured and each scenario's label: the outcome the shipped search should give on this
dataset, and why. `check_outdir` runs before a capture, so a folder or metadata file that could
not be written fails before the machine is touched, and `write` writes nothing when it fails.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from linux_auditd_at.attack_data import read_yaml
from linux_auditd_at.audit.reader import SOURCETYPE
from linux_auditd_at.capture.scenarios import SCENARIOS, Process
from linux_auditd_at.capture.system import LogFormat
from linux_auditd_at.capture.window import COLUMNS, Record
from linux_auditd_at.detection import SEARCH_NAME
from linux_auditd_at.errors import CaptureError

METADATA = "linux_auditd_at.yml"
AUTHOR = "linux-auditd-at capture"
SOURCE = "/var/log/audit/audit.log"
CLEANUP_WHY = "atrm: exe is /usr/bin/at"
RAW_WHY = "RAW log: no SYSCALL= or UID= fields, and the search groups by both, so it returns nothing"


@dataclass(frozen=True)
class Capture:
    """One finished capture: what to write for dataset `name`."""

    name: str
    records: list[Record]
    processes: list[Process]
    scenarios: list[str]
    rows: list[dict]
    log_format: LogFormat
    node: bool
    host: str
    environment: dict[str, str]


def check_outdir(outdir: Path) -> None:
    """A CaptureError, before anything runs, when `write` could not write into `outdir`."""
    existing = next(p for p in (outdir, *outdir.parents) if p.exists())
    if not existing.is_dir():
        raise CaptureError("not a folder; the dataset needs one", path=str(existing))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CaptureError("cannot write there", path=str(existing))
    _existing_metadata(outdir / METADATA)


def write(outdir: Path, capture: Capture) -> list[Path]:
    """Write the log, the expected rows and the metadata entry; returns the paths written."""
    log = outdir / f"{capture.name}.log"
    expected = outdir / f"{capture.name}.expected.json"
    metadata = outdir / METADATA
    metadata_text = _updated_metadata(metadata, _entry(log.name, capture))
    outdir.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"".join(record.raw + b"\n" for record in capture.records))
    expected.write_text(json.dumps({
        "search": SEARCH_NAME, "dataset": log.name, "tz": "UTC", "columns": list(COLUMNS),
        "derived_from": "the scenarios' ground truth (the processes they started), not the engine",
        "rows": capture.rows}, indent=2) + "\n", encoding="utf-8")
    metadata.write_text(metadata_text, encoding="utf-8")
    return [log, expected, metadata]


def _entry(log_name: str, capture: Capture) -> dict:
    enriched = capture.log_format == "ENRICHED"
    scenarios = []
    for name in [*capture.scenarios, "cleanup"]:
        processes = [p for p in capture.processes if p.scenario == name]
        if name == "cleanup" and not processes:
            continue
        scenario = SCENARIOS.get(name)
        summary, outcome, why = ((scenario.summary, scenario.outcome, scenario.why) if scenario
                                 else ("removes the jobs the scenarios left", "detected", CLEANUP_WHY))
        labels = [{"pid": p.pid, "ppid": p.ppid, "comm": p.comm, "exe": p.exe, "user": p.user,
                   "syscall": p.syscall, **_label(p.outcome, p.why, enriched)} for p in processes]
        scenarios.append({"name": name, "summary": summary, **_label(outcome, why, enriched),
                          "processes": labels})
    return {
        "name": capture.name, "path": log_name, "sourcetype": SOURCETYPE, "source": SOURCE,
        "host": capture.host, "log_format": capture.log_format, "node_prefix": capture.node,
        "expected_rows": f"{capture.name}.expected.json", "records": len(capture.records),
        "captured": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "environment": capture.environment,
        "scenarios": scenarios,
    }


def _label(outcome: str, why: str, enriched: bool) -> dict[str, str]:
    """The outcome on this dataset: what the search detects in ENRICHED logs it misses in RAW ones."""
    if outcome == "detected" and not enriched:
        return {"outcome": "missed", "why": RAW_WHY}
    return {"outcome": outcome, "why": why}


def _updated_metadata(path: Path, entry: dict) -> str:
    """The metadata text with the dataset entry `entry["name"]` added or replaced, keeping the
    file's id and other datasets."""
    document = _existing_metadata(path)
    datasets = [d for d in document.get("datasets") or [] if d.get("name") != entry["name"]]
    datasets.append(entry)
    datasets.sort(key=lambda d: str(d.get("name")))
    document = {
        "author": document.get("author", AUTHOR),
        "id": document.get("id", str(uuid.uuid4())),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "description": document.get("description", (
            "Real auditd records of the at scheduler (T1053.002) and benign commands, captured from a "
            "real kernel by `linux-auditd-at capture` (make dataset); each dataset lists its scenarios "
            "with the outcome the shipped search should give and why.")),
        "environment": document.get("environment", "linux-auditd-at capture (real kernel, auditd, at)"),
        "directory": path.parent.name,
        "mitre_technique": ["T1053.002"],
        "datasets": datasets,
    }
    return yaml.safe_dump(document, sort_keys=False, width=100, allow_unicode=True)


def _existing_metadata(path: Path) -> dict:
    """The metadata file as it is ({} when absent or empty); an error naming the file (and line)
    when it is not one this writer can update without dropping what it holds."""
    if not path.exists():
        return {}
    document = read_yaml(str(path), CaptureError)
    if document is None:
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("datasets", []), list):
        raise CaptureError("not attack_data metadata (a mapping with a `datasets:` list); "
                           "fix it or write the dataset to another folder", path=str(path))
    for number, entry in enumerate(document.get("datasets") or [], 1):
        if not isinstance(entry, dict):
            raise CaptureError(f"datasets entry {number} is not a mapping", path=str(path))
    return document
