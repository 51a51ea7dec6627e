"""Tokens with their offsets into the expanded SPL, in the two lexical modes SPL has.

`search` mode (the search command and the arguments of rename, stats, sort, ...): words run until
whitespace or one of `( ) , " = < > !=`; `*` and `-` are part of words; double quotes make one
token whose value has the quotes removed (`\\"` and `\\\\` unescaped).

`eval` mode (eval and where): numbers, identifiers, "string literals", 'quoted field names' and
the operators `== = != < <= > >= + - * / % .`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linux_auditd_at.errors import SPLError

WORD, STRING, OP, LPAREN, RPAREN, COMMA, EOF = "WORD", "STRING", "OP", "(", ")", ",", "EOF"
NUMBER, IDENT, FIELD = "NUMBER", "IDENT", "FIELD"


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    pos: int
    end: int


_SEARCH_OPS = ("!=", "<=", ">=", "==", "=", "<", ">")
_SEARCH_WORD = re.compile(r'(?:[^\s()",=<>!]|!(?!=))+')
_EVAL_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_EVAL_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EVAL_OPS = ("==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", ".")
_PUNCT = {"(": LPAREN, ")": RPAREN, ",": COMMA}


def read_quoted(spl: str, start: int, quote: str) -> tuple[str, int]:
    """The unescaped content of the string opening at `start`, and the offset after it."""
    out, i = [], start + 1
    while i < len(spl):
        char = spl[i]
        if char == "\\" and i + 1 < len(spl) and spl[i + 1] in (quote, "\\"):
            out.append(spl[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(out), i + 1
        out.append(char)
        i += 1
    raise SPLError("unterminated quoted string", spl=spl, position=start)


def tokenize_search(spl: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Search-mode tokens of spl[start:end]."""
    end = len(spl) if end is None else end
    tokens, i = [], start
    while i < end:
        char = spl[i]
        if char.isspace():
            i += 1
        elif char == '"':
            value, after = read_quoted(spl, i, '"')
            tokens.append(Token(STRING, value, i, after))
            i = after
        elif char in _PUNCT:
            tokens.append(Token(_PUNCT[char], char, i, i + 1))
            i += 1
        elif op := next((op for op in _SEARCH_OPS if spl.startswith(op, i)), None):
            tokens.append(Token(OP, op, i, i + len(op)))
            i += len(op)
        else:
            match = _SEARCH_WORD.match(spl, i, end)
            if not match:
                raise SPLError(f"unexpected character {char!r}", spl=spl, position=i)
            tokens.append(Token(WORD, match.group(), i, match.end()))
            i = match.end()
    tokens.append(Token(EOF, "", end, end))
    return tokens


def tokenize_eval(spl: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Eval-mode tokens of spl[start:end]."""
    end = len(spl) if end is None else end
    tokens, i = [], start
    while i < end:
        char = spl[i]
        if char.isspace():
            i += 1
        elif char in "\"'":
            value, after = read_quoted(spl, i, char)
            tokens.append(Token(STRING if char == '"' else FIELD, value, i, after))
            i = after
        elif char in _PUNCT:
            tokens.append(Token(_PUNCT[char], char, i, i + 1))
            i += 1
        elif match := _EVAL_NUMBER.match(spl, i, end):
            tokens.append(Token(NUMBER, match.group(), i, match.end()))
            i = match.end()
        elif match := _EVAL_IDENT.match(spl, i, end):
            tokens.append(Token(IDENT, match.group(), i, match.end()))
            i = match.end()
        elif op := next((op for op in _EVAL_OPS if spl.startswith(op, i)), None):
            tokens.append(Token(OP, op, i, i + len(op)))
            i += len(op)
        else:
            raise SPLError(f"unexpected character {char!r} in expression", spl=spl, position=i)
    tokens.append(Token(EOF, "", end, end))
    return tokens


def split_pipeline(spl: str) -> list[tuple[int, int]]:
    """(start, end) of each command: split on `|` outside double-quoted strings.

    A subsearch (`[ ... ]`) is not supported and is reported where it starts.
    """
    bounds, start, i = [], 0, 0
    while i < len(spl):
        char = spl[i]
        if char == '"':
            i = read_quoted(spl, i, '"')[1]
            continue
        if char == "[":
            raise SPLError("subsearches ([...]) are not supported", spl=spl, position=i)
        if char == "|":
            bounds.append((start, i))
            start = i + 1
        i += 1
    bounds.append((start, len(spl)))
    return bounds
