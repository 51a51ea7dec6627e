"""spl/metadata.py: which index/sourcetype/source/host terms of the first search no event's
metadata meets, by three-valued evaluation (other fields unknown)."""

from __future__ import annotations

import pytest

from linux_auditd_at.spl import compile_search
from linux_auditd_at.spl.metadata import term_text, unmet_terms

MAIN = {"index": "main", "sourcetype": "linux:audit", "source": "/var/log/audit/audit.log", "host": "web-01"}


def _unmet(spl: str, *seen: dict) -> list[str]:
    return [term_text(term) for term in unmet_terms(compile_search(spl), list(seen or [MAIN]))]


@pytest.mark.parametrize(("spl", "unmet"), [
    ('index=os sourcetype="linux:audit" type=SYSCALL', ['index="os"']),
    ("index=os OR index=main", []),
    ("index=os OR comm=at", []),  # comm could make it true: unknown, not false
    ("(index=os OR index=linux) type=SYSCALL", ['index="os"', 'index="linux"']),
    ("sourcetype=linux* host=WEB-*", []),  # wildcards, values without case
    ('sourcetype IN ("auditd", "linux_audit") type=SYSCALL', ['sourcetype IN ("auditd", "linux_audit")']),
    ("Index=os", []),  # field names are case-sensitive: not the index
    ("NOT index=main", []),  # cannot pass, but no term outside a NOT to name
    ("comm=at | head 1", []),
    ("type=SYSCALL", []),
])
def test_unmet_terms(spl, unmet):
    assert _unmet(spl) == unmet


def test_a_term_met_by_any_input_is_met():
    other = {**MAIN, "host": "web-02"}
    assert _unmet("host=web-02", MAIN, other) == []
    assert _unmet("host=web-03", MAIN, other) == ['host="web-03"']


def test_nothing_read_means_nothing_to_say():
    assert unmet_terms(compile_search("index=os"), []) == []
