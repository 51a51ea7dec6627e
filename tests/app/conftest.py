"""A copy of the repository's app in tmp_path, for tests that break or extend it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_FILES = ("default", "metadata/default.meta", "app.manifest", "LICENSE", "README.md")


def copy_app(target: Path) -> Path:
    """The shipped app files (not the toolkit) copied to `target`."""
    for name in APP_FILES:
        source, dest = REPO / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copyfile(source, dest)
    return target


@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    return copy_app(tmp_path / "app")
