"""A scratch copy of the shipped app, for tests that write local/ or break a file without touching
the checkout (the `app` fixture in conftest.py, and helpers that need one outside a fixture)."""

from __future__ import annotations

import shutil
from pathlib import Path

from linux_auditd_at.app.identity import read_identity
from paths import REPO

SHIPPED = read_identity(REPO)
"""The app's id and version as default/app.conf says: tests compare with these, never literals."""
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
