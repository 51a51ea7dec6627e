"""The detection end to end: load it as the app ships it, compile it, read logs through its
raw-line prefilter, execute.

    detection, pipeline = compile_detection()                      # local/ and --filter applied
    outcome = run_detection(pipeline, ["audit.log*"], context)     # one streamed pass
    events, stats = load_events(pipeline, ["audit.log*"])          # read once, execute many times

Every verb that evaluates the detection (run, explain, risk, backtest, tune, replay's check) goes
through here, so the prefilter and the reader's host/source rules are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from linux_auditd_at.audit.reader import DEFAULT_INDEX, AuditReader, ReadStats
from linux_auditd_at.detection import SEARCH_NAME, Detection, load_detection
from linux_auditd_at.spl import Context, Event, Pipeline, Result, compile_search


@dataclass
class Outcome:
    """A finished run: the rows with per-stage counts, and what the reader saw."""

    result: Result
    stats: ReadStats


def compile_detection(app_dir: Path | None = None, *, name: str = SEARCH_NAME,
                      filter_definition: str | None = None) -> tuple[Detection, Pipeline]:
    """The saved search `name`, macros expanded (the filter macro replaced when given), parsed."""
    detection = load_detection(app_dir, name=name, filter_definition=filter_definition)
    return detection, compile_search(detection.expanded_search())


def open_logs(pipeline: Pipeline | None, paths: list[str], *, host: str | None = None,
              index: str = DEFAULT_INDEX, strict: bool = False,
              on_bytes: Callable[[int], None] | None = None) -> AuditReader:
    """A reader over `paths` that skips lines `pipeline` cannot match (all lines when None)."""
    prefilter = pipeline.raw_prefilter() if pipeline is not None else None
    return AuditReader(paths, host=host, index=index, prefilter=prefilter, strict=strict, on_bytes=on_bytes)


def run_detection(pipeline: Pipeline, paths: list[str], context: Context, **reader_options) -> Outcome:
    """Stream the logs through the pipeline once; memory grows with result groups, not events."""
    reader = open_logs(pipeline, paths, **reader_options)
    result = pipeline.execute(reader, context)
    return Outcome(result, reader.stats)


def load_events(pipeline: Pipeline | None, paths: list[str],
                **reader_options) -> tuple[list[Event], ReadStats]:
    """Every event that can pass `pipeline`'s prefilter, in memory, to execute many time windows
    (backtest, tune) over a single read."""
    reader = open_logs(pipeline, paths, **reader_options)
    return list(reader), reader.stats
