"""The index-limited search text, TLS settings and URLs: replay's inputs."""

from __future__ import annotations

import ssl

import pytest

from linux_auditd_at.cli import main
from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.hec import default_hec_url
from linux_auditd_at.replay.splunkd import index_search, split_url
from linux_auditd_at.replay.tls import ssl_context


def test_index_search_prefixes_the_servers_text():
    saved = '`linux_auditd` type=SYSCALL comm IN ("at") OR exe IN ("/usr/bin/at") | rename host as dest'
    assert index_search("at_replay_1", saved) == f'search index="at_replay_1" {saved}'
    assert index_search("i", "search a=1 | stats count") == 'search index="i" a=1 | stats count'
    with pytest.raises(ReplayError, match="generating command"):
        index_search("i", "| tstats count where index=*")


def test_tls_context_verifies_unless_insecure(tmp_path):
    assert ssl_context().verify_mode == ssl.CERT_REQUIRED and ssl_context().check_hostname
    insecure = ssl_context(insecure=True)
    assert insecure.verify_mode == ssl.CERT_NONE and not insecure.check_hostname
    with pytest.raises(ReplayError, match="cannot load CA file"):
        ssl_context(tmp_path / "missing.pem")


def test_urls():
    assert split_url("https://splunk.example:8089") == ("https", "splunk.example", 8089)
    assert split_url("splunk.example") == ("https", "splunk.example", 8089)
    with pytest.raises(ReplayError, match="'ftp://x' is not a URL such as https://localhost:8089"):
        split_url("ftp://x")
    assert default_hec_url("https://splunk.example:8089") == "https://splunk.example:8088"


@pytest.mark.parametrize("option,value", [("--batch-size", "0"), ("--max-tries", "-1"),
                                          ("--timeout", "0"), ("--poll", "nan"), ("--backoff", "x")])
def test_counts_and_durations_must_be_above_zero(option, value, capsys):
    # 0 events per batch or 0 tries would send nothing (or everything at once) without saying so
    with pytest.raises(SystemExit) as exit_:
        main(["replay", option, value, "x.log"])
    assert exit_.value.code == 2
    assert f"argument {option}:" in capsys.readouterr().err


def test_job_messages_in_either_shape():
    from linux_auditd_at.replay.splunkd import _job_messages

    listed = {"messages": [{"type": "FATAL", "text": "bad"}, {"type": "INFO", "text": "fine"}]}
    mapped = {"messages": {"fatal": ["bad"], "info": "fine", "error": "worse"}}
    assert _job_messages(listed) == ["FATAL bad"]
    assert _job_messages(mapped) == ["FATAL bad", "ERROR worse"]
    assert _job_messages({"messages": {}}) == [] and _job_messages({}) == []


@pytest.mark.parametrize("definition,names_index", [
    ('index=os sourcetype="linux:audit"', True), ("(INDEX = a OR index=b)", True),
    ("index::os", True), ("index IN (os, linux)", True), ("index!=summary", False),
    ('sourcetype="linux:audit"', False), ("sourceindex=x", False), ("my.index=1", False),
    ("index_time>0", False)])
def test_index_term_in_a_macro(definition, names_index):
    from linux_auditd_at.replay.splunkd import INDEX_TERM

    assert bool(INDEX_TERM.search(definition)) is names_index
