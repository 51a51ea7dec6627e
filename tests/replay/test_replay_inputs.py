"""Datasets, the index-limited search text, TLS settings and URLs: replay's inputs."""

from __future__ import annotations

import ssl

import pytest

from linux_auditd_at.errors import AuditInputError
from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.datasets import load_datasets
from linux_auditd_at.replay.hec import default_hec_url
from linux_auditd_at.replay.splunkd import index_search, split_url
from linux_auditd_at.replay.tls import ssl_context


def test_metadata_paths_relative_to_the_yaml_and_a_plain_log(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.log").write_text("x\n", encoding="utf-8")
    (tmp_path / "d" / "a.json").write_text('{"rows": [{"dest": "h"}]}', encoding="utf-8")
    meta = tmp_path / "d" / "m.yml"
    meta.write_text("datasets:\n- name: one\n  path: a.log\n  sourcetype: linux:audit\n"
                    "  source: /var/log/audit/audit.log\n  host: h\n  expected_rows: a.json\n"
                    "- path: a.log\n", encoding="utf-8")
    one, two, plain = load_datasets([meta, meta.parent / "a.log"])
    assert one.name == "one" and one.path == tmp_path / "d" / "a.log"
    assert one.metadata() == {"sourcetype": "linux:audit", "source": "/var/log/audit/audit.log", "host": "h"}
    assert one.expected() == [{"dest": "h"}]
    assert two.name == "a.log" and two.metadata() == {} and two.expected() is None
    assert plain.name == "a.log" and plain.expected() is None


def test_metadata_errors_name_the_file(tmp_path):
    meta = tmp_path / "m.yml"
    meta.write_text("datasets:\n- name: x\n  path: missing.log\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"m\.yml: datasets entry 1: log missing\.log does not exist"):
        load_datasets([meta])
    meta.write_text("datasets: [\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"m\.yml:\d+: not valid YAML"):
        load_datasets([meta])
    meta.write_text("name: x\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match="no `datasets:` list"):
        load_datasets([meta])
    with pytest.raises(AuditInputError, match="no such file"):
        load_datasets([tmp_path / "nope.log"])


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
    with pytest.raises(ReplayError, match="not a management URL"):
        split_url("ftp://x")
    assert default_hec_url("https://splunk.example:8089") == "https://splunk.example:8088"
