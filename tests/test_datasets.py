"""The committed datasets (attack_data/T1053.002/linux_auditd_at, real captures) and the rows the
shipped search returns on each.

Three views that are built independently must agree:
  1. NAME.expected.json and the labels in linux_auditd_at.yml, written by the capture from the
     processes its scenarios started (pids, comm, exe, user), checked against the log at capture;
  2. `plain_search` below: the shipped search's logic restated in plain Python, no engine code;
  3. the embedded engine running the app's own SPL through `linux_auditd_at.runner`.
After `make dataset` pids and times change, never which scenarios are detected: the tests read
them from the files, and pin the scenario matrix by comm/exe/user/outcome, not by pid.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from linux_auditd_at import runner
from linux_auditd_at.spl import Context
from paths import DATASET

FOLDER = DATASET
METADATA = yaml.safe_load((FOLDER / "linux_auditd_at.yml").read_text(encoding="utf-8"))
DATASETS = {entry["name"]: entry for entry in METADATA["datasets"]}
SAMPLE = "auditd_at_execution"
ITEM_2_SCENARIOS = {"at_root", "atq_atrm", "batch", "user_at", "daemon_at", "atd_job", "symlink_later",
                    "renamed_copy", "benign"}
BY = ("comm", "exe", "SYSCALL", "UID", "ppid", "pid", "dest")

_PAIR = re.compile(r'(\w+)=("[^"]*"|\S+)')
_STAMP = re.compile(r"msg=audit\((\d+\.\d+):\d+\)")


def plain_search(path: Path, host: str) -> list[dict[str, str]]:
    """`type=SYSCALL (comm IN ("at","atd") OR exe IN ("/usr/bin/at","/usr/bin/atd"))
    NOT UID IN ("daemon") | rename host as dest | stats count min(_time) max(_time) by BY`,
    values compared case-insensitively as Splunk does, rows with a missing by-field dropped,
    times formatted in UTC."""
    groups: dict[tuple, list[float]] = {}
    for line in path.read_bytes().decode("utf-8", "replace").split("\n"):  # str.splitlines splits at 0x1d
        raw, _, interpreted = line.partition("\x1d")
        fields = {k: v.strip('"') for k, v in reversed(_PAIR.findall(raw))}
        upper = {k: v.strip('"') for k, v in reversed(_PAIR.findall(interpreted))}
        if fields.get("type", "").lower() != "syscall":
            continue
        named = fields.get("comm", "").lower() in ("at", "atd")
        pathed = fields.get("exe", "").lower() in ("/usr/bin/at", "/usr/bin/atd")
        if not (named or pathed) or upper.get("UID", "").lower() == "daemon":
            continue
        values = {**fields, **upper, "dest": host}  # the input's host; node= is only a field
        key = tuple(values.get(name) for name in BY)
        if None in key:
            continue
        groups.setdefault(key, []).append(float(_STAMP.search(line).group(1)))
    return [{**dict(zip(BY, key, strict=True)), "count": str(len(times)),
             "firstTime": _utc(min(times)), "lastTime": _utc(max(times))}
            for key, times in groups.items()]


def engine_rows(path: Path, host: str | None = None, **options) -> tuple[list[str], list[dict]]:
    _, pipeline = runner.compile_detection()
    outcome = runner.run_detection(pipeline, [str(path)], Context(now=datetime.now(UTC).timestamp(), tz=UTC),
                                   host=host, strict=True, **options)
    return outcome.result.columns, outcome.result.rows


def expected(name: str) -> dict:
    return json.loads((FOLDER / DATASETS[name]["expected_rows"]).read_text(encoding="utf-8"))


def processes(name: str) -> list[dict]:
    return [p for scenario in DATASETS[name]["scenarios"] for p in scenario["processes"]]


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


def test_metadata_is_attack_data_style():
    assert set(DATASETS) == {"auditd_at_execution", "auditd_benign", "auditd_at_execution_raw",
                             "auditd_at_execution_node"}
    assert METADATA["mitre_technique"] == ["T1053.002"]
    uuid.UUID(METADATA["id"])
    for key in ("author", "date", "description", "environment"):
        assert METADATA[key]
    assert METADATA["directory"] == FOLDER.name  # as attack_data's own files since 2024
    for entry in DATASETS.values():
        assert (entry["sourcetype"], entry["source"]) == ("linux:audit", "/var/log/audit/audit.log")
        assert entry["host"] and (FOLDER / entry["path"]).is_file()
        assert (FOLDER / entry["path"]).stat().st_size < 300_000
        assert entry["environment"]["kernel"] and entry["environment"]["auditd"]


def test_make_run_sample_is_the_true_positive_set():
    makefile = (FOLDER.parents[2] / "Makefile").read_text(encoding="utf-8")
    assert f"SAMPLE     := attack_data/T1053.002/linux_auditd_at/{SAMPLE}.log" in makefile


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_expected_rows_are_the_processes_labelled_detected(name):
    detected = {(p["comm"], p["exe"], p["user"], str(p["ppid"]), str(p["pid"]))
                for p in processes(name) if p["outcome"] == "detected"}
    rows = {(r["comm"], r["exe"], r["UID"], r["ppid"], r["pid"]) for r in expected(name)["rows"]}
    assert rows == detected


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_plain_search_gives_the_expected_rows(name):
    entry = DATASETS[name]
    assert _sorted(plain_search(FOLDER / entry["path"], entry["host"])) == _sorted(expected(name)["rows"])


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_engine_gives_the_expected_rows(name):
    columns, rows = engine_rows(FOLDER / DATASETS[name]["path"])
    assert columns == expected(name)["columns"]
    assert _sorted(rows) == _sorted(expected(name)["rows"])


def test_true_positive_set_covers_the_scenario_matrix():
    """What docs/capture.md's scenario matrix says, read from the labels and the engine's rows."""
    labelled = {(p["comm"], p["exe"], p["user"], p["syscall"], p["outcome"]) for p in processes(SAMPLE)}
    user = next(p["user"] for p in processes(SAMPLE) if p["user"] not in ("root", "daemon"))
    helper = next(p["exe"] for p in processes(SAMPLE) if p["comm"] == "sched_helper")
    assert {
        ("at", "/usr/bin/at", "root", "execve", "detected"),
        ("atq", "/usr/bin/at", "root", "execve", "detected"),
        ("atrm", "/usr/bin/at", "root", "execve", "detected"),
        ("at", "/usr/bin/at", user, "execve", "detected"),
        ("atrm", "/usr/bin/at", user, "execve", "detected"),
        ("later", "/usr/bin/at", "root", "execve", "detected"),
        ("batch", "/usr/bin/dash", "root", "execve", "benign"),
        ("at", "/usr/bin/at", "daemon", "execve", "excluded"),
        ("atd", "/usr/sbin/atd", "daemon", "write", "excluded"),
        ("sh", "/usr/bin/dash", "root", "execve", "missed"),
        ("sched_helper", helper, "root", "execve", "missed"),
    } <= labelled
    _, rows = engine_rows(FOLDER / DATASETS[SAMPLE]["path"])
    found = {(r["comm"], r["exe"], r["UID"]) for r in rows}
    assert ("later", "/usr/bin/at", "root") in found and ("atq", "/usr/bin/at", "root") in found
    assert not {r["comm"] for r in rows} & {"sched_helper", "batch", "sh"}
    assert "daemon" not in {r["UID"] for r in rows}
    if any(p["comm"] == "atd" and p["syscall"] == "execve" for p in processes(SAMPLE)):
        assert ("atd", "/usr/sbin/atd", "root") in found


def test_every_scenario_is_labelled_as_the_readme_matrix_says():
    """Item 2's scenarios are all in the sample, each labelled with an outcome and a reason, and
    docs/capture.md's scenario matrix states the same outcomes; its dataset table the same row counts."""
    readme = (FOLDER.parents[2] / "docs" / "capture.md").read_text(encoding="utf-8")
    matrix = readme.split("**Scenario matrix**", 1)[1].split("\n\n", 2)[1]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in matrix.splitlines()]
    readme_outcomes = {row[0].strip("`"): row[3] for row in cells[2:]}
    assert set(readme_outcomes) == ITEM_2_SCENARIOS
    scenarios = {s["name"]: s for s in DATASETS[SAMPLE]["scenarios"]}
    assert set(scenarios) - {"cleanup"} == ITEM_2_SCENARIOS
    for name, cell in readme_outcomes.items():
        words = {w for w in ("detected", "excluded", "missed") if w in cell} | (
            {"benign"} if "not matched" in cell else set())
        scenario = scenarios[name]
        outcomes = {p["outcome"] for p in scenario["processes"]}
        assert scenario["why"] and all(p["why"] for p in scenario["processes"]), name
        assert scenario["outcome"] in words and words <= outcomes, (name, cell, outcomes)
    atd_started = any(p["comm"] == "atd" and p["syscall"] == "execve" for p in processes(SAMPLE))
    assert len(expected(SAMPLE)["rows"]) == (10 if atd_started else 9)
    assert len(expected("auditd_at_execution_node")["rows"]) == 3


def test_benign_set_runs_no_at():
    text = (FOLDER / DATASETS["auditd_benign"]["path"]).read_text(encoding="utf-8", errors="replace")
    syscalls = [line for line in text.split("\n") if line.startswith("type=SYSCALL")]
    assert syscalls and not [line for line in syscalls if 'exe="/usr/bin/at"' in line]
    assert {p["outcome"] for p in processes("auditd_benign")} == {"benign"}
    assert expected("auditd_benign")["rows"] == []


def test_raw_set_has_the_at_records_but_no_fields_the_search_groups_by():
    text = (FOLDER / DATASETS["auditd_at_execution_raw"]["path"]).read_text(encoding="utf-8")
    assert 'comm="at" exe="/usr/bin/at"' in text
    assert "\x1d" not in text and " UID=" not in text and " SYSCALL=" not in text
    outcomes = {p["outcome"] for p in processes("auditd_at_execution_raw")}
    assert "detected" not in outcomes and "missed" in outcomes
    assert expected("auditd_at_execution_raw")["rows"] == []


def test_node_dataset_dest_is_the_input_host_and_the_node_only_when_overridden(tmp_path):
    """The node= capture keeps dest = its metadata host (ground truth: the capture's host), as a
    Splunk input sets it; behind a central collector every node= name becomes the collector's host
    unless the site overrides host at index time (--host-from-node)."""
    entry = DATASETS["auditd_at_execution_node"]
    node_log = FOLDER / entry["path"]
    assert all(line.startswith(b"node=") for line in node_log.read_bytes().splitlines())
    _, rows = engine_rows(node_log)
    assert rows and {r["dest"] for r in rows} == {entry["host"]}
    _, rows = engine_rows(node_log, host="collector")
    assert {r["dest"] for r in rows} == {"collector"}
    relayed = tmp_path / "relayed.log"  # the same records as a collector receives them from peer-01
    node = b"node=" + entry["host"].encode() + b" "
    relayed.write_bytes(node_log.read_bytes().replace(node, b"node=peer-01 "))
    _, rows = engine_rows(relayed, host="collector")
    assert len(rows) == len(expected("auditd_at_execution_node")["rows"])
    assert {r["dest"] for r in rows} == {"collector"}
    _, rows = engine_rows(relayed, host="collector", host_from_node=True)
    assert {r["dest"] for r in rows} == {"peer-01"}
