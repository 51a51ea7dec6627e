"""CONFORMANCE.md stays true: every test it names exists, every UNVERIFIED choice is marked in the
module it names, and (when the reference is on this machine) its statements quote
splunk-semantics.md exactly and together cover all of it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from paths import REPO

HERE = REPO / "tests" / "spl"
REPO = HERE.parents[1]
INDEX = HERE / "CONFORMANCE.md"
REFERENCE = REPO.parent / "shared" / "reference" / "splunk-semantics.md"
REFERENCE_TEST = re.compile(r"((?:tests/[\w/]+\.py)|test_\w+)::(test_\w+)")


def _rows(heading: str) -> list[list[str]]:
    """The cells of the table under `## heading` (header and separator rows left out)."""
    section = INDEX.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def _normalized(text: str) -> str:
    return " ".join(text.split())


def test_every_named_test_exists():
    named = [ref for row in _rows("Statements") + _rows("UNVERIFIED choices: where they are written down and "
                                                         "the test that pins each")
             for ref in REFERENCE_TEST.findall(row[-1])]
    assert len(named) > 80
    missing = []
    for module, name in named:
        path = REPO / module if module.startswith("tests/") else HERE / f"{module}.py"
        if not path.is_file() or name not in _tests_in(path):
            missing.append(f"{module}::{name}")
    assert missing == []


def test_unverified_choices_are_written_down_where_the_index_says():
    rows = _rows("UNVERIFIED choices: where they are written down and the test that pins each")
    assert len(rows) >= 10
    for choice, module, pinned in rows:
        source = (REPO / "package" / "linux_auditd_at" / module).read_text(encoding="utf-8")
        assert "UNVERIFIED" in ast.get_docstring(ast.parse(source)) + source, (choice, module)
        assert REFERENCE_TEST.search(pinned), choice


@pytest.mark.skipif(not REFERENCE.is_file(), reason=f"needs the shared reference at {REFERENCE}")
def test_statements_quote_the_reference_and_cover_all_of_it():
    lines = [line.lstrip("- ") for line in REFERENCE.read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    reference = _normalized(" ".join(lines))
    statements = [_normalized(row[0]) for row in _rows("Statements")]
    assert [s for s in statements if s not in reference] == []
    for statement in sorted(statements, key=len, reverse=True):
        reference = reference.replace(statement, " ")
    assert reference.split() == []
