"""Fixtures of the tuning tests."""

from __future__ import annotations

import pytest
from logbuilder import copy_app


@pytest.fixture
def app(tmp_path):
    """A scratch copy of the app (default/, metadata/)."""
    return copy_app(tmp_path / "app")
