"""Imports point one way: the SPL engine (`spl/`) and the audit reader (`audit/`) depend on
nothing above them, only on themselves, `errors.py`, `structs.py` and `patterns.py`; whatever needs
the app, the detection or dataset metadata passes it in (the reader's `describe`, the prefilter)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linux_auditd_at

PACKAGE = Path(linux_auditd_at.__file__).parent
ROOT = "linux_auditd_at"
SHARED = ("errors", "structs", "patterns")
ALLOWED = {"spl": ("spl", *SHARED), "audit": ("audit", *SHARED)}


def _package(path: Path) -> str:
    return ".".join((ROOT, *path.relative_to(PACKAGE).parent.parts))


def _imported(source: str, package: str) -> set[str]:
    """Every module `source` (a module of `package`) imports, anywhere (functions included), as an
    absolute dotted name."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names if not node.module)
    return names


def _above(layer: str, module: str) -> bool:
    parts = module.split(".")
    return parts[0] == ROOT and (len(parts) == 1 or parts[1] not in ALLOWED[layer])


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_nothing_above_it(layer):
    wrong = {f"{path.relative_to(PACKAGE)}: {module}"
             for path in sorted((PACKAGE / layer).rglob("*.py"))
             for module in _imported(path.read_text(encoding="utf-8"), _package(path))
             if _above(layer, module)}
    assert not wrong, "imports from above the layer:\n" + "\n".join(sorted(wrong))


def test_the_check_sees_relative_and_nested_imports():
    """The walk catches `from ..detection import X` inside a function, and `import linux_auditd_at`."""
    source = ("def f():\n    from ..detection import BY_FIELDS\n    from . import lexer\n"
              "import linux_auditd_at\n")
    found = _imported(source, _package(PACKAGE / "spl" / "x.py"))
    assert {"linux_auditd_at.spl.lexer"} <= found
    assert [m for m in sorted(found) if _above("spl", m)] == ["linux_auditd_at", "linux_auditd_at.detection"]
    assert not _above("spl", "linux_auditd_at.errors")
