"""`eval f=expr [, g=expr ...]`: set fields from expressions, left to right (streaming).

A null result removes the field. A boolean result cannot be assigned (Splunk refuses it too).
"""

from __future__ import annotations

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.contract import Command, keeps
from linux_auditd_at.spl.eval_expr import compile_expression, is_boolean, to_field_value
from linux_auditd_at.spl.lexer import COMMA, EOF, FIELD, IDENT, OP, tokenize_eval
from linux_auditd_at.spl.parser import Cursor, parse_eval_expression

NAME = "eval"


def parse(spl: str, start: int, end: int) -> tree.Eval:
    cursor = Cursor(tokenize_eval(spl, start, end), spl)
    assignments = []
    while True:
        if cursor.peek().kind not in (IDENT, FIELD):
            cursor.fail("expected a field name to assign")
        target = cursor.next().value
        cursor.expect(OP, f"'=' after {target}", "=")
        value_token = cursor.peek()
        expr = parse_eval_expression(cursor)
        if is_boolean(expr):
            raise cursor.error(f"cannot assign a boolean to {target}; use if(condition, a, b)", value_token)
        assignments.append((target, expr))
        if cursor.at(EOF):
            return tree.Eval(tuple(assignments))
        if not cursor.accept(COMMA):
            cursor.fail("expected ',' between assignments")


def prepare(node: tree.Eval, spl: str):
    compiled = [(target, compile_expression(expr, spl), getattr(expr, "pos", 0))
                for target, expr in node.assignments]

    def run(rows, context):
        bound = [(target, expression.bind(context), pos) for target, expression, pos in compiled]
        for row in rows:
            row = dict(row)
            for target, evaluate, pos in bound:
                value = evaluate(row)
                if isinstance(value, bool):
                    raise SPLError(f"cannot assign a boolean to {target}", spl=spl, position=pos)
                if value is None:
                    row.pop(target, None)
                else:
                    row[target] = to_field_value(value)
            yield row
    return run


def columns(node: tree.Eval, cols):
    if cols is None:
        return None
    return cols + [t for t in dict.fromkeys(t for t, _ in node.assignments) if t not in cols]


COMMAND = Command(NAME, parse, prepare, columns, keeps)
