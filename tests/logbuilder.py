"""Audit logs built from real records, re-stamped at chosen times (see tuning/data/README.md).
Used by tests/tuning and by the tests of the risk/backtest/tune verbs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from paths import REPO

DATA = REPO / "tests" / "tuning" / "data"
_STAMP = re.compile(rb"msg=audit\((\d+\.\d+):(\d+)\)")


def _events() -> dict[str, list[bytes]]:
    """The fixture's events by serial: '4' is `at now` by root, '9' is atd (UID daemon)."""
    events: dict[str, list[bytes]] = {}
    for line in (DATA / "at_records.log").read_bytes().splitlines():
        events.setdefault(_STAMP.search(line).group(2).decode(), []).append(line)
    return events


def utc(text: str) -> float:
    """Epoch of an ISO time in UTC, e.g. '2026-11-29T09:49:59.999'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def write_log(path: Path, entries: list[tuple[float, int, str | None]], serial: str = "4") -> Path:
    """One copy of event `serial` per (epoch time, pid, host or None), in the given order; a host
    is written as a `node=` prefix, so it is the event's host only with `host_from_node`
    (`--host-from-node`), as behind a site's index-time host override."""
    template = _events()[serial]
    out = []
    for number, (time, pid, host) in enumerate(entries, 1):
        stamp = f"msg=audit({time:.3f}:{9000 + number})".encode()
        for line in template:
            line = _STAMP.sub(stamp, line, count=1)
            line = re.sub(rb"(?<= )pid=\d+", f"pid={pid}".encode(), line, count=1)
            out.append((f"node={host} ".encode() if host else b"") + line)
    path.write_bytes(b"\n".join(out) + b"\n")
    return path
