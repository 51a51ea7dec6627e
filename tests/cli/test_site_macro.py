"""A site's `linux_auditd` macro (`index=os sourcetype="linux:audit"`, as the README advises, or a
site sourcetype): every verb that runs the search warns once, naming the macro and the flag, and
the flag makes the offline run see the events where Splunk has them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linux_auditd_at.cli import main
from paths import AUDIT_DATA

DATA = AUDIT_DATA
LOG = str(DATA / "enriched.log")
INDEX_WARNING = ('warning: the search requires index="os" (set by macro `linux_auditd`), which no event '
                 "read carries (index=main): pass --index os if that is where Splunk has them, else change "
                 "the macro\n")
VERBS = {  # each verb's own arguments besides the log
    "run": ["--format", "json"], "explain": [], "risk": [], "backtest": [],
    "tune": ["--filter", "search *"],
}


def _site_app(app: Path, definition: str) -> Path:
    (app / "local").mkdir(exist_ok=True)
    (app / "local" / "macros.conf").write_text(f"[linux_auditd]\ndefinition = {definition}\n")
    return app


@pytest.mark.parametrize("verb", list(VERBS))
def test_index_os_in_the_macro_warns_once_and_index_os_fixes_it(capsys, app, verb):
    _site_app(app, 'index=os sourcetype="linux:audit"')
    args = ["--app-dir", str(app), verb, LOG, "--host", "lab-1", "--tz", "UTC", *VERBS[verb]]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err == f"linux-auditd-at {verb}: {INDEX_WARNING}"
    assert main([*args, "--index", "os"]) == 0
    assert capsys.readouterr().err == ""


def test_the_run_finds_the_rows_once_index_says_where(capsys, app):
    _site_app(app, 'index=os sourcetype="linux:audit"')
    assert main(["--app-dir", str(app), "run", LOG, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--app-dir", str(app), "run", LOG, "--format", "json", "--index", "os"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4


def test_a_site_sourcetype_names_sourcetype_and_check_is_not_ready(capsys, app):
    _site_app(app, "sourcetype=auditd")
    assert main(["--app-dir", str(app), "run", LOG, "--format", "json"]) == 0
    assert ('the search requires sourcetype="auditd" (set by macro `linux_auditd`), which no event read '
            "carries (sourcetype=linux:audit): pass --sourcetype auditd") in capsys.readouterr().err
    assert main(["--app-dir", str(app), "check", LOG, "--host", "lab-1"]) == 1
    out = capsys.readouterr().out
    assert "  - not in this app configuration: the search requires sourcetype=\"auditd\"" in out
    assert main(["--app-dir", str(app), "check", LOG, "--host", "lab-1", "--sourcetype", "auditd"]) == 0


def test_a_host_term_in_the_saved_search_names_the_search_and_host(capsys, app):
    (app / "local").mkdir(exist_ok=True)
    (app / "local" / "savedsearches.conf").write_text(
        "[Linux Auditd At Application Execution - Rule]\nsearch = `linux_auditd` host=web-* type=SYSCALL\n")
    assert main(["--app-dir", str(app), "run", LOG, "--host", "lab-1", "--format", "json"]) == 0
    assert ("the search requires host=\"web-*\" (written in saved search 'Linux Auditd At Application "
            "Execution - Rule'), which no event read carries (host=lab-1): pass --host 'web-*' if that is "
            "where Splunk has them, else change the search") in capsys.readouterr().err


def test_a_term_set_by_a_macro_the_site_macro_calls_names_that_macro(capsys, app):
    """`linux_auditd` -> `site_index` -> index=os: the warning named the saved search (and said to
    change the search) because only macros the search calls directly were looked at."""
    (app / "local").mkdir(exist_ok=True)
    (app / "local" / "macros.conf").write_text(
        "[linux_auditd]\ndefinition = `site_index` sourcetype=\"linux:audit\"\n"
        "[site_index]\ndefinition = index=os\n")
    assert main(["--app-dir", str(app), "run", LOG, "--host", "lab-1", "--format", "json"]) == 0
    assert capsys.readouterr().err == ('linux-auditd-at run: warning: the search requires index="os" (set by '
                                       "macro `site_index`), which no event read carries (index=main): pass "
                                       "--index os if that is where Splunk has them, else change the macro\n")
