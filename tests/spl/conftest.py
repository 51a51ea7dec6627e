"""Shared helpers for the SPL engine tests: run SPL over hand-built events."""

from __future__ import annotations

from datetime import UTC

import pytest

from linux_auditd_at.spl import Context, Result, compile_search


def _run(spl: str, events: list[dict], **context) -> Result:
    context.setdefault("now", 0.0)
    context.setdefault("tz", UTC)
    return compile_search(spl).execute([dict(e) for e in events], Context(**context))


@pytest.fixture
def run():
    """run(spl, events, **context) -> Result (UTC, now=0 unless given)."""
    return _run


@pytest.fixture
def matching():
    """matching(spl, events) -> the indexes of the events the search keeps."""

    def indexes(spl: str, events: list[dict]) -> list[int]:
        tagged = [{**e, "_i": str(i)} for i, e in enumerate(events)]
        return [int(row["_i"]) for row in _run(spl, tagged).rows]

    return indexes
