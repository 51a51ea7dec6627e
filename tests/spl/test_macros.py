"""Macro expansion: `name` and `name(args)`, $arg$ substitution, nesting, quotes, errors."""

from __future__ import annotations

import pytest

from linux_auditd_at.detection import macros_from_conf
from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl.macros import Macro, called_names, expand_macros

MACROS = macros_from_conf({
    "linux_auditd": {"definition": 'sourcetype="linux:audit"'},
    "security_content_ctime(1)": {"args": "field",
                                  "definition": 'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)'},
    "filter": {"definition": "search *"},
    "pair(2)": {"args": "a, b", "definition": 'x="$a$" $b$=$a$'},
    "outer": {"definition": "`linux_auditd` `pair(at, comm)`"},
    "loop": {"definition": "`loop`"},
    "bad_args(2)": {"args": "only", "definition": "$only$"},
    "evalish": {"definition": "1+1", "iseval": "true"},
    "comm_or_all(1)": {"args": "x", "definition": 'if("$x$"="all", "*", "comm=" . "$x$")', "iseval": "1"},
    "not_text": {"definition": "1=1", "iseval": "true"},
    "null_text": {"definition": "null()", "iseval": "true"},
    "broken_eval": {"definition": "lower(", "iseval": "true"},
    "iis_search(1)": {"args": "fragment",
                      "definition": 'sourcetype="iis" cs_username!="-" /$fragment$/ .pdf'},
    "arity(1)": {"args": "x", "definition": "$x$"},
})


def test_macros_from_conf_reads_args_and_iseval():
    assert MACROS["pair(2)"] == Macro("pair(2)", 'x="$a$" $b$=$a$', ("a", "b"))
    assert MACROS["evalish"].iseval


def test_plain_and_argument_macros():
    spl = "`linux_auditd` type=SYSCALL | `security_content_ctime(firstTime)` | `filter`"
    assert expand_macros(spl, MACROS) == (
        'sourcetype="linux:audit" type=SYSCALL '
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime) | search *')


def test_arguments_are_substituted_everywhere_including_inside_quotes():
    assert expand_macros("`pair(at, comm)`", MACROS) == 'x="at" comm=at'


def test_arguments_keep_quotes_and_commas_inside_them():
    assert expand_macros('`pair("a,b", f)`', MACROS) == 'x=""a,b"" f="a,b"'


def test_macros_nest():
    assert expand_macros("`outer`", MACROS) == 'sourcetype="linux:audit" x="at" comm=at'


def test_a_macro_inside_a_quoted_string_is_not_expanded():
    assert expand_macros('a="`linux_auditd`" `filter`', MACROS) == 'a="`linux_auditd`" search *'
    assert expand_macros(r'a="say \"`x`\"" b', MACROS) == r'a="say \"`x`\"" b'


@pytest.mark.parametrize(("spl", "message", "position"), [
    ("a `nope` b", "undefined macro `nope`", 2),
    ("a `nope(1,2)`", r"undefined macro `nope\(2\)`", 2),
    ("x `arity(1, 2)`",
     r"macro `arity` is called with 2 arguments, but macros.conf defines only \[arity\(1\)\]", 2),
    ("`bad_args(1, 2)`", r"macro `bad_args\(2\)` declares 1 arguments", 0),
    ("ab `loop`", "expands into itself", 3),
    ("x `not_text`", r"eval macro `not_text` gives true/false, not search text", 2),
    ("x `null_text`", r"eval macro `null_text` gives null, not search text", 2),
    ("x `broken_eval`", r"in eval macro `broken_eval`: expected a value", 2),
    ("a `linux_auditd", "unterminated macro call", 2),
    ("a ``", "empty macro call", 2),
])
def test_errors_name_the_macro_and_position(spl, message, position):
    with pytest.raises(SPLError, match=message) as err:
        expand_macros(spl, MACROS)
    assert err.value.position == position


def test_error_in_a_nested_macro_points_at_the_outer_call():
    macros = {**MACROS, **macros_from_conf({"wrapper": {"definition": "x `missing`"}})}
    with pytest.raises(SPLError, match=r"undefined macro `missing` \(inside macro `wrapper`\)") as err:
        expand_macros("abc `wrapper`", macros)
    assert err.value.position == 4


def test_eval_macros_expand_to_the_string_their_expression_returns():
    """Knowledge Manager Manual, "Define search macros in Settings": with "Use eval-based
    definition?" the definition "is an eval expression that returns a string that the search macro
    expands to" (iseval = true in macros.conf)."""
    assert expand_macros("`evalish`", MACROS) == "2"
    assert expand_macros("`comm_or_all(at)` | `comm_or_all(all)`", MACROS) == "comm=at | *"


def test_arguments_by_name_docs_example():
    """Knowledge Manager Manual, "Search macro examples" (help.splunk.com, 9.3): `iis_search(1)` with
    args = fragment, called as `iis_search(fragment=TM)`."""
    expected = 'sourcetype="iis" cs_username!="-" /TM/ .pdf'
    assert expand_macros("`iis_search(fragment=TM)`", MACROS) == expected
    assert expand_macros("`iis_search(TM)`", MACROS) == expected


def test_arguments_by_name_in_any_order_and_positional_look_alikes():
    assert expand_macros("`pair(b=comm, a=at)`", MACROS) == 'x="at" comm=at'
    # not every name is an argument name: the arguments are positional text
    assert expand_macros("`pair(a=at, c=d)`", MACROS) == 'x="a=at" c=d=a=at'


def test_doubling_macros_stop_at_the_expansion_budget_naming_a_macro():
    """A 1 KB macros.conf where each macro calls the next twice would expand to 2**40 copies."""
    stanzas = {f"m{n}": {"definition": f"`m{n + 1}` OR `m{n + 1}`"} for n in range(40)}
    stanzas["m40"] = {"definition": "comm=at"}
    with pytest.raises(SPLError, match=r"^macro `m\d+` takes the expanded search past 250,000 char") as err:
        expand_macros("search `m0`", macros_from_conf(stanzas))
    assert err.value.position == 7
    stanzas["m40"] = {"definition": "x"}
    stanzas.update({f"m{n}": {"definition": f"`m{n + 1}` `m{n + 1}`"} for n in range(40 - 13, 40)})
    assert len(expand_macros("`m27`", macros_from_conf(stanzas))) == 2 ** 14 - 1  # 2**13 x's, spaced


def test_a_chain_deeper_than_the_limit_is_an_error_that_says_so():
    stanzas = {f"m{n}": {"definition": f"`m{n + 1}`"} for n in range(60)}
    stanzas["m60"] = {"definition": "x"}
    with pytest.raises(SPLError, match=r"^macro `m50` is nested more than 50 macros deep at position 0"):
        expand_macros("`m0`", macros_from_conf(stanzas))
    assert expand_macros("`m20`", macros_from_conf(stanzas)) == "x"


def test_called_names_are_the_calls_expand_macros_would_expand():
    """Quoted strings and inline comments hold no calls; arguments are not part of the name."""
    spl = ('`linux_auditd` "`not_a_call`" ```see `nor_this` ``` '
           '| `security_content_ctime( firstTime )` | `linux_auditd` | eval x="`q`" | `open')
    assert called_names(spl) == ["linux_auditd", "security_content_ctime", "linux_auditd"]
