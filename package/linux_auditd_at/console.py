"""The `linux-auditd-at` console script and `python -m linux_auditd_at`: `cli.main`, with Python's
garbage collector kept off the objects that start-up makes.

Start-up makes some hundred thousand objects that live until the process exits (modules,
classes, functions, the parser); the collector walked them again and again while they were made
and once more, in full, at exit: a tenth of the start-up of a `run`. So the collector is paused
while the command line is imported and parsed, and `gc.freeze()` then moves everything made so
far out of its sight: later collections, those at exit and those in the reader's forked
processes (whose memory pages then stay shared), skip it, the use the Python documentation gives
for `gc.freeze`. What the verb makes after that is collected, less often: a verb makes many
objects that live until it ends (a stats group's key and states, a row), and at the default
threshold (a collection of the youngest objects every 700 made) collections kept walking them;
one every YOUNG made takes about 5 % less of a run that returns 23,000 rows, memory unchanged.
Callers of `cli.main` in the same process (the tests) keep the collector as it is.
"""

from __future__ import annotations

import gc

YOUNG = 100_000
"""Objects made between two collections of the youngest generation (Python's default: 700)."""


def main() -> int:
    gc.disable()
    try:
        from linux_auditd_at import cli

        args = cli.parse_args()
    finally:
        gc.enable()
    gc.freeze()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
    return cli.execute(args)
