"""`where <eval expression>`: keep the rows for which the expression is true (streaming)."""

from __future__ import annotations

from linux_auditd_at.spl import tree
from linux_auditd_at.spl.commands.contract import Command, keeps, same_columns
from linux_auditd_at.spl.eval_expr import compile_expression, never_boolean
from linux_auditd_at.spl.lexer import EOF, tokenize_eval
from linux_auditd_at.spl.parser import Cursor, parse_eval_expression

NAME = "where"


def parse(spl: str, start: int, end: int) -> tree.Where:
    cursor = Cursor(tokenize_eval(spl, start, end), spl)
    if cursor.at(EOF):
        cursor.fail("where needs an expression")
    start_token = cursor.peek()
    expr = parse_eval_expression(cursor)
    if not cursor.at(EOF):
        cursor.fail("unexpected token in where expression")
    if never_boolean(expr):
        raise cursor.error("where needs a true/false expression such as a comparison", start_token)
    return tree.Where(expr)


def prepare(node: tree.Where, spl: str):
    expression = compile_expression(node.expr, spl)

    def run(rows, context):
        condition = expression.bind(context)
        return (row for row in rows if condition(row) is True)
    return run


COMMAND = Command(NAME, parse, prepare, same_columns, keeps)
