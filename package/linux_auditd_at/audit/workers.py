"""`ordered_map(work, tasks, jobs)`: `work(task)` for every task, computed by `jobs` forked
children, the results yielded in task order.

Child i takes tasks i, i + jobs, i + 2 * jobs, ... and pickles each result into its own pipe as
soon as it is made; the pipe's small buffer holds the child back until the parent has read its
previous result, so at most about one result per child waits in memory. The children are forked,
so `work` may be any callable (a bound method, a closure) and sees the parent's state as it was.
The caller imports and compiles what `work` needs before the first result is asked for: a child
forked while another thread of the parent held a lock (the import lock, a logging handler's)
finds it held forever, so a child should take no lock the parent's threads may hold.
This is what `multiprocessing.Pool` would do here, without its import, threads and task queue
(about 50 ms of a run on this project's 2-core machines).

Errors: an exception raised by `work` in a child is raised again in the parent, at that task's
turn (the child stops there); a child that dies without a result (killed, out of memory) is a
`WorkerLost` naming its exit status. When the parent stops reading early (an error, a closed
generator, Ctrl-C), every child is killed and reaped; no child outlives the generator. A child
ends with `os._exit`, so it never runs the parent's exit handlers nor flushes its buffers.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar

from linux_auditd_at.errors import ToolkitError

Task = TypeVar("Task")
Result = TypeVar("Result")


class WorkerLost(ToolkitError):
    """A child process ended without sending the result it owed (killed, out of memory): the
    environment's doing, said in one line like any ToolkitError."""


def ordered_map(work: Callable[[Task], Result], tasks: Sequence[Task], jobs: int) -> Iterator[Result]:
    """The results of `work` over `tasks`, in order, from `jobs` forked children (see above)."""
    children: list[tuple[int, BinaryIO]] = []
    try:
        for first in range(min(jobs, len(tasks))):
            children.append(_fork(work, tasks[first::jobs]))
        for index in range(len(tasks)):
            pid, pipe = children[index % len(children)]
            yield _receive(pid, pipe)
    finally:
        for pid, pipe in children:
            pipe.close()
            _end(pid)


def _fork(work: Callable[[Task], Result], tasks: Sequence[Task]) -> tuple[int, BinaryIO]:
    """A child working through `tasks`, and the pipe its results come through."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _serve(work, tasks, write_end)
    os.close(write_end)
    return pid, os.fdopen(read_end, "rb")


def _serve(work: Callable[[Task], Result], tasks: Sequence[Task], write_end: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends a child quietly; the parent reports it
    status = 0
    try:
        with os.fdopen(write_end, "wb") as out:
            for task in tasks:
                try:
                    message: tuple[bool, object] = (True, work(task))
                except Exception as exc:  # raised again in the parent, at this task's turn
                    message = (False, exc)
                _send(out, message)
                if not message[0]:
                    break
    except BaseException:  # the parent stopped reading (a broken pipe), or a signal
        status = 1
    finally:
        os._exit(status)


def _send(out: BinaryIO, message: tuple[bool, object]) -> None:
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception that cannot be pickled: its text
        data = pickle.dumps((False, RuntimeError(f"{message[1]!r} ({exc})")))
    out.write(data)
    out.flush()


def _receive(pid: int, pipe: BinaryIO) -> Any:
    try:
        ok, value = pickle.load(pipe)
    except EOFError:
        _, status = os.waitpid(pid, 0)
        raise WorkerLost(f"a reading process ended without its result ({_status(status)})") from None
    if not ok:
        assert isinstance(value, Exception)
        raise value
    return value


def _end(pid: int) -> None:
    """Kill the child if it still runs, and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):  # reaped already (by `_receive`)
        pass


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
