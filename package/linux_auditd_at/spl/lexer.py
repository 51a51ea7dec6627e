"""Tokens with their offsets into the expanded SPL, in the two lexical modes SPL has.

`search` mode (the search command and the arguments of rename, stats, sort, ...): words run until
whitespace or one of `( ) , " = < > !=`; `*` and `-` are part of words; double quotes make one
token whose value has the quotes removed (`\\"` and `\\\\` unescaped).

`eval` mode (eval and where): numbers, identifiers, "string literals", 'quoted field names' and
the operators `== = != < <= > >= + - * / % .`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from enum import StrEnum

from linux_auditd_at.errors import SPLError
from linux_auditd_at.patterns import compiled
from linux_auditd_at.structs import Struct


class TokenKind(StrEnum):
    """What a token is; the punctuation kinds are their own text (`(`, `)`, `,`)."""

    WORD = "WORD"
    STRING = "STRING"
    OP = "OP"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "EOF"
    NUMBER = "NUMBER"
    IDENT = "IDENT"
    FIELD = "FIELD"


WORD, STRING, OP, EOF = TokenKind.WORD, TokenKind.STRING, TokenKind.OP, TokenKind.EOF
LPAREN, RPAREN, COMMA = TokenKind.LPAREN, TokenKind.RPAREN, TokenKind.COMMA
NUMBER, IDENT, FIELD = TokenKind.NUMBER, TokenKind.IDENT, TokenKind.FIELD


class Token(Struct):
    """A token: its kind, its text (a quoted one unquoted) and its span `pos`..`end` in the SPL."""

    kind: TokenKind
    value: str
    pos: int
    end: int


_SEARCH_OPS = ("!=", "<=", ">=", "==", "=", "<", ">")
_SEARCH_WORD = re.compile(r'(?:[^\s()",=<>!]|!(?!=))+')
_EVAL_NUMBER = r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_EVAL_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
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


def _tokenize(spl: str, start: int, end: int | None, quoted: dict[str, TokenKind],
              read_other: Callable[[str, int, int], Token]) -> list[Token]:
    """The loop both modes share: whitespace, quoted strings (`quoted` maps each quote character
    to its token kind) and `( ) ,`; everything else is the mode's own `read_other`."""
    end = len(spl) if end is None else end
    tokens, i = [], start
    while i < end:
        char = spl[i]
        if char.isspace():
            i += 1
            continue
        if char in quoted:
            value, after = read_quoted(spl, i, char)
            token = Token(quoted[char], value, i, after)
        elif char in _PUNCT:
            token = Token(_PUNCT[char], char, i, i + 1)
        else:
            token = read_other(spl, i, end)
        tokens.append(token)
        i = token.end
    tokens.append(Token(EOF, "", end, end))
    return tokens


def _operator(spl: str, i: int, operators: tuple[str, ...]) -> Token | None:
    op = next((op for op in operators if spl.startswith(op, i)), None)
    return Token(OP, op, i, i + len(op)) if op else None


def _search_token(spl: str, i: int, end: int) -> Token:
    if token := _operator(spl, i, _SEARCH_OPS):
        return token
    match = _SEARCH_WORD.match(spl, i, end)
    if not match:
        raise SPLError(f"unexpected character {spl[i]!r}", spl=spl, position=i)
    return Token(WORD, match.group(), i, match.end())


def _eval_token(spl: str, i: int, end: int) -> Token:
    if match := compiled(_EVAL_NUMBER).match(spl, i, end):
        return Token(NUMBER, match.group(), i, match.end())
    if match := compiled(_EVAL_IDENT).match(spl, i, end):
        return Token(IDENT, match.group(), i, match.end())
    if token := _operator(spl, i, _EVAL_OPS):
        return token
    raise SPLError(f"unexpected character {spl[i]!r} in expression", spl=spl, position=i)


def tokenize_search(spl: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Search-mode tokens of spl[start:end]."""
    return _tokenize(spl, start, end, {'"': STRING}, _search_token)


def tokenize_eval(spl: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Eval-mode tokens of spl[start:end]: "strings" and 'field names'."""
    return _tokenize(spl, start, end, {'"': STRING, "'": FIELD}, _eval_token)


COMMENT = "```"


def comment_end(spl: str, start: int) -> int:
    """The offset after the inline comment opening at `start` (three backticks up to the next
    three); an unterminated one is an error there."""
    close = spl.find(COMMENT, start + len(COMMENT))
    if close < 0:
        raise SPLError("unterminated comment (no closing ```)", spl=spl, position=start)
    return close + len(COMMENT)


def strip_comments(spl: str) -> str:
    """`spl` with each inline comment replaced by a space, as Splunk does before parsing; quoted
    strings are left as they are (a ``` inside quotes is text, UNVERIFIED)."""
    if COMMENT not in spl:
        return spl
    out, i = [], 0
    while i < len(spl):
        if spl[i] == '"':
            end = after_quoted(spl, i)
            out.append(spl[i:end])
            i = end
        elif spl.startswith(COMMENT, i):
            out.append(" ")
            i = comment_end(spl, i)
        else:
            out.append(spl[i])
            i += 1
    return "".join(out)


def after_quoted(text: str, start: int) -> int:
    """The offset after the double-quoted string opening at `start` (the end if unterminated)."""
    i = start + 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return min(i + 1, len(text))


def outside_quotes(spl: str) -> Iterator[tuple[int, str, int]]:
    """(offset, character, depth) of each character outside double-quoted strings, `depth` being
    how many subsearches (`[ ... ]`) hold it (a bracket itself counts as outside its subsearch).
    A `]` without its `[`, or a `[` never closed, is an SPLError."""
    depth, i = 0, 0
    opened: list[int] = []
    while i < len(spl):
        char = spl[i]
        if char == '"':
            i = read_quoted(spl, i, '"')[1]
            continue
        if char == "]":
            if not opened:
                raise SPLError("']' without a '[' opening a subsearch", spl=spl, position=i)
            opened.pop()
            depth -= 1
        yield i, char, depth
        if char == "[":
            opened.append(i)
            depth += 1
        i += 1
    if opened:
        raise SPLError("subsearch '[' is not closed", spl=spl, position=opened[0])


def split_pipeline(spl: str) -> list[tuple[int, int]]:
    """(start, end) of each command: split on `|` outside double-quoted strings and subsearches
    (`[ ... ]`, which hold pipes of their own)."""
    bounds, start = [], 0
    for i, char, depth in outside_quotes(spl):
        if char == "|" and depth == 0:
            bounds.append((start, i))
            start = i + 1
    bounds.append((start, len(spl)))
    return bounds
