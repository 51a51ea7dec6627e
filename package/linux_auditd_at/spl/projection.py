"""Which event fields a search can read: the reader extracts only those (audit/record.py).

`fields_read(stages)` walks the commands from the last to the first, tracking the fields the
rest of the search reads: `stats` and `table` (and `fields` keeping a list, with the internal
`_raw` it keeps too) start over from the fields they name, `search`, `where`, `eval`, `convert`,
`sort` and `dedup` add the fields their expressions name (a bare term reads `_raw`;
`searchmatch()` every field), `rename` reads the source of every target read later in place of
the target (which it overwrites), `head` and `fields -` add nothing. The result is None (every
field) when the rows at the end show whatever fields the events have (no `stats`/`table`/`fields`
list decides the columns), when a name holds a wildcard, or when a command is not one of these
(`eventstats`, `rex`, `mvexpand`, a lookup, a command added later): a command this walk does not
know reads every field (the general path) until it is listed here.

The set is a superset: reading more fields than a search uses never changes its rows, and a field
no line holds is null either way. `_time` and the metadata fields (host, source, sourcetype,
index) are always in the events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from linux_auditd_at.spl import tree
from linux_auditd_at.structs import Struct, fields

if TYPE_CHECKING:
    from linux_auditd_at.spl.pipeline import Stage

Fields = frozenset[str] | None  # None: every field


def names_read(node: object) -> set[str]:
    """Field names an expression (search or eval) reads; `*` for every field, `_raw` for a bare
    term."""
    if isinstance(node, tree.FieldRef):
        return {node.name}
    if isinstance(node, tree.FieldCompare | tree.FieldIn):
        return {node.field}
    if isinstance(node, tree.BareTerm):
        return {"_raw"}
    if isinstance(node, tree.Call) and node.name == "searchmatch":
        return {"*"}  # the fields its search string names, unknown here: every field
    if isinstance(node, tuple):
        return set().union(*map(names_read, node))
    if isinstance(node, Struct):
        return set().union(*(names_read(getattr(node, name)) for name in fields(node)))
    return set()


def _exact(names: Iterable[str]) -> Fields:
    names = frozenset(names)
    return None if any("*" in name for name in names) else names


def _plus(names: Iterable[str], after: Fields) -> Fields:
    reads = _exact(names)
    return None if reads is None or after is None else reads | after


def _rename(node: tree.Rename, after: Fields) -> Fields:
    """A target read later is the source's value (rename overwrites it, or nulls it when the
    source is missing), so the source is read instead; pairs apply in order, so walk them back."""
    if after is None or any("*" in name for pair in node.pairs for name in pair):
        return None
    for source, target in reversed(node.pairs):
        if target in after:
            after = (after - {target}) | {source}
    return after


def _stats(node: tree.Stats, after: Fields) -> Fields:
    return _exact([*node.by, *(a.field for a in node.aggregations if a.field is not None)])


INTERNAL = ("_raw", "_time")
"""The fields `fields f1 f2` keeps beside its list, as Splunk's does (commands/fields.py)."""


def _fields(node: tree.Fields, after: Fields) -> Fields:
    """`fields - list` passes what it does not remove; `fields list` its list and the internal
    fields, which a later stage may read (a bare term reads `_raw`) or the result show."""
    if node.remove:
        return after
    kept = _exact(node.fields)
    return None if kept is None else kept | (set(INTERNAL) if after is None else after & set(INTERNAL))


def _reads(command: str, node: object, after: Fields) -> Fields | Literal[False]:
    """The fields read by one command and the rest of the search (`after`), or False for a
    command this walk does not know (by name: `eventstats` parses to a `Stats` node too)."""
    match command, node:
        case ("search", tree.Search(expr)) | ("where", tree.Where(expr)):
            return _plus(names_read(expr), after)
        case "eval", tree.Eval(assignments):
            return _plus(names_read(assignments), after)
        case "convert", tree.Convert(_, conversions):
            return _plus((field for _, field, _ in conversions), after)
        case "sort", tree.Sort(keys):
            return _plus((key.field for key in keys), after)
        case "dedup", tree.Dedup(fields):
            return _plus(fields, after)
        case "head", tree.Head():
            return after
        case "rename", tree.Rename():
            return _rename(node, after)
        case "stats", tree.Stats():
            return _stats(node, after)
        case "table", tree.Table(fields):
            return _exact(fields)
        case "fields", tree.Fields():
            return _fields(node, after)
    return False


def fields_read(stages: Iterable[Stage]) -> Fields:
    """The fields the search's commands can read from an event, or None for every field."""
    after: Fields = None
    for stage in reversed(list(stages)):
        reads = _reads(stage.command.name, stage.node, after)
        if reads is False:
            return None
        after = reads
    return after
