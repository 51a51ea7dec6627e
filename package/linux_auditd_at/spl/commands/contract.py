"""What every command declares: the record `COMMAND = Command(...)` at the end of its module.

    name       the command's name as written in SPL (lower case); `aliases` are other spellings
    parse      parse(spl, start, end) -> node: the arguments spl[start:end], errors with positions
    prepare    prepare(node, spl) -> step, step(rows, context) -> iterator of rows
    columns    columns(node, cols) -> cols | None: the result columns after it (None: from the rows)
    order      order(node) -> Order: how the command relates to the order of rows (see `pipeline`)
    generating True for a command that starts a search after a leading `|` (it reads no input)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

from linux_auditd_at.structs import Struct

Step = Callable[[Iterable[dict], object], Iterator[dict]]
Node = TypeVar("Node")
"""The command's own node type in `tree` (Search, Stats, ...)."""


class Order(enum.Enum):
    """A command's order contract, which tells the pipeline where events go into search order."""

    KEEPS = "keeps"  # passes rows on in their incoming order; its result does not depend on it
    NEEDS = "needs"  # its result depends on the incoming order (head, dedup, sort ties, first())
    SETS = "sets"    # puts rows in an order of its own whatever the incoming order (stats)


def keeps(node: object) -> Order:
    return Order.KEEPS


def needs(node: object) -> Order:
    return Order.NEEDS


def sets(node) -> Order:
    return Order.SETS


class Command(Struct, Generic[Node]):
    """One command's contract; the module docstring says what each field is."""

    name: str
    parse: Callable[[str, int, int], Node]
    prepare: Callable[[Node, str], Step]
    columns: Callable[[Node, list[str] | None], list[str] | None]
    order: Callable[[Node], Order]
    aliases: tuple[str, ...] = ()
    generating: bool = False


def same_columns(node: object, cols: list[str] | None) -> list[str] | None:
    """`columns` of a command that neither adds nor removes columns."""
    return cols
