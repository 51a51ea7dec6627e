"""Parsers for the two expression languages: search expressions and eval expressions.

Search expressions bind NOT tighter than OR, and OR tighter than AND (Splunk's order, unlike
most languages): `A=1 AND B=2 OR C=3` is `A=1 AND (B=2 OR C=3)`; AND is implied between terms.
Operators are upper case; lower-case `and`/`or`/`not` are ordinary terms. An empty group `()`
matches everything (UNVERIFIED; it is what the format command's empty result `NOT ( )` needs to
mean for an empty subsearch to keep no event, as Splunk's does).

Eval expressions use the usual order, loosest first: OR, XOR, AND, NOT, comparison (and LIKE,
IN), `+ - .`, `* / %`, unary minus. `.` (concatenation) sharing the level of `+`/`-` is
UNVERIFIED. Keywords are upper case only (UNVERIFIED for eval; chosen to match search).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from linux_auditd_at.errors import SPLError, UnsupportedSPLError
from linux_auditd_at.spl import tree
from linux_auditd_at.spl.lexer import (
    COMMA,
    EOF,
    FIELD,
    IDENT,
    LPAREN,
    NUMBER,
    OP,
    RPAREN,
    STRING,
    WORD,
    Token,
    TokenKind,
)
from linux_auditd_at.spl.tree import EvalExpr, SearchExpr
from linux_auditd_at.spl.values import to_number

MAX_NESTING = 1000
"""Deepest nesting the parsers take: parentheses (also of function calls) plus a run of prefix
operators (NOT, unary -/+) plus the binary `+ - . * / %` chained in a row at each open
parenthesis (left-associative, so `1 + 1 + 1` nests one level per operator; AND/OR/XOR chains
are balanced and do not count). Deeper SPL is an SPLError at the token that goes past it, before
any recursion. The parsers and evaluators recurse once per level (up to FRAMES_PER_LEVEL frames:
eval's precedence levels), so for SPL deeper than Python's default recursion limit allows,
that limit is raised (never lowered) to what the depth needs; 3,000 levels were run safely on
the main thread and in a thread, so the C stack has room for MAX_NESTING. UNVERIFIED: Splunk's
own nesting limit is not documented; this one is ours."""
FRAMES_PER_LEVEL = 24
_PREFIX = {(WORD, "NOT"), (IDENT, "NOT"), (OP, "-"), (OP, "+")}
_CHAINED = frozenset("+-.*/%")
_OPERANDS = {NUMBER, STRING, FIELD, IDENT, WORD}
_CHAIN_BREAKS = {"AND", "OR", "XOR", "NOT", "LIKE", "IN"}


def check_nesting(tokens: list[Token], spl: str) -> None:
    """Raise SPLError when `tokens` nest deeper than MAX_NESTING; make room for their depth."""
    run = deepest = chained = 0
    chains = [0]  # binary operators in a row, per open parenthesis; `chained` is their sum
    previous: Token | None = None
    for token in tokens:
        binary = (token.kind == OP and token.value in _CHAINED and previous is not None
                  and previous.kind in (*_OPERANDS, RPAREN) and previous.value not in _CHAIN_BREAKS)
        if token.kind == LPAREN:
            chains.append(0)
        elif token.kind == RPAREN and len(chains) > 1:
            chained -= chains.pop()
        elif binary:
            chains[-1] += 1
            chained += 1
        elif token.kind not in _OPERANDS or token.value in _CHAIN_BREAKS:
            chained -= chains[-1]
            chains[-1] = 0
        run = run + 1 if (token.kind, token.value) in _PREFIX and not binary else 0
        deepest = max(deepest, len(chains) - 1 + run + chained)
        if deepest > MAX_NESTING:
            raise SPLError(f"nested more than {MAX_NESTING} levels deep (parentheses, NOT, unary minus, "
                           "operators such as + in a row)", spl=spl, position=token.pos)
        previous = token
    needed = 1000 + FRAMES_PER_LEVEL * deepest
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)


class Cursor:
    """A read position in a token list, with errors that point into the SPL."""

    def __init__(self, tokens: list[Token], spl: str):
        check_nesting(tokens, spl)
        self.tokens, self.spl, self.index = tokens, spl, 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def at(self, kind: TokenKind, value: str | None = None, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == kind and (value is None or token.value == value)

    def accept(self, kind: TokenKind, value: str | None = None) -> Token | None:
        return self.next() if self.at(kind, value) else None

    def expect(self, kind: TokenKind, what: str, value: str | None = None) -> Token:
        if not self.at(kind, value):
            self.fail(f"expected {what}")
        return self.next()

    def fail(self, message: str, token: Token | None = None) -> NoReturn:
        token = token or self.peek()
        found = "end of command" if token.kind == EOF else repr(self.spl[token.pos:token.end])
        raise SPLError(f"{message}, found {found}", spl=self.spl, position=token.pos)

    def error(self, message: str, token: Token | None = None) -> SPLError:
        return SPLError(message, spl=self.spl, position=(token or self.peek()).pos)


# --- search expressions -------------------------------------------------------------------------

_SEARCH_OPERATORS = ("AND", "OR", "NOT")


def parse_search_expression(cursor: Cursor) -> SearchExpr | None:
    """The whole token list as one search expression; None when there are no terms."""
    if cursor.at(EOF):
        return None
    expr = _search_and(cursor)
    if not cursor.at(EOF):
        cursor.fail("unexpected token in search")
    return expr


def _starts_term(cursor: Cursor) -> bool:
    token = cursor.peek()
    if token.kind == WORD:
        return token.value not in ("AND", "OR")
    return token.kind in (STRING, LPAREN)


def _search_and(cursor: Cursor) -> SearchExpr:
    items = [_search_or(cursor)]
    while True:
        if cursor.accept(WORD, "AND"):
            items.append(_search_or(cursor))
        elif _starts_term(cursor):
            items.append(_search_or(cursor))
        else:
            break
    return items[0] if len(items) == 1 else tree.And(tuple(items))


def _search_or(cursor: Cursor) -> SearchExpr:
    items = [_search_not(cursor)]
    while cursor.accept(WORD, "OR"):
        items.append(_search_not(cursor))
    return items[0] if len(items) == 1 else tree.Or(tuple(items))


def _search_not(cursor: Cursor) -> SearchExpr:
    if cursor.accept(WORD, "NOT"):
        return tree.Not(_search_not(cursor))
    return _search_primary(cursor)


def _directive(cursor: Cursor) -> tuple[str, bool] | None:
    """CASE(x) / TERM(x) at the cursor: (x, case_sensitive), consumed; else None."""
    if cursor.peek().kind == WORD and cursor.peek().value in ("CASE", "TERM") and cursor.at(LPAREN, ahead=1):
        name = cursor.next().value
        cursor.next()
        inner = cursor.peek()
        if inner.kind not in (WORD, STRING):
            cursor.fail(f"expected a term inside {name}()")
        cursor.next()
        cursor.expect(RPAREN, f"')' to close {name}(")
        return inner.value, name == "CASE"
    return None


def _search_value(cursor: Cursor, op: Token) -> tuple[str, bool]:
    directive = _directive(cursor)
    if directive:
        return directive
    token = cursor.peek()
    if token.kind not in (WORD, STRING):
        cursor.fail(f"expected a value after {op.value!r}")
    return cursor.next().value, False


def _search_primary(cursor: Cursor) -> SearchExpr:
    token = cursor.peek()
    if token.kind == LPAREN:
        cursor.next()
        if cursor.accept(RPAREN):
            return tree.And(())  # `()`: matches everything, so format's empty `NOT ( )` matches nothing
        expr = _search_and(cursor)
        cursor.expect(RPAREN, "')'")
        return expr
    directive = _directive(cursor)
    if directive:
        return tree.BareTerm(*directive)
    if token.kind == WORD and token.value in _SEARCH_OPERATORS:
        cursor.fail(f"expected a search term after {cursor.tokens[cursor.index - 1].value!r}"
                    if cursor.index else "expected a search term")
    field_like = cursor.at(OP, ahead=1) or cursor.at(WORD, "IN", ahead=1)
    if token.kind == WORD and "*" in token.value and field_like:
        cursor.fail("wildcards in field names are not supported", token)
    if token.kind == WORD and cursor.at(OP, ahead=1):
        cursor.next()
        op = cursor.next()
        if op.value == "==":
            cursor.fail("'==' is not a search operator (use '=')", op)
        value, case_sensitive = _search_value(cursor, op)
        return tree.FieldCompare(token.value, op.value, value, case_sensitive)
    if token.kind == WORD and cursor.at(WORD, "IN", ahead=1) and cursor.at(LPAREN, ahead=2):
        cursor.next(), cursor.next(), cursor.next()
        values = []
        while not cursor.at(RPAREN):
            if cursor.peek().kind not in (WORD, STRING):
                cursor.fail(f"expected a value in the IN list of {token.value!r}")
            values.append(cursor.next().value)
            if not cursor.accept(COMMA) and not cursor.at(RPAREN):
                cursor.fail("expected ',' or ')' in IN list")
        cursor.next()
        if not values:
            cursor.fail(f"empty IN list for {token.value!r}", token)
        return tree.FieldIn(token.value, tuple(values))
    if token.kind in (WORD, STRING):
        cursor.next()
        return tree.BareTerm(token.value)
    cursor.fail("expected a search term")


# --- eval expressions ---------------------------------------------------------------------------

_EVAL_KEYWORDS = ("AND", "OR", "XOR", "NOT", "LIKE", "IN")
_COMPARISONS = ("=", "==", "!=", "<", "<=", ">", ">=")


def parse_eval_expression(cursor: Cursor) -> EvalExpr:
    """One eval expression; stops before a token it cannot continue with (`,` or end)."""
    return _eval_or(cursor)


def _keyword(cursor: Cursor, word: str) -> Token | None:
    return cursor.accept(IDENT, word)


def _eval_binary(cursor: Cursor, word: str, operand: Callable[[Cursor], EvalExpr]) -> EvalExpr:
    """`operand (word operand)*` for OR, XOR, AND, built as a balanced tree: they are associative
    (also in three-valued logic) and the operands still evaluate left to right, so 10,000 ORs
    nest 14 deep instead of 10,000."""
    items, positions = [operand(cursor)], []
    while token := _keyword(cursor, word):
        positions.append(token.pos)
        items.append(operand(cursor))
    return _balanced(word, items, positions)


def _balanced(word: str, items: list[EvalExpr], positions: list[int]) -> EvalExpr:
    """`items` joined by `word`; positions[i] is the operator between items[i] and items[i + 1]."""
    if len(items) == 1:
        return items[0]
    middle = len(items) // 2
    return tree.BinaryOp(word, _balanced(word, items[:middle], positions[:middle - 1]),
                        _balanced(word, items[middle:], positions[middle:]), positions[middle - 1])


def _eval_or(cursor: Cursor) -> EvalExpr:
    return _eval_binary(cursor, "OR", _eval_xor)


def _eval_xor(cursor: Cursor) -> EvalExpr:
    return _eval_binary(cursor, "XOR", _eval_and)


def _eval_and(cursor: Cursor) -> EvalExpr:
    return _eval_binary(cursor, "AND", _eval_not)


def _eval_not(cursor: Cursor) -> EvalExpr:
    if token := _keyword(cursor, "NOT"):
        return tree.UnaryOp("NOT", _eval_not(cursor), token.pos)
    return _eval_comparison(cursor)


def _eval_comparison(cursor: Cursor) -> EvalExpr:
    left = _eval_additive(cursor)
    token = cursor.peek()
    if token.kind == OP and token.value in _COMPARISONS:
        cursor.next()
        return tree.BinaryOp(token.value, left, _eval_additive(cursor), token.pos)
    if _keyword(cursor, "LIKE"):
        return tree.BinaryOp("LIKE", left, _eval_additive(cursor), token.pos)
    if _keyword(cursor, "IN"):
        cursor.expect(LPAREN, "'(' after IN")
        values = [parse_eval_expression(cursor)]
        while cursor.accept(COMMA):
            values.append(parse_eval_expression(cursor))
        cursor.expect(RPAREN, "')' to close IN (")
        return tree.InList(left, tuple(values), token.pos)
    return left


def _eval_operators(cursor: Cursor, operators: tuple[str, ...],
                    operand: Callable[[Cursor], EvalExpr]) -> EvalExpr:
    """`operand (op operand)*` for one level of left-associative operators."""
    left = operand(cursor)
    while cursor.peek().kind == OP and cursor.peek().value in operators:
        token = cursor.next()
        left = tree.BinaryOp(token.value, left, operand(cursor), token.pos)
    return left


def _eval_additive(cursor: Cursor) -> EvalExpr:
    return _eval_operators(cursor, ("+", "-", "."), _eval_multiplicative)


def _eval_multiplicative(cursor: Cursor) -> EvalExpr:
    return _eval_operators(cursor, ("*", "/", "%"), _eval_unary)


def _eval_unary(cursor: Cursor) -> EvalExpr:
    if token := cursor.accept(OP, "-"):
        return tree.UnaryOp("-", _eval_unary(cursor), token.pos)
    if cursor.accept(OP, "+"):
        return _eval_unary(cursor)
    return _eval_primary(cursor)


def _eval_primary(cursor: Cursor) -> EvalExpr:
    token = cursor.peek()
    if token.kind == NUMBER:
        cursor.next()
        return tree.Literal(to_number(token.value), token.pos)
    if token.kind == STRING:
        cursor.next()
        return tree.Literal(token.value, token.pos)
    if token.kind == FIELD:
        cursor.next()
        return tree.FieldRef(token.value, token.pos)
    if token.kind == LPAREN:
        cursor.next()
        expr = parse_eval_expression(cursor)
        cursor.expect(RPAREN, "')'")
        return expr
    if token.kind == IDENT and token.value not in _EVAL_KEYWORDS:
        cursor.next()
        if not cursor.accept(LPAREN):
            return tree.FieldRef(token.value, token.pos)
        args = []
        if not cursor.at(RPAREN):
            args.append(parse_eval_expression(cursor))
            while cursor.accept(COMMA):
                args.append(parse_eval_expression(cursor))
        cursor.expect(RPAREN, f"',' or ')' in the arguments of {token.value}()")
        return _call(cursor, token, args)
    cursor.fail("expected a value, field name or function call")


def _call(cursor: Cursor, name: Token, args: list[EvalExpr]) -> tree.Call:
    """A call of a registered eval function with an argument count it takes."""
    from linux_auditd_at.spl.functions import FUNCTIONS, SPLUNK_EVAL_FUNCTIONS  # loaded by the first call

    function = FUNCTIONS.get(name.value)
    if function is None and name.value in SPLUNK_EVAL_FUNCTIONS:
        raise UnsupportedSPLError(f"eval function {name.value}() is valid SPL but not supported by the "
                                  "offline engine", spl=cursor.spl, position=name.pos)
    if function is None:
        raise cursor.error(f"unknown eval function {name.value}()", name)
    problem = function.arity_problem(len(args))
    if problem:
        raise cursor.error(problem, name)
    return tree.Call(name.value, tuple(args), name.pos)
