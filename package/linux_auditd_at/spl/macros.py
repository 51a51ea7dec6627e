"""Search macros: `name` and `name(a,b)` resolved against macros.conf stanzas `[name]`/`[name(2)]`.

`$arg$` is replaced everywhere in the definition, quotes included. Arguments are positional, or
by name when every one is `name=value` with exactly the declared names (`iis_search(fragment=TM)`,
the Knowledge Manager Manual's example). An `iseval = true` definition is an eval expression whose
string result is the expansion. Macros nest; a macro inside a quoted string is not expanded.
Inline comments (```...```) in the search and in definitions are replaced by a space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl.lexer import COMMENT, EOF, after_quoted, comment_end, tokenize_eval
from linux_auditd_at.spl.parser import Cursor, parse_eval_expression
from linux_auditd_at.spl.values import as_text
from linux_auditd_at.structs import Struct


class Macro(Struct):
    """One macros.conf stanza. `name` is the stanza name, e.g. `security_content_ctime(1)`."""

    name: str
    definition: str
    args: tuple[str, ...] = ()
    iseval: bool = False
    description: str = ""


MAX_DEPTH = 50
"""Macros inside macros deeper than this are an error (a chain this long is a loop in all but name)."""
MAX_EXPANDED = 250_000
"""Characters of macro definitions an expansion may insert, all levels together: a few doubling
macros would otherwise make a 1 KB macros.conf expand for hours."""
_NAMED_ARG = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=(.*)", re.DOTALL)
_QUOTE_OR_CALL = re.compile('["`]')


class _Budget:
    """What is left of MAX_EXPANDED for one expansion."""

    def __init__(self) -> None:
        self.left = MAX_EXPANDED

    def spend(self, macro: Macro, definition: str) -> str | None:
        """Take `definition`'s length; the error message when the budget is exceeded."""
        self.left -= len(definition)
        if self.left < 0:
            return (f"macro `{macro.name}` takes the expanded search past {MAX_EXPANDED:,} characters "
                    "(macros that call each other several times multiply)")
        return None


def _split_args(text: str) -> list[str]:
    """Macro arguments: split on commas outside quotes and parentheses, whitespace trimmed.

    Quotes around an argument are kept as written (UNVERIFIED: Splunk's handling of quoted
    arguments is not documented; keeping them is the literal reading of `$arg$` substitution).
    """
    args, depth, current, i = [], 0, [], 0
    while i < len(text):
        char = text[i]
        if char == '"':
            end = after_quoted(text, i)
            current.append(text[i:end])
            i = end
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        i += 1
    args.append("".join(current).strip())
    return args


def _call(text: str) -> tuple[str, list[str]]:
    """`name` or `name(a, b)` -> (name, args)."""
    text = text.strip()
    if text.endswith(")") and "(" in text:
        name = text[: text.index("(")].strip()
        inner = text[text.index("(") + 1: -1]
        return name, _split_args(inner) if inner.strip() else []
    return text, []


def _bind(macro: Macro, args: list[str]) -> dict[str, str]:
    """Argument name -> text: by name when every argument is `name=value` with exactly the
    declared names, else by position."""
    named = [match for arg in args if (match := _NAMED_ARG.fullmatch(arg))]
    if len(named) == len(args) and sorted(m.group(1) for m in named) == sorted(macro.args):
        return {m.group(1): m.group(2).strip() for m in named}
    return dict(zip(macro.args, args, strict=True))


def _evaluate(macro: Macro, definition: str) -> str:
    """The text an `iseval = true` definition evaluates to; SPLError says what is wrong."""
    from linux_auditd_at.spl.eval_expr import compile_expression  # loaded by the first eval macro

    try:
        cursor = Cursor(tokenize_eval(definition), definition)
        expr = parse_eval_expression(cursor)
        if not cursor.at(EOF):
            cursor.fail("unexpected token")
        value = compile_expression(expr, definition).bind(None)({})
    except SPLError as err:
        raise SPLError(f"in eval macro `{macro.name}`: {err}") from None
    if value is None or isinstance(value, bool):
        shown = "null" if value is None else "true/false"
        raise SPLError(f"eval macro `{macro.name}` gives {shown}, not search text")
    return as_text(value[0] if isinstance(value, list) else value)


def _resolve(name: str, args: list[str], macros: dict[str, Macro]) -> tuple[Macro | None, str]:
    """The stanza for a call and, when there is none, why."""
    stanza = f"{name}({len(args)})" if args else name
    macro = macros.get(stanza)
    if macro is not None:
        return macro, ""
    arities = sorted(key for key in macros if key == name or key.startswith(f"{name}("))
    if arities:
        defined = ", ".join(f"[{key}]" for key in arities)
        return None, (f"macro `{name}` is called with {len(args)} argument{'s' if len(args) != 1 else ''}, "
                      f"but macros.conf defines only {defined}")
    return None, f"undefined macro `{stanza}`"


Piece = Literal["text", "comment", "call"]


def _pieces(spl: str) -> Iterator[tuple[Piece, int, int]]:
    """`spl` cut into text (quoted strings included: no macro inside them), inline comments and
    macro calls (backtick to backtick), as (kind, start, end); an unterminated call ends at -1."""
    i = 0
    while i < len(spl):
        if spl[i] == '"':
            end = after_quoted(spl, i)
            yield "text", i, end
        elif spl.startswith(COMMENT, i):
            end = comment_end(spl, i)
            yield "comment", i, end
        elif spl[i] == "`":
            close = spl.find("`", i + 1)
            yield "call", i, -1 if close < 0 else close + 1
            if close < 0:
                return
            end = close + 1
        else:
            plain = _QUOTE_OR_CALL.search(spl, i)
            end = plain.start() if plain else len(spl)
            yield "text", i, end
        i = end


def called_names(spl: str) -> list[str]:
    """The names of the macros `spl` calls itself (not those its macros call), in order, without
    arguments; calls inside quoted strings and comments are not calls, as expand_macros sees it."""
    return [name for kind, start, end in _pieces(spl) if kind == "call" and end > 0
            if (name := _call(spl[start + 1:end - 1])[0])]


def _expand(spl: str, macros: dict[str, Macro], chain: tuple[str, ...], top: str, call_at: int | None,
            budget: _Budget) -> str:
    """Expand `spl`; errors point into `top`, at `call_at` (the outermost call) when nested."""

    def error_at(message: str, position: int) -> SPLError:
        return SPLError(message, spl=top, position=position if call_at is None else call_at)

    out = []
    for kind, i, end in _pieces(spl):
        if kind != "call":
            out.append(spl[i:end] if kind == "text" else " ")
            continue
        if end < 0:
            raise error_at("unterminated macro call (no closing backtick)", i)
        name, args = _call(spl[i + 1:end - 1])
        if not name:
            raise error_at("empty macro call ``", i)
        macro, why = _resolve(name, args, macros)
        if macro is None:
            raise error_at(why + (f" (inside macro `{chain[-1]}`)" if chain else ""), i)
        if len(macro.args) != len(args):
            raise error_at(f"macro `{macro.name}` declares {len(macro.args)} arguments in args =, "
                           f"but is called with {len(args)}", i)
        if macro.name in chain:
            cycle = " -> ".join((*chain, macro.name))
            raise error_at(f"macro `{macro.name}` expands into itself ({cycle})", i)
        if len(chain) >= MAX_DEPTH:
            raise error_at(f"macro `{macro.name}` is nested more than {MAX_DEPTH} macros deep", i)
        definition = macro.definition
        for arg_name, value in _bind(macro, args).items():
            definition = definition.replace(f"${arg_name}$", value)
        if macro.iseval:
            try:
                definition = _evaluate(macro, definition)
            except SPLError as err:
                raise error_at(str(err), i) from None
        if over := budget.spend(macro, definition):
            raise error_at(over, i)
        out.append(_expand(definition, macros, (*chain, macro.name), top, i if call_at is None else call_at,
                           budget))
    return "".join(out)


def expand_macros(spl: str, macros: dict[str, Macro]) -> str:
    """Expand every macro (nested), leaving backticks inside quoted strings alone.

    Raises SPLError naming the macro and its position when it is undefined or called with the
    wrong number of arguments. Positions are offsets into `spl` (for a nested macro, the
    position of the outermost call that contains it).
    """
    return _expand(spl, macros, (), spl, None, _Budget())
