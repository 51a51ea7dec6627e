"""Conditions and comparisons (Search Reference, "Comparison and Conditional functions"): if, case,
coalesce, null, true, false, isnull, isnotnull, in, like, match (a PCRE regex that must be a
quoted literal, see `spl.regex`), cidrmatch (IPv4 and IPv6, see `spl.cidr`; a value that is not
an address is false, a multivalue matches if any value does), searchmatch("search") (the search
command's rules on the row, e.g. `_raw` for bare terms; the string must be a quoted literal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.cidr import in_block, parse_cidr
from linux_auditd_at.spl.eval_ops import in_list, like, scalar
from linux_auditd_at.spl.functions.registry import Kind, function
from linux_auditd_at.spl.values import as_text, values_of

if TYPE_CHECKING:
    from linux_auditd_at.spl.regex import Regex


@function("if", 3, 3, Kind.EITHER)
def _if(compiler, call):
    condition = compiler.truth(call.args[0])
    then, otherwise = compiler.compile(call.args[1]), compiler.compile(call.args[2])
    return lambda row: then(row) if condition(row) is True else otherwise(row)


@function("case", 2, None, Kind.EITHER)
def _case(compiler, call):
    if len(call.args) % 2:
        raise compiler.error("case() takes condition, value pairs", call.pos)
    pairs = [(compiler.truth(c), compiler.compile(v))
             for c, v in zip(call.args[::2], call.args[1::2], strict=True)]

    def first(row):
        for condition, value in pairs:
            if condition(row) is True:
                return value(row)
        return None
    return first


@function("coalesce", 1, None, Kind.EITHER)
def _coalesce(compiler, call):
    args = [compiler.compile(a) for a in call.args]
    return lambda row: next((v for a in args if (v := a(row)) is not None), None)


def _constant(name: str, value, kind: Kind) -> None:
    function(name, 0, 0, kind)(lambda compiler, call: (lambda row: value))


_constant("null", None, Kind.VALUE)
_constant("true", True, Kind.BOOLEAN)
_constant("false", False, Kind.BOOLEAN)


def _null_test(name: str, want_null: bool) -> None:
    @function(name, 1, 1, Kind.BOOLEAN)
    def build(compiler, call):
        arg = compiler.compile(call.args[0])
        return lambda row: (arg(row) is None) == want_null


_null_test("isnull", True)
_null_test("isnotnull", False)


@function("in", 2, None, Kind.BOOLEAN)
def _in(compiler, call):
    value = compiler.compile(call.args[0])
    options = [compiler.compile(a) for a in call.args[1:]]
    return lambda row: in_list(value(row), [o(row) for o in options])


@function("like", 2, 2, Kind.BOOLEAN)
def _like(compiler, call):
    value, pattern = compiler.compile(call.args[0]), compiler.compile(call.args[1])
    return lambda row: like(value(row), pattern(row))


def literal_regex(compiler, call, index: int) -> Regex:
    """Argument `index` of a call as a compiled regex; it must be a quoted string."""
    arg = call.args[index]
    if not (isinstance(arg, tree.Literal) and isinstance(arg.value, str)):
        raise compiler.error(f"{call.name}() needs a quoted regular expression as argument {index + 1}",
                             call.pos)
    from linux_auditd_at.spl.regex import Regex, RegexError  # PCRE2 loads for the functions that use it

    try:
        return Regex(arg.value)
    except RegexError as err:
        raise compiler.error(f"bad regular expression in {call.name}(): {err}", arg.pos) from None


def guarded(compiler, pos: int, call):
    """`call` (which runs a user regex), with a match-limit hit an SPL error at `pos`."""
    from linux_auditd_at.spl.regex import guard

    return guard(call, lambda message: compiler.error(message, pos))


@function("match", 2, 2, Kind.BOOLEAN)
def _match(compiler, call):
    value = compiler.compile(call.args[0])
    regex = literal_regex(compiler, call, 1)
    found = guarded(compiler, call.args[1].pos,
                    lambda v: any(regex.search(as_text(x)) is not None for x in values_of(v)))
    return lambda row: None if (v := value(row)) is None else found(v)


@function("cidrmatch", 2, 2, Kind.BOOLEAN)
def _cidrmatch(compiler, call):
    block, value = compiler.compile(call.args[0]), compiler.compile(call.args[1])

    def evaluate(row):
        text, address = scalar(block(row)), value(row)
        if text is None or address is None:
            return None
        network = parse_cidr(as_text(text))
        return network is not None and any(in_block(network, as_text(v)) for v in values_of(address))
    return evaluate


@function("searchmatch", 1, 1, Kind.BOOLEAN)
def _searchmatch(compiler, call):
    arg = call.args[0]
    if not (isinstance(arg, tree.Literal) and isinstance(arg.value, str)):
        raise compiler.error("searchmatch() needs a quoted search string", call.pos)
    matches = compiler.matcher(arg.value, arg.pos)
    return lambda row: matches(row)
