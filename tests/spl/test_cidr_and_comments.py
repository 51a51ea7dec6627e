"""CIDR values in search field terms and inline comments, as splunk-semantics.md ("More
search-language facts", from the Search Reference's search command and the Search Manual's
"Add comments to searches") states them."""

from __future__ import annotations

import pytest

from linux_auditd_at.errors import SPLError
from linux_auditd_at.spl import compile_search
from linux_auditd_at.spl.macros import Macro, expand_macros

HOSTS = [{"dest": "10.1.2.3"}, {"dest": "192.168.0.9"}, {"dest": "fe80::1"}, {"dest": "build-01"}, {}]


@pytest.mark.parametrize(("search", "kept"), [
    ("dest=10.0.0.0/8", [0]),
    ('dest="10.0.0.0/8"', [0]),
    ("dest=10.1.2.3/32", [0]),
    ("dest=10.9.9.9/8", [0]),                       # host bits set: still 10.0.0.0/8
    ("dest=fe80::/10", [2]),
    ("dest IN (10.0.0.0/8, 192.168.0.0/16)", [0, 1]),
    ("NOT dest=10.0.0.0/8", [1, 2, 3, 4]),          # NOT keeps events without dest
    ("dest!=10.0.0.0/8", [1, 2, 3]),                # != needs the field
    ("dest=10.0.0.0/33", []),                       # not a block: compared as text
])
def test_search_matches_cidr_blocks_ipv4_and_ipv6(matching, search, kept):
    assert matching(f"search {search}", HOSTS) == kept


def test_cidr_on_a_multivalue_field_matches_if_any_address_is_inside(matching):
    assert matching("search ip=10.0.0.0/8", [{"ip": ["192.168.1.1", "10.0.0.7"]}, {"ip": ["1.1.1.1"]}]) == [0]


def test_the_raw_line_prefilter_keeps_lines_whose_address_is_in_the_block():
    keep = compile_search("addr=10.0.0.0/8").raw_prefilter()
    assert keep('type=USER_LOGIN msg=audit(1.0:1): addr=10.1.2.3 res=success')
    assert keep('type=USER_LOGIN msg=audit(1.0:1): addr="10.1.2.3"')
    assert not keep("type=SYSCALL msg=audit(1.0:1): comm=at")


# --- inline comments ---------------------------------------------------------------------------------------

def test_a_comment_is_replaced_by_a_space_anywhere_in_a_search(run):
    events = [{"comm": "at"}, {"comm": "atd"}]
    rows = run("search comm=at```only at, not atd``` | stats count ```per search```", events).rows
    assert rows == [{"count": "1"}]
    assert run("search comm=at```a|b``` OR comm=atd | stats count", events).rows == [{"count": "2"}]


def test_comments_in_macro_definitions_and_around_macro_calls():
    macros = {"filter": Macro("filter", "search NOT dest IN (10.0.0.0/8) ```build farm, ticket 42```")}
    expanded = expand_macros("comm=at ```tune below``` | `filter`", macros)
    assert expanded == "comm=at   | search NOT dest IN (10.0.0.0/8)  "


def test_comment_markers_inside_quotes_are_text():
    assert expand_macros('x="a```b```c"', {}) == 'x="a```b```c"'   # UNVERIFIED: quotes win


def test_an_unterminated_comment_is_an_error_at_its_start():
    with pytest.raises(SPLError, match="unterminated comment") as err:
        expand_macros("comm=at ```no end", {})
    assert err.value.position == 8
    with pytest.raises(SPLError, match="unterminated comment") as err:
        compile_search("comm=at | ```no end")
    assert err.value.position == 10
