"""PCRE for every user regex (match, replace, mvfind, regex, rex), with the pure-Python fallback
tested the same way: splunk-semantics.md, "Regular expressions (`regex`, `rex`, `match`,
`replace`) are PCRE"; Knowledge Manager Manual, "About Splunk regular expressions": "Splunk
regular expressions are PCRE (Perl Compatible Regular Expressions) and use the PCRE C library".
`like` stays SQL-style (test_eval_where)."""

from __future__ import annotations

import pytest

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import regex as user_regex

try:
    import pcre2
except ImportError:
    pcre2 = None


@pytest.fixture(params=["pcre2", "re"])
def backend(request, monkeypatch):
    """Each test runs on PCRE2 and on the fallback (Python's re, as when the wheel is missing)."""
    if request.param == "pcre2":
        if pcre2 is None:
            pytest.skip("needs the pcre2 wheel: pip install pcre2==0.7.1")
        monkeypatch.setattr(user_regex, "pcre2", pcre2)
    else:
        monkeypatch.setattr(user_regex, "pcre2", None)
    return request.param


EVENTS = [{"comm": "at", "exe": "/usr/bin/at", "_raw": "user=bob@h1 comm=at"},
          {"comm": "at2", "exe": "/tmp/at2", "_raw": "user=eve@h2 comm=at2"}]


@pytest.mark.parametrize(("condition", "kept"), [
    ('match(comm, "^[[:alpha:]]+$")', [0]),      # POSIX classes (re silently matched nothing)
    ('match(comm, "^[[:alnum:]]+\\z")', [0, 1]),  # \z: the very end
    ('match(exe, "^/usr/(?<dir>s?bin)/")', [0]),  # (?<name>...) groups
    ('match(comm, "(?i)^AT$")', [0]),             # inline flags
    ('match(comm, "t2")', [1]),                   # unanchored: anywhere in the value
    ('match(_raw, "@h1\\x{20}comm")', [0]),       # \x{hh} (the bindings' ALT_BSUX needs a rewrite)
    ('match(_raw, "@h1\\x20comm")', [0]),
])
def test_match_is_pcre(backend, matching, condition, kept):
    assert matching(f"* | where {condition}", EVENTS) == kept


def test_replace_rex_and_regex_are_pcre(backend, run):
    rows = run('* | rex "user=(?<user>[[:alpha:]]+)@(?<host>\\S+)" | regex host="^h[[:digit:]]\\z" '
               '| eval short=replace(exe, "^/(?<top>[[:alpha:]]+)/.*$", "\\1") | table user host short',
               EVENTS).rows
    assert rows == [{"user": "bob", "host": "h1", "short": "usr"},
                    {"user": "eve", "host": "h2", "short": "tmp"}]


def test_a_catastrophic_regex_is_a_one_line_error_naming_it(backend, run, monkeypatch):
    monkeypatch.setattr(user_regex, "FALLBACK_SECONDS", 0.05)
    value = "a" * (5000 if backend == "pcre2" else 40) + "b"
    hit = r'regex "\(a\+\)\+\$" (exceeded PCRE\'s match limit|ran longer than)'
    with pytest.raises(SPLError, match=hit) as err:
        run('* | where match(comm, "(a+)+$")', [{"comm": value}])
    assert err.value.position == len("* | where match(comm, ")
    assert "\n" not in str(err.value)
    with pytest.raises(SPLError, match=r'regex "\(a\+\)\+\$"') as err:
        run('* | regex comm="(a+)+$"', [{"comm": value}])
    assert err.value.position == len("* | regex comm=")


def test_classes_are_ascii_without_unicode_properties(backend, matching):
    # UNVERIFIED: Splunk's PCRE runs without UCP, PCRE's default
    events = [{"u": "héllo"}, {"u": "hello"}, {"u": "\u0663"}]
    assert matching('* | where match(u, "^\\w+$")', events) == [1]
    assert matching('* | where match(u, "^[[:alpha:]]+$")', events) == [1]
    assert matching('* | where match(u, "^\\d$")', events) == []


def test_the_fallback_says_what_needs_pcre2(monkeypatch, run):
    monkeypatch.setattr(user_regex, "pcre2", None)
    with pytest.raises(SPLError, match="install the pcre2 package") as err:
        run('* | where match(comm, "a\\Kb")', EVENTS)
    assert err.value.position == len("* | where match(comm, ")


def test_pcre2_is_the_backend_when_installed():
    assert user_regex.backend() == ("pcre2" if pcre2 is not None else "re")
