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
- Functions: if case like match in isnull isnotnull lower upper len tonumber tostring coalesce
  null true false. Others are a parse error naming the function.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import ast
from linux_auditd_at.spl.values import as_text, format_number, to_number, values_of

Evaluator = Callable[[dict], object]

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
          "=": operator.eq, "==": operator.eq, "!=": operator.ne}
_BOOLEAN_CALLS = ("like", "match", "in", "isnull", "isnotnull", "true", "false")


def is_boolean(expr) -> bool:
    """Whether an expression yields true/false (which eval cannot assign to a field)."""
    if isinstance(expr, ast.BinaryOp):
        return expr.op in _ORDER or expr.op in ("AND", "OR", "XOR", "LIKE")
    if isinstance(expr, ast.UnaryOp):
        return expr.op == "NOT"
    if isinstance(expr, ast.Call):
        return expr.name in _BOOLEAN_CALLS
    return isinstance(expr, ast.InList)


def never_boolean(expr) -> bool:
    """Whether an expression can only yield a value, never true/false (so `where` cannot use it)."""
    if isinstance(expr, ast.Literal):
        return not isinstance(expr.value, bool)
    if isinstance(expr, ast.BinaryOp):
        return expr.op in ("+", "-", "*", "/", "%", ".")
    if isinstance(expr, ast.UnaryOp):
        return expr.op == "-"
    if isinstance(expr, ast.Call):
        return expr.name in ("lower", "upper", "len", "tonumber", "tostring", "null")
    return isinstance(expr, ast.FieldRef)


def to_field_value(value: object):
    """An eval result as a row value: numbers print the way Splunk prints them."""
    if isinstance(value, list):
        return [to_field_value(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(value)
    return value


def _scalar(value: object) -> object:
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def compare(op: str, left: object, right: object) -> bool | None:
    """`left op right` by eval's rules; multivalue on either side matches if any value does."""
    if left is None or right is None:
        return None
    if isinstance(left, list) or isinstance(right, list):
        pairs = [(a, b) for a in values_of(left) for b in values_of(right)]
        return any(compare(op, a, b) for a, b in pairs) if pairs else None
    a, b = to_number(left), to_number(right)
    if a is not None and b is not None:
        return _ORDER[op](a, b)
    return _ORDER[op](as_text(left), as_text(right))


def like_regex(pattern: str) -> re.Pattern:
    """SQL LIKE: `%` any run, `_` one character; case-sensitive, whole value."""
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL)


class _Compiler:
    def __init__(self, spl: str):
        self.spl = spl

    def error(self, message: str, pos: int) -> SPLError:
        return SPLError(message, spl=self.spl, position=pos)

    def compile(self, expr) -> Evaluator:
        if isinstance(expr, ast.Literal):
            value = expr.value
            return lambda row: value
        if isinstance(expr, ast.FieldRef):
            name = expr.name
            return lambda row: row.get(name)
        if isinstance(expr, ast.UnaryOp):
            return self._unary(expr)
        if isinstance(expr, ast.BinaryOp):
            return self._binary(expr)
        if isinstance(expr, ast.InList):
            operand = self.compile(expr.operand)
            options = [self.compile(v) for v in expr.values]
            return lambda row: _in(operand(row), [o(row) for o in options])
        if isinstance(expr, ast.Call):
            return self._call(expr)
        raise TypeError(f"not an eval expression: {expr!r}")

    def truth(self, expr) -> Evaluator:
        """An operand of a logical operator or a condition: true, false or null; anything else is
        an error pointing at where the operand starts."""
        evaluator, pos = self.compile(expr), _start(expr)

        def value(row: dict) -> bool | None:
            result = evaluator(row)
            if result is None or isinstance(result, bool):
                return result
            raise self.error(f"expected a boolean expression, got {as_text(_scalar(result))!r}", pos)
        return value

    def _unary(self, expr: ast.UnaryOp) -> Evaluator:
        if expr.op == "NOT":
            operand = self.truth(expr.operand)
            return lambda row: None if (v := operand(row)) is None else not v
        operand = self.compile(expr.operand)
        return lambda row: None if (n := to_number(_scalar(operand(row)))) is None else -n

    def _binary(self, expr: ast.BinaryOp) -> Evaluator:
        op = expr.op
        if op in ("AND", "OR", "XOR"):
            left, right = self.truth(expr.left), self.truth(expr.right)
            if op == "AND":
                return lambda row: _and(left(row), right, row)
            if op == "OR":
                return lambda row: _or(left(row), right, row)
            return lambda row: None if (a := left(row)) is None or (b := right(row)) is None else a != b
        left, right = self.compile(expr.left), self.compile(expr.right)
        if op in _ORDER:
            return lambda row: compare(op, left(row), right(row))
        if op == "LIKE":
            return lambda row: _like(left(row), right(row))
        if op == ".":
            return lambda row: None if (a := left(row)) is None or (b := right(row)) is None \
                else as_text(_scalar(a)) + as_text(_scalar(b))
        return lambda row: _arithmetic(op, _scalar(left(row)), _scalar(right(row)))

    def _call(self, expr: ast.Call) -> Evaluator:
        spec = _FUNCTIONS.get(expr.name)
        if spec is None:
            raise self.error(f"unknown eval function {expr.name}()", expr.pos)
        low, high, build = spec
        if not low <= len(expr.args) <= (high if high is not None else len(expr.args)):
            wanted = f"at least {low}" if high is None else f"{low}" if low == high else f"{low} to {high}"
            raise self.error(f"{expr.name}() takes {wanted} arguments, got {len(expr.args)}", expr.pos)
        return build(self, expr)


def _start(expr) -> int:
    """Where an expression starts in the SPL (a binary operation at its left operand)."""
    while isinstance(expr, ast.BinaryOp | ast.InList):
        expr = expr.left if isinstance(expr, ast.BinaryOp) else expr.operand
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


def _in(value, options):
    if value is None:
        return None
    return any(compare("=", value, option) for option in options if option is not None)


def _like(value, pattern):
    if value is None or pattern is None:
        return None
    regex = like_regex(as_text(_scalar(pattern)))
    return any(regex.fullmatch(as_text(v)) is not None for v in values_of(value))


def _arithmetic(op: str, a, b):
    if a is None or b is None:
        return None
    x, y = to_number(a), to_number(b)
    if x is None or y is None:
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        return None
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        return None
    if op == "%":
        return x % y
    if isinstance(x, int) and isinstance(y, int) and x % y == 0:
        return x // y
    return x / y


# --- functions: name -> (min args, max args or None, builder) ------------------------------------


def _map_text(function: Callable[[str], object]):
    def build(compiler: _Compiler, expr: ast.Call) -> Evaluator:
        arg = compiler.compile(expr.args[0])

        def apply(row):
            value = arg(row)
            if value is None:
                return None
            if isinstance(value, list):
                return [function(as_text(v)) for v in value]
            return function(as_text(value))
        return apply
    return build


def _if(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    condition = compiler.truth(expr.args[0])
    then, otherwise = compiler.compile(expr.args[1]), compiler.compile(expr.args[2])
    return lambda row: then(row) if condition(row) is True else otherwise(row)


def _case(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    if len(expr.args) % 2:
        raise compiler.error("case() takes condition, value pairs", expr.pos)
    pairs = [(compiler.truth(c), compiler.compile(v))
             for c, v in zip(expr.args[::2], expr.args[1::2], strict=True)]

    def first(row):
        for condition, value in pairs:
            if condition(row) is True:
                return value(row)
        return None
    return first


def _match(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    value = compiler.compile(expr.args[0])
    regex_arg = expr.args[1]
    if not (isinstance(regex_arg, ast.Literal) and isinstance(regex_arg.value, str)):
        raise compiler.error("match() needs a quoted regular expression as its second argument", expr.pos)
    try:
        regex = re.compile(regex_arg.value)
    except re.error as err:
        raise compiler.error(f"bad regular expression in match(): {err}", regex_arg.pos) from None
    return lambda row: None if (v := value(row)) is None else \
        any(regex.search(as_text(x)) is not None for x in values_of(v))


def _like_call(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    value, pattern = compiler.compile(expr.args[0]), compiler.compile(expr.args[1])
    return lambda row: _like(value(row), pattern(row))


def _in_call(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    value = compiler.compile(expr.args[0])
    options = [compiler.compile(a) for a in expr.args[1:]]
    return lambda row: _in(value(row), [o(row) for o in options])


def _tonumber(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    value = compiler.compile(expr.args[0])
    base = compiler.compile(expr.args[1]) if len(expr.args) > 1 else None

    def convert(row):
        text = _scalar(value(row))
        if text is None:
            return None
        if base is None:
            return to_number(text)
        radix = to_number(base(row))
        if not isinstance(radix, int) or not 2 <= radix <= 36:
            raise compiler.error("tonumber() base must be an integer from 2 to 36", expr.pos)
        try:
            return int(as_text(text), radix)
        except ValueError:
            return None
    return convert


def _tostring(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    value = compiler.compile(expr.args[0])
    if len(expr.args) == 1:
        return lambda row: None if (v := _scalar(value(row))) is None else as_text(v)
    form = expr.args[1]
    if not (isinstance(form, ast.Literal) and form.value == "hex"):
        raise compiler.error('tostring() supports only the "hex" format', form.pos)
    # UNVERIFIED: Splunk's hex prints upper-case digits with a 0x prefix.
    return lambda row: None if (n := to_number(_scalar(value(row)))) is None else f"0x{int(n):X}"


def _coalesce(compiler: _Compiler, expr: ast.Call) -> Evaluator:
    args = [compiler.compile(a) for a in expr.args]
    return lambda row: next((v for a in args if (v := a(row)) is not None), None)


def _constant(value):
    return lambda compiler, expr: (lambda row: value)


def _null_test(want_null: bool):
    def build(compiler: _Compiler, expr: ast.Call) -> Evaluator:
        arg = compiler.compile(expr.args[0])
        return lambda row: (arg(row) is None) == want_null
    return build


_FUNCTIONS = {
    "if": (3, 3, _if),
    "case": (2, None, _case),
    "like": (2, 2, _like_call),
    "match": (2, 2, _match),
    "in": (2, None, _in_call),
    "isnull": (1, 1, _null_test(True)),
    "isnotnull": (1, 1, _null_test(False)),
    "lower": (1, 1, _map_text(str.lower)),
    "upper": (1, 1, _map_text(str.upper)),
    "len": (1, 1, _map_text(len)),
    "tonumber": (1, 2, _tonumber),
    "tostring": (1, 2, _tostring),
    "coalesce": (1, None, _coalesce),
    "null": (0, 0, _constant(None)),
    "true": (0, 0, _constant(True)),
    "false": (0, 0, _constant(False)),
}


def compile_expression(expr, spl: str) -> Evaluator:
    """A function row -> value; unknown functions and wrong argument counts raise SPLError."""
    return _Compiler(spl).compile(expr)
