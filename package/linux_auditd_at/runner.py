"""The detection end to end: load it as the app ships it, compile it, read logs through its
raw-line prefilter, execute.

    detection, pipeline = compile_detection()                      # local/ and --filter applied
    outcome = run_detection(pipeline, ["audit.log*"], context)     # one streamed pass
    events, stats = load_events(pipeline, ["audit.log*"])          # read once, execute many times

Every verb that evaluates the detection (run, explain, risk, backtest, tune, replay's check) goes
through here, so the prefilter and the reader's host/source rules are the same everywhere: the
host is `host=` (--host), else the dataset metadata's, else this machine's name (`node=` only with
`host_from_node`), and replay sends the events of `load_events` with that same host.
A run reads every line even when the search stops early (`head 0`), so a file that holds no audit
records is refused by `run` as by `check`, and the reader's counts are whole.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from linux_auditd_at.attack_data import log_metadata
from linux_auditd_at.audit.reader import AuditReader, ReadStats
from linux_auditd_at.detection import SEARCH_NAME, Detection, load_detection
from linux_auditd_at.spl import Context, Event, Pipeline, Result, tree
from linux_auditd_at.spl.macros import Macro, called_names
from linux_auditd_at.spl.metadata import term_text, unmet_terms
from linux_auditd_at.structs import Struct, field

FLAGS = {"index": "--index", "sourcetype": "--sourcetype", "source": "--source", "host": "--host"}
"""The option that sets each metadata field of the events read."""


class DetectionRun(Struct, frozen=False):
    """A finished run: the rows with per-stage counts, and what the reader saw."""

    result: Result
    stats: ReadStats
    problems: list[str] = field(default_factory=list)


def compile_detection(app_dir: Path | None = None, *, name: str = SEARCH_NAME,
                      filter_definition: str | None = None,
                      lookup_dirs: tuple[Path, ...] = ()) -> tuple[Detection, Pipeline]:
    """The saved search `name`, macros expanded (the filter macro replaced when given), parsed
    with the app's lookups (and those in `lookup_dirs`)."""
    detection = load_detection(app_dir, name=name, filter_definition=filter_definition,
                               lookup_dirs=lookup_dirs)
    return detection, detection.compile()


def open_logs(pipeline: Pipeline | None, paths: list[str], *, fast: bool = True, jobs: int = 1,
              also: Sequence[Pipeline] = (), **reader_options) -> AuditReader:
    """A reader over `paths` that skips lines `pipeline` cannot match and extracts only the
    fields it (and the pipelines `also` run over the same events) read, all lines and fields when
    `pipeline` is None, with the dataset metadata next to each log; `jobs` processes read large
    plain files; `reader_options` are AuditReader's (host, index, sourcetype, source,
    host_from_node, tz, strict, on_bytes). `fast=False`: every field, each block read line by
    line, one process (the general path, which the fast one must equal)."""
    if pipeline is None:
        return AuditReader(paths, dataset=log_metadata, **reader_options)
    prefilter = pipeline.raw_prefilter()
    if not fast:
        return AuditReader(paths, dataset=log_metadata, prefilter=prefilter, scanner="off", **reader_options)
    reads = [p.fields_read() for p in (pipeline, *also)]
    known = [r for r in reads if r is not None]
    fields = frozenset[str]().union(*known) if len(known) == len(reads) else None
    return AuditReader(paths, dataset=log_metadata, prefilter=prefilter, fields=fields, jobs=jobs,
                       line_program=pipeline.line_program(), **reader_options)


def run_detection(pipeline: Pipeline, paths: list[str], context: Context, **reader_options) -> DetectionRun:
    """Stream the logs through the pipeline once; memory grows with result groups, not events.
    What the search did not pull (it stopped early) is read to the end all the same."""
    reader = open_logs(pipeline, paths, tz=context.tz, **reader_options)
    result = pipeline.execute(reader, context)
    deque(reader, maxlen=0)  # the reader goes on where the search stopped
    return DetectionRun(result, reader.stats)


def load_events(pipeline: Pipeline | None, paths: list[str],
                **reader_options) -> tuple[list[Event], ReadStats]:
    """Every event that can pass `pipeline`'s prefilter, in memory, to execute many time windows
    (backtest, tune) over a single read."""
    reader = open_logs(pipeline, paths, **reader_options)
    return list(reader), reader.stats


def metadata_problems(detection: Detection, pipeline: Pipeline, stats: ReadStats) -> list[str]:
    """One sentence per `index`/`sourcetype`/`source`/`host` term of the base search that no event
    read carries (so no event can pass), naming the macro that sets it and the option to pass."""
    seen = stats.metadata_seen()
    problems = []
    for term in unmet_terms(pipeline, seen):
        name = term.field
        carried = ", ".join(sorted({f"{name}={metadata[name]}" for metadata in seen}))
        value = term.values[0] if isinstance(term, tree.FieldIn) else term.value
        where = _setter(detection, name)
        problems.append(f"the search requires {term_text(term)} ({where}), which no event read carries "
                        f"({carried}): pass {_option(name, value)} if that is where Splunk has "
                        f"them, else change the {'macro' if where.startswith('set by') else 'search'}")
    return problems


def _option(name: str, value: str) -> str:
    """The option giving the events read metadata field `name` = `value`, quoted for a shell."""
    import shlex  # only for a problem's sentence, which most runs never write

    return f"{FLAGS[name]} {shlex.quote(value)}"


def _setter(detection: Detection, field_name: str) -> str:
    """Which macro used by the search (directly or through another macro) names the field, else
    the saved search itself."""
    term = re.compile(rf"(?<![\w.]){re.escape(field_name)}\s*(?:!?=|IN\b)")
    for macro in _used_macros(detection):
        if term.search(macro.definition):
            return f"set by macro `{macro.name}`"
    return f"written in saved search {detection.name!r}"


def _used_macros(detection: Detection) -> list[Macro]:
    """The macros the search calls, and those they call, in the order they are reached."""
    by_name: dict[str, list[Macro]] = {}
    for macro in detection.macros.values():
        by_name.setdefault(macro.name.split("(")[0], []).append(macro)
    used: dict[str, Macro] = {}
    texts = [detection.search]
    while texts:
        for name in called_names(texts.pop(0)):
            for macro in by_name.get(name, ()):
                if macro.name not in used:
                    used[macro.name] = macro
                    texts.append(macro.definition)
    return list(used.values())
