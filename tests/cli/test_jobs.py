"""The default of --jobs: the processors this process may use less those other processes run on
now (/proc/loadavg's runnable count, which includes the reader), at least 1."""

from __future__ import annotations

import os

import pytest

from linux_auditd_at.cli import common


@pytest.mark.parametrize(("line", "busy"), [
    ("0.93 0.80 0.85 1/75 31647", 0),  # only the reader runs: the 0.93 of a finished run is not busy
    ("0.10 0.10 0.10 3/75 31647", 2),
    ("0.00 0.00 0.00 0/75 31647", 0),
])
def test_busy_processors_are_the_other_runnable_tasks(tmp_path, line, busy):
    (tmp_path / "loadavg").write_text(line + "\n")
    assert common.busy_processors(str(tmp_path / "loadavg")) == busy


def test_without_proc_the_load_average_stands_in(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (1.6, 0.2, 0.1))
    assert common.busy_processors(str(tmp_path / "absent")) == 2
    (tmp_path / "odd").write_text("garbage\n")
    assert common.busy_processors(str(tmp_path / "odd")) == 2


@pytest.mark.parametrize(("cpus", "busy", "jobs"), [(2, 0, 2), (2, 1, 1), (2, 5, 1), (8, 3, 5), (1, 0, 1)])
def test_default_jobs_take_the_free_processors(monkeypatch, cpus, busy, jobs):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    monkeypatch.setattr(common, "busy_processors", lambda: busy)
    assert common.default_jobs() == jobs
