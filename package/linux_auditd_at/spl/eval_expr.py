"""Evaluating eval expressions (eval, where) with Splunk's null and type rules.

- Field values that spell numbers act as numbers; string literals are strings. Comparisons are
  numeric when both sides are numbers (so a field "10.0" equals "10": UNVERIFIED), else
  case-sensitive string comparisons. `=` and `==` are
  the same; an unquoted name is a field (`host=web1` compares two fields), a "quoted" one a string.
- Null propagates: arithmetic, `.` and comparisons with a null operand are null; `where` keeps a
  row only when its expression is true. AND/OR/XOR/NOT use three-valued logic.
- Multivalue fields: comparisons match if any value does; string functions apply to each value;
  arithmetic uses the first value (UNVERIFIED).
- `+` adds numbers or concatenates two strings; `.` concatenates anything non-null.
- Functions are records in `spl.functions.FUNCTIONS`; the parser rejects unknown names and wrong
  argument counts, `eval` a true/false result and `where` a value result, all with positions.
"""

from __future__ import annotations

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import tree
from linux_auditd_at.spl.eval_ops import ORDER, arithmetic, compare, in_list, like, scalar
from linux_auditd_at.spl.functions import FUNCTIONS, Evaluator, Kind
from linux_auditd_at.spl.lexer import tokenize_search
from linux_auditd_at.spl.parser import Cursor, parse_search_expression
from linux_auditd_at.spl.search_expr import compile_matcher
from linux_auditd_at.spl.values import as_text, format_number, to_number

_LOGICAL = ("AND", "OR", "XOR")


def is_boolean(expr) -> bool:
    """Whether an expression yields true/false (which eval cannot assign to a field)."""
    if isinstance(expr, tree.BinaryOp):
        return expr.op in ORDER or expr.op in (*_LOGICAL, "LIKE")
    if isinstance(expr, tree.UnaryOp):
        return expr.op == "NOT"
    if isinstance(expr, tree.Call):
        return FUNCTIONS[expr.name].kind is Kind.BOOLEAN
    return isinstance(expr, tree.InList)


def never_boolean(expr) -> bool:
    """Whether an expression can only yield a value, never true/false (so `where` cannot use it)."""
    if isinstance(expr, tree.Literal):
        return not isinstance(expr.value, bool)
    if isinstance(expr, tree.BinaryOp):
        return expr.op in ("+", "-", "*", "/", "%", ".")
    if isinstance(expr, tree.UnaryOp):
        return expr.op == "-"
    if isinstance(expr, tree.Call):
        return FUNCTIONS[expr.name].kind is Kind.VALUE
    return isinstance(expr, tree.FieldRef)


def to_field_value(value: object):
    """An eval result as a row value: numbers print the way Splunk prints them."""
    if isinstance(value, list):
        return [to_field_value(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return value


class _Compiler:
    """Turns an expression tree into nested closures; see `functions.registry` for what function
    builders may ask of it."""

    def __init__(self, spl: str):
        self.spl = spl
        self.context = None  # the run's Context, set by Expression.bind before rows are evaluated

    def matcher(self, text: str, pos: int):
        """A row predicate for search-expression text (searchmatch); errors point at `pos`."""
        try:
            expr = parse_search_expression(Cursor(tokenize_search(text), text))
        except SPLError as err:
            raise self.error(f"bad search in searchmatch(): {err}", pos) from None
        return compile_matcher(expr)

    def error(self, message: str, pos: int) -> SPLError:
        return SPLError(message, spl=self.spl, position=pos)

    def compile(self, expr: tree.EvalExpr) -> Evaluator:
        match expr:
            case tree.Literal(value):
                return lambda row: value
            case tree.FieldRef(name):
                return lambda row: row.get(name)
            case tree.UnaryOp():
                return self._unary(expr)
            case tree.BinaryOp():
                return self._binary(expr)
            case tree.InList(operand_expr, values):
                operand = self.compile(operand_expr)
                options = [self.compile(v) for v in values]
                return lambda row: in_list(operand(row), [o(row) for o in options])
            case tree.Call(name):
                return FUNCTIONS[name].build(self, expr)
            case _:
                raise TypeError(f"not an eval expression: {expr!r}")

    def truth(self, expr: tree.EvalExpr) -> Evaluator:
        """An operand of a logical operator or a condition: true, false or null; anything else is
        an error pointing at where the operand starts."""
        evaluator, pos = self.compile(expr), _start(expr)

        def value(row: dict) -> bool | None:
            result = evaluator(row)
            if result is None or isinstance(result, bool):
                return result
            raise self.error(f"expected a boolean expression, got {as_text(scalar(result))!r}", pos)
        return value

    def _unary(self, expr: tree.UnaryOp) -> Evaluator:
        if expr.op == "NOT":
            operand = self.truth(expr.operand)
            return lambda row: None if (v := operand(row)) is None else not v
        operand = self.compile(expr.operand)
        return lambda row: None if (n := to_number(scalar(operand(row)))) is None else -n

    def _binary(self, expr: tree.BinaryOp) -> Evaluator:
        op = expr.op
        if op in _LOGICAL:
            left, right = self.truth(expr.left), self.truth(expr.right)
            if op == "AND":
                return lambda row: _and(left(row), right, row)
            if op == "OR":
                return lambda row: _or(left(row), right, row)
            return lambda row: None if (a := left(row)) is None or (b := right(row)) is None else a != b
        left, right = self.compile(expr.left), self.compile(expr.right)
        if op in ORDER:
            return lambda row: compare(op, left(row), right(row))
        if op == "LIKE":
            return lambda row: like(left(row), right(row))
        if op == ".":
            return lambda row: None if (a := left(row)) is None or (b := right(row)) is None \
                else as_text(scalar(a)) + as_text(scalar(b))
        return lambda row: arithmetic(op, scalar(left(row)), scalar(right(row)))


def _start(expr: tree.EvalExpr) -> int:
    """Where an expression starts in the SPL (a binary operation at its left operand)."""
    while True:
        match expr:
            case tree.BinaryOp(left=inner) | tree.InList(operand=inner):
                expr = inner
            case _:
                return expr.pos


def _and(a, right, row):
    if a is False:
        return False
    b = right(row)
    if b is False:
        return False
    return None if a is None or b is None else True


def _or(a, right, row):
    if a is True:
        return True
    b = right(row)
    if b is True:
        return True
    return None if a is None or b is None else False


class Expression:
    """A compiled expression; `bind(context)` gives the function row -> value for one run (now()
    and the time functions read the run's Context)."""

    def __init__(self, expr: tree.EvalExpr, spl: str):
        self._compiler = _Compiler(spl)
        self._evaluate = self._compiler.compile(expr)

    def bind(self, context) -> Evaluator:
        self._compiler.context = context
        return self._evaluate


def compile_expression(expr: tree.EvalExpr, spl: str) -> Expression:
    """Compile now, so that errors in literal arguments (a bad regex) are parse errors; function
    names and argument counts were checked by the parser."""
    return Expression(expr, spl)
