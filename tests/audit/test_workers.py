"""ordered_map: results in task order from forked children, their errors raised in the parent,
no child left behind."""

from __future__ import annotations

import os
import signal

import pytest

from linux_auditd_at.audit.workers import WorkerLost, ordered_map


def _alive(pid: int) -> bool:
    """Whether `pid` is a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_results_come_in_task_order_from_several_children():
    results = list(ordered_map(lambda n: (n, os.getpid()), range(7), 3))
    assert [n for n, _ in results] == list(range(7))
    pids = {pid for _, pid in results}
    assert len(pids) == 3 and os.getpid() not in pids
    assert list(ordered_map(str, [1], 4)) == ["1"]  # more jobs than tasks
    assert list(ordered_map(str, [], 2)) == []


def test_a_childs_exception_is_raised_at_its_tasks_turn():
    def work(n: int) -> int:
        if n == 4:
            raise ValueError(f"bad task {n}")
        return n

    results = ordered_map(work, range(8), 2)
    assert [next(results) for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="bad task 4"):
        next(results)


def test_a_child_that_dies_is_reported_with_its_signal():
    def work(n: int) -> int:
        if n == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return n

    with pytest.raises(WorkerLost, match="killed by SIGKILL"):
        list(ordered_map(work, range(4), 2))


def test_no_child_outlives_a_generator_closed_early():
    results = ordered_map(lambda n: os.getpid(), range(50), 2)
    first, second = next(results), next(results)
    results.close()
    assert not _alive(first) and not _alive(second)
    with pytest.raises(ChildProcessError):
        os.waitpid(first, os.WNOHANG)  # reaped, not a zombie
