"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from linux_auditd_at.cli import main
from paths import REPO
from scratch_app import SHIPPED, copy_app


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A scratch copy of the shipped app (see scratch_app.py)."""
    return copy_app(tmp_path / SHIPPED.app_id)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """The CLI run in-process, as sqlite-utils' CliRunner and ksconf's ksconf_cli do:
    `cli("run", log, "--tz", "UTC")` -> (exit code, stdout, stderr) of that one call. Arguments
    are passed as str; `app=` is the --app-dir (the checkout unless given)."""

    def invoke(*args: object, app: Path = REPO) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--app-dir", str(app), *map(str, args)])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return invoke
