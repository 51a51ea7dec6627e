"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from scratch_app import SHIPPED, copy_app


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A scratch copy of the shipped app (see scratch_app.py)."""
    return copy_app(tmp_path / SHIPPED.app_id)
