"""Argument helpers shared by commands: token cursors, field lists, `key=value` options, wildcards,
regular expressions."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from linux_auditd_at.errors import UnsupportedSPLError
from linux_auditd_at.spl.lexer import COMMA, EOF, OP, STRING, WORD, Token, tokenize_search
from linux_auditd_at.spl.parser import Cursor

if TYPE_CHECKING:
    from linux_auditd_at.spl.regex import Regex


def search_cursor(spl: str, start: int, end: int) -> Cursor:
    return Cursor(tokenize_search(spl, start, end), spl)


def is_word(cursor: Cursor, *choices: str) -> bool:
    """The next token is one of these words, compared case-insensitively (`as`/`AS`, `by`/`BY`)."""
    token = cursor.peek()
    return token.kind == WORD and token.value.lower() in choices


def field_name(cursor: Cursor, what: str = "a field name") -> str:
    if cursor.peek().kind not in (WORD, STRING):
        cursor.fail(f"expected {what}")
    return cursor.next().value


def renamed(cursor: Cursor, name: str, what: str = "a field name after AS") -> str:
    """The name after `AS` when the cursor is at one, else `name`."""
    if not is_word(cursor, "as"):
        return name
    cursor.next()
    return field_name(cursor, what)


def field_list(cursor: Cursor, stop: tuple[str, ...] = ()) -> list[str]:
    """Names separated by spaces or commas, up to the end or a `key=` option."""
    names = []
    while cursor.peek().kind in (WORD, STRING) and not cursor.at(OP, "=", ahead=1) \
            and not (cursor.peek().kind == WORD and cursor.peek().value.lower() in stop):
        names.append(cursor.next().value)
        cursor.accept(COMMA)
    return names


def unsupported(cursor: Cursor, what: str, token: Token) -> UnsupportedSPLError:
    """`what` is valid SPL the offline engine cannot run (lint's filter-offline, not filter-spl)."""
    return UnsupportedSPLError(f"{what} is valid SPL but not supported by the offline engine",
                               spl=cursor.spl, position=token.pos)


def option(cursor: Cursor, known: tuple[str, ...],
           documented: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """A `key=value` option at the cursor (consumed) if there is one; a key of `documented` (the
    command's Splunk options) that is not `known` is valid SPL the engine cannot run, any other
    unknown key an error."""
    if not (cursor.peek().kind == WORD and cursor.at(OP, "=", ahead=1)):
        return None
    key = cursor.peek()
    if key.value not in known and key.value in documented:
        raise unsupported(cursor, f"option {key.value}=", key)
    if key.value not in known:
        cursor.fail(f"unsupported option {key.value!r} (supported: {', '.join(known) or 'none'})", key)
    cursor.next(), cursor.next()
    if cursor.peek().kind not in (WORD, STRING):
        cursor.fail(f"expected a value for {key.value}=")
    return key.value, cursor.next().value


def boolean(cursor: Cursor, key: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "t", "1", "yes"):
        return True
    if lowered in ("false", "f", "0", "no"):
        return False
    raise cursor.error(f"{key}= expects true or false, got {value!r}", cursor.tokens[cursor.index - 1])


def integer(cursor: Cursor, text: str, what: str) -> int:
    """A row count; one of more than 18 digits, more rows than any search holds, is sys.maxsize
    (UNVERIFIED: Splunk's answer to such a count is not documented; "all rows" is its meaning)."""
    if not re.fullmatch(r"\d+", text):
        raise cursor.error(f"{what} must be a non-negative integer, got {text!r}",
                           cursor.tokens[cursor.index - 1])
    return int(text) if len(text) <= 18 else sys.maxsize


def leading_count(cursor: Cursor, what: str = "count") -> int | None:
    """A bare non-negative integer at the cursor (head 5, dedup 3 f, return 2 f), consumed; else None."""
    if cursor.at(WORD) and re.fullmatch(r"\d+", cursor.peek().value):
        return integer(cursor, cursor.next().value, what)
    return None


def count_or_limit(cursor: Cursor, default: int) -> int:
    """A leading `N` or `limit=N` (head, sort), consumed; `default` when there is neither."""
    if (count := leading_count(cursor)) is not None:
        return count
    if opt := option(cursor, ("limit",)):
        return integer(cursor, opt[1], "limit")
    return default


def expect_end(cursor: Cursor, command: str) -> None:
    if not cursor.at(EOF):
        cursor.fail(f"unexpected argument to {command}")


def name_pattern(pattern: str) -> re.Pattern:
    """A field-name wildcard (`*` any run), matched case-sensitively against whole names."""
    return re.compile("(.*)".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def matching_names(patterns: list[str] | tuple[str, ...], names) -> list[str]:
    """The names (in their order) that any of the patterns matches."""
    compiled = [name_pattern(p) for p in patterns]
    return [n for n in names if any(p.fullmatch(n) for p in compiled)]


def compiled_regex(cursor: Cursor, token: Token, pattern: str | None = None) -> Regex:
    """The regex `pattern` (default: the token's text) compiled; a bad one is an error at `token`."""
    from linux_auditd_at.spl.regex import Regex, RegexError  # PCRE2 loads for the commands that use it

    try:
        return Regex(token.value if pattern is None else pattern)
    except RegexError as err:
        raise cursor.error(f"bad regular expression: {err}", token) from None


def regex_argument(cursor: Cursor) -> tuple[Regex, Token]:
    """A quoted (or bare) regular expression at the cursor, compiled."""
    token = cursor.peek()
    if token.kind not in (STRING, WORD):
        cursor.fail("expected a regular expression in double quotes")
    cursor.next()
    return compiled_regex(cursor, token), token


def regex_guard(call, cursor: Cursor, token: Token):
    """`call` with a match-limit hit an SPL error at the regex `token`."""
    from linux_auditd_at.spl.regex import guard

    return guard(call, lambda message: cursor.error(message, token))
