"""Every `# type: ignore` says why on its own line: mypy (in `make lint`) demands the error code
(`ignore-without-code`) and flags ignores that no longer silence anything; this holds the reason."""

from __future__ import annotations

import re

from paths import REPO

IGNORE = re.compile(r"#\s*type:\s*ignore(\[[^\]]*\])?(.*)$")


def unexplained_ignores(text: str) -> list[int]:
    """Line numbers holding a `# type: ignore` with no `# reason` after it."""
    return [number for number, line in enumerate(text.splitlines(), 1)
            if (found := IGNORE.search(line)) and not found.group(2).strip().lstrip("#").strip()]


def test_every_type_ignore_gives_its_reason_on_the_same_line():
    sources = [path for folder in ("package", "tests", "bench") for path in (REPO / folder).rglob("*.py")]
    bare = [f"{path.relative_to(REPO)}:{number}" for path in sources if path.name != "test_typing.py"
            for number in unexplained_ignores(path.read_text(encoding="utf-8"))]
    assert bare == []


def test_a_bare_ignore_is_found_and_a_reasoned_one_is_not():
    assert unexplained_ignores("x = f()  # type: ignore[arg-type]\ny = g()  # type: ignore\n") == [1, 2]
    assert unexplained_ignores("x = f()  # type: ignore[arg-type]  # the reader sets a float\n") == []
