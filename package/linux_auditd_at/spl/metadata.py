"""Which `index`, `sourcetype`, `source` or `host` values a search's first stage requires, checked
against the metadata the events were read with.

A site that follows the app's advice and sets `index=os sourcetype="linux:audit"` in its
`linux_auditd` macro gets "No results found" from an offline run whose events are in `main`;
Splunk would find its events in `os`. This says so instead of letting it pass silently.

The first stage's expression is evaluated with three values: a term on one of the metadata fields
is true or false for the given metadata (the engine's own matcher decides, wildcards and case
rules included); every other term is unknown. AND is false when any part is false, OR when every
part is, NOT swaps true and false. When the expression is false for every combination of
metadata read, no event can pass whatever its other fields, and `unmet_terms` names the metadata
terms (outside any NOT) that no combination meets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.pipeline import Pipeline
from linux_auditd_at.spl.search_expr import compile_matcher


def _verdict(expr, metadata: Mapping[str, str]) -> bool | None:
    """True, False, or None (unknown: it depends on fields other than the metadata)."""
    if isinstance(expr, tree.And | tree.Or):
        verdicts = [_verdict(item, metadata) for item in expr.items]
        decisive = isinstance(expr, tree.Or)  # the value that settles it: True for OR, False for AND
        if decisive in verdicts:
            return decisive
        return None if None in verdicts else not decisive
    if isinstance(expr, tree.Not):
        inner = _verdict(expr.item, metadata)
        return None if inner is None else not inner
    if isinstance(expr, tree.FieldCompare | tree.FieldIn) and expr.field in metadata:
        return compile_matcher(expr)(dict(metadata))
    return None


def _terms(expr) -> Iterable[tree.FieldCompare | tree.FieldIn]:
    """The field terms of an expression that stand outside any NOT."""
    if isinstance(expr, tree.And | tree.Or):
        for item in expr.items:
            yield from _terms(item)
    elif isinstance(expr, tree.FieldCompare | tree.FieldIn):
        yield expr


def first_search(pipeline: Pipeline):
    """The expression of the pipeline's first stage when it is a search, else None."""
    node = pipeline.stages[0].node
    return node.expr if isinstance(node, tree.Search) else None


def unmet_terms(pipeline: Pipeline,
                seen: Sequence[Mapping[str, str]]) -> list[tree.FieldCompare | tree.FieldIn]:
    """The metadata terms of the first search no event's metadata meets, when that makes the
    search unable to pass any event (empty otherwise, and when nothing was read)."""
    expr = first_search(pipeline)
    if expr is None or not seen or any(_verdict(expr, metadata) is not False for metadata in seen):
        return []
    return [term for term in _terms(expr) if term.field in seen[0]
            and not any(compile_matcher(term)(dict(metadata)) for metadata in seen)]


def term_text(term: tree.FieldCompare | tree.FieldIn) -> str:
    """A term as SPL: `index="os"`, `sourcetype IN ("a", "b")`."""
    if isinstance(term, tree.FieldIn):
        return f"{term.field} IN ({', '.join(f'{chr(34)}{v}{chr(34)}' for v in term.values)})"
    return f'{term.field}{term.op}"{term.value}"'
