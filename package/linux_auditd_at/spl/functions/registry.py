"""The eval function registry: one `Function` record per function, registered where it is written.

    @function("lower", 1, 1, Kind.VALUE)
    def _lower(compiler, call) -> Evaluator: ...

A record holds the name, the argument counts (max None: any number), the result kind and the
builder, which turns an `ast.Call` into an Evaluator (row -> value) with the compiler's help:

    compiler.compile(expr) -> Evaluator    compiler.truth(expr) -> Evaluator of true/false/null
    compiler.error(message, pos) -> SPLError    compiler.matcher(search_text, pos) -> row -> bool
    compiler.context -> the run's Context (now(), time zone), set when the search runs

The parser checks names and argument counts (errors with positions); `eval` refuses a BOOLEAN
result and `where` a VALUE one, both at parse time.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from linux_auditd_at.structs import Struct

Evaluator = Callable[[dict], object]
Builder = Callable[[object, object], Evaluator]


class Kind(enum.Enum):
    BOOLEAN = "boolean"  # true/false (or null): a condition, which eval cannot assign
    VALUE = "value"      # a value, never true/false: where cannot use it as its condition
    EITHER = "either"    # whatever its arguments give (if, case, coalesce)


class Function(Struct):
    name: str
    min_args: int
    max_args: int | None
    kind: Kind
    build: Builder

    def arity_problem(self, count: int) -> str | None:
        """Why `count` arguments are wrong for this function, or None."""
        high = self.max_args
        if self.min_args <= count and (high is None or count <= high):
            return None
        wanted = (f"at least {self.min_args}" if high is None else f"{high}" if self.min_args == high
                  else f"{self.min_args} to {high}")
        return f"{self.name}() takes {wanted} argument{'s' if wanted != '1' else ''}, got {count}"


FUNCTIONS: dict[str, Function] = {}


def function(name: str, min_args: int, max_args: int | None, kind: Kind) -> Callable[[Builder], Builder]:
    """Register the decorated builder as the eval function `name`."""
    def register(build: Builder) -> Builder:
        if name in FUNCTIONS:
            raise ValueError(f"eval function {name}() registered twice")
        FUNCTIONS[name] = Function(name, min_args, max_args, kind, build)
        return build
    return register
