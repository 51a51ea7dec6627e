"""Replay verdicts as JUnit XML, one test case per dataset, for CI dashboards.

A run that cannot start (login refused, app missing, HEC unreachable) still writes the file, with
each dataset as an error, so a CI dashboard shows why instead of a missing report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.session import Outcome

SUITE = "linux-auditd-at replay"


def junit_xml(outcomes: list[Outcome]) -> ET.ElementTree:
    failures = sum(not o.passed for o in outcomes)
    total = sum(o.timings.get("total", 0.0) for o in outcomes)
    root = ET.Element("testsuite", name=SUITE, tests=str(len(outcomes)), failures=str(failures),
                      errors="0", skipped="0", time=f"{total:.3f}")
    for outcome in outcomes:
        case = ET.SubElement(root, "testcase", classname="replay", name=outcome.dataset.name,
                             time=f"{outcome.timings.get('total', 0.0):.3f}")
        if not outcome.passed:
            failure = ET.SubElement(case, "failure", message=outcome.failures[0])
            failure.text = "\n".join(outcome.failures + outcome.differences)
        details = [f"index {outcome.index}: sent {outcome.sent}, indexed {outcome.indexed}, "
                   f"{len(outcome.rows)} result rows", *outcome.notes]
        ET.SubElement(case, "system-out").text = "\n".join(details)
    return ET.ElementTree(root)


def junit_setup_error(names: list[str], message: str) -> ET.ElementTree:
    """Every dataset as an `error`: the run stopped before any of them could be replayed."""
    root = ET.Element("testsuite", name=SUITE, tests=str(len(names)), failures="0",
                      errors=str(len(names)), skipped="0", time="0.000")
    for name in names:
        case = ET.SubElement(root, "testcase", classname="replay", name=name, time="0.000")
        ET.SubElement(case, "error", message=message).text = message
    return ET.ElementTree(root)


def write_junit(tree: ET.ElementTree, path: Path) -> None:
    ET.indent(tree)
    try:
        tree.write(path, encoding="utf-8", xml_declaration=True)
    except OSError as exc:
        raise ReplayError(f"--junit-xml {path}: cannot write: {exc.strerror or exc}") from exc
