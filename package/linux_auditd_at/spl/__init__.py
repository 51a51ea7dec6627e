"""The embedded SPL engine: evaluates the app's own (macro-expanded) SPL over Splunk-shaped events.

    pipeline = compile_search(expanded_spl, lookups)  # raises SPLError with a position
    keep = pipeline.raw_prefilter()                  # Prefilter | None: keep(raw_line) -> bool
    names = pipeline.fields_read()                   # frozenset of event fields it reads, or None
    result = pipeline.execute(events, Context(now=..., tz=..., earliest=..., latest=...))
    pipeline.execute(events, context, general=True)  # the same Result, never through `fold`
    result.columns, result.rows, result.stages, result.outside_time_range

An event is a dict: `_raw` (str), `_time` (float epoch seconds), `host`, `source`, `sourcetype`,
`index`, and the extracted fields; a value is a str, or a list of str for a multivalue field.
A result row maps column -> str, list[str] or None, the way Splunk's JSON results give them
(numbers as strings: count "3", min(_time) "1795915736.369"; a one-value multivalue as a str).

Supported commands are the records in `commands.COMMANDS`, eval functions those in
`functions.FUNCTIONS` (docs/engine.md lists both; a test keeps the list true), and subsearches
`[ ... ]` that start with a generating command; another Splunk command is an
UnsupportedSPLError, anything else an SPLError, both naming it and its position. `lookups`
(optional) turns a lookup name into a LookupTable (`spl.lookups`): the caller reads the files,
the engine reads none. Each module's docstring states its semantics and marks the UNVERIFIED
choices; tests in tests/spl pin them.

Modules: lexer (tokens), parser (search and eval expressions), tree (AST nodes), search_expr and
eval_expr (evaluation), eval_ops (eval's operators), functions/ (eval functions, one record
each), regex (PCRE with a bounded fallback), commands/<name> (one per command, each declaring its
contract), aggregations (stats functions), prefilter (raw-line test), projection (fields read),
timemodifiers, macros, lookups (tables and matching), subsearch (running `[ ... ]` and format's
text), pipeline (stages and counts), fold (the stages up to stats as one loop).
"""

from __future__ import annotations

from linux_auditd_at.spl.context import Context, Event, Result, Row, StageStats
from linux_auditd_at.spl.lookups import Lookups, LookupTable
from linux_auditd_at.spl.pipeline import Pipeline

__all__ = ["Context", "Event", "LookupTable", "Lookups", "Pipeline", "Result", "Row", "StageStats",
           "compile_search"]


def compile_search(spl: str, lookups: Lookups | None = None) -> Pipeline:
    """Parse expanded SPL, running its subsearches; syntax errors raise SPLError with a position,
    valid SPL the engine cannot run UnsupportedSPLError. `lookups` resolves lookup table names."""
    return Pipeline(spl, lookups)
