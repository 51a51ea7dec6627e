"""Try a new definition of the filter macro against recorded logs, and save it to `local/`.

The comparison runs the search twice over the same events, once as the app is configured now
(`local/` over `default/`) and once with the new filter, and backtests both schedules to give
the change in alerts per day. Saving writes only `local/macros.conf`: an app upgrade replaces
`default/`, and Splunk layers `local/` over it key by key.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ksconf.conf.parser import (
    GLOBAL_STANZA,
    PARSECONF_MID,
    ConfParserException,
    DuplicateStanzaException,
    parse_conf,
    write_conf_stream,
)

from linux_auditd_at import atomic
from linux_auditd_at.detection import FILTER_MACRO, Detection
from linux_auditd_at.errors import ConfError, OutputError, ToolkitError
from linux_auditd_at.spl import Context, Pipeline, Row
from linux_auditd_at.tuning.backtest import Backtest, TimeSortedEvents, run_backtest

LOCAL_HEADER = ("# Local tuning of the app's search macros: Splunk layers this file over default/macros.conf,"
                " and an app upgrade keeps it.")


@dataclass(frozen=True)
class FilterComparison:
    """The current filter's rows, those the new filter removes (and adds), and both backtests."""

    current: Detection
    proposed: Detection
    columns: list[str]
    current_rows: list[Row]
    removed: list[Row]
    added: list[Row]
    before: Backtest
    after: Backtest
    warnings: list[str]

    @property
    def kept(self) -> list[Row]:
        """Rows of the current filter that the new filter keeps too."""
        return row_difference(self.current_rows, self.removed)

    @property
    def alerts_per_day_change(self) -> float:
        return self.after.per_day(self.after.alerts) - self.before.per_day(self.before.alerts)


def _key(row: Row) -> str:
    """A row's identity: its non-null cells (a filter that adds a column, such as the allow-list's
    `lookup ... OUTPUT reason | where isnull(reason)`, leaves it null on the rows it keeps)."""
    return json.dumps({name: value for name, value in row.items() if value is not None}, sort_keys=True,
                      default=str)


def row_difference(rows: list[Row], minus: list[Row]) -> list[Row]:
    """Rows of `rows` not in `minus`, as multisets (a row twice in `rows` and once in `minus`
    leaves one), in the order of `rows`."""
    left = Counter(_key(row) for row in minus)
    out = []
    for row in rows:
        key = _key(row)
        if left[key]:
            left[key] -= 1
        else:
            out.append(row)
    return out


def baseline(current: Detection) -> tuple[Detection, Pipeline, str | None]:
    """The detection as configured now and its compiled search; when its stored filter cannot run
    offline (SPL the engine does not support, a lookup it cannot find), the detection with the
    filter macro set to `search *` instead, and why, so that a new filter can still be tried."""
    try:
        return current, current.compile(), None
    except ToolkitError as exc:
        unfiltered = current.with_filter("search *")
        return unfiltered, unfiltered.compile(), str(exc)


def compare_filters(current: Detection, definition: str, events: TimeSortedEvents, context: Context, *,
                    start: float | None = None, end: float | None = None,
                    current_pipeline: Pipeline | None = None,
                    proposed_pipeline: Pipeline | None = None) -> FilterComparison:
    """Run the search with the current filter and with `definition` over the same events; the
    schedules are walked in context.tz. `current_pipeline` is `current` compiled, and
    `proposed_pipeline` the search with `definition`, when the caller has them already."""
    proposed = current.with_filter(definition)
    pipelines = {"current": current_pipeline or current.compile(),
                 "proposed": proposed_pipeline or proposed.compile()}
    results = {name: pipeline.execute(events.events, context) for name, pipeline in pipelines.items()}
    before = run_backtest(current, events, context.tz, start=start, end=end, pipeline=pipelines["current"])
    after = run_backtest(proposed, events, context.tz, start=start, end=end, pipeline=pipelines["proposed"])
    old, new = results["current"].rows, results["proposed"].rows
    columns = list(dict.fromkeys(results["current"].columns + results["proposed"].columns))
    return FilterComparison(current, proposed, columns, old, row_difference(old, new),
                            row_difference(new, old), before, after,
                            pipelines["current"].warnings + pipelines["proposed"].warnings)


def refuse_unstorable(definition: str) -> None:
    """Raise ConfError when a .conf value cannot hold `definition` as written: a line break would
    end the value (or, written as a continuation, join the next line into it), and a trailing
    backslash continues the value onto the next line of the file."""
    if "\n" in definition or "\r" in definition:
        raise ConfError("the filter holds a line break, which a .conf value cannot store as written; "
                        "put it on one line")
    if definition.rstrip().endswith("\\"):
        raise ConfError("the filter ends with a backslash, which a .conf file reads as a line "
                        "continuation; remove it or add a space and a term after it")


def write_filter(app_dir: Path, definition: str, macro: str = FILTER_MACRO) -> tuple[Path, bool]:
    """Set the filter macro's definition in `local/macros.conf`, keeping every other stanza, key
    and comment as it is; returns the file and whether it changed (a second identical write does
    not touch the file). `macro` is the stanza (Detection.filter_macro). The file is read and
    replaced under a lock (atomic.py), so concurrent writers each keep the others' changes."""
    refuse_unstorable(definition)
    path = app_dir / "local" / "macros.conf"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror or exc}", path=str(path)) from exc
    with atomic.locked(path):
        # reading through a symlink could copy any file into the app; replacing it would cut it
        if path.is_symlink():
            raise OutputError("is a symbolic link; tune --write replaces only a regular file (edit the "
                              "file it points to instead)", path=str(path))
        old, stanzas = _read_local(path)
        stanzas.setdefault(macro, {})["definition"] = definition
        text = io.StringIO()
        write_conf_stream(text, stanzas, sort=False)
        if text.getvalue() == old:
            return path, False
        atomic.replace(path, text.getvalue().encode("utf-8"))
    return path, True


def _read_local(path: Path) -> tuple[str | None, dict]:
    """The file's text (None when missing) and its stanzas, comments kept."""
    try:
        text = atomic.read_text(path)
        if text is None:
            return None, {GLOBAL_STANZA: {"#-000001": LOCAL_HEADER}}
        return text, parse_conf(io.StringIO(text), profile=PARSECONF_MID)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", path=str(path)) from exc
    except (ConfParserException, DuplicateStanzaException) as exc:
        raise ConfError(str(exc), path=str(path)) from exc
