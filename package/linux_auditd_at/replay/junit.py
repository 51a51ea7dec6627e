"""Replay verdicts as JUnit XML, one test case per dataset, for CI dashboards."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from linux_auditd_at.replay.session import Outcome


def junit_xml(outcomes: list[Outcome], suite: str = "linux-auditd-at replay") -> ET.ElementTree:
    failures = sum(not o.passed for o in outcomes)
    total = sum(o.timings.get("total", 0.0) for o in outcomes)
    root = ET.Element("testsuite", name=suite, tests=str(len(outcomes)), failures=str(failures),
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


def write_junit(outcomes: list[Outcome], path: Path) -> None:
    tree = junit_xml(outcomes)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
