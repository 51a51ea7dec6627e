"""attack_data metadata YAML: datasets for replay, host and source for the audit reader."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from linux_auditd_at.attack_data import MAX_METADATA_BYTES, dataset_for_log, load_datasets, safe_yaml
from linux_auditd_at.errors import AuditInputError
from paths import REPO


@pytest.fixture(params=["libyaml", "python"])
def yaml_parser(request, monkeypatch):
    """A test of reading metadata runs on libyaml (PyYAML's wheels bundle it) and on PyYAML's
    Python parser (where PyYAML was built without it)."""
    import yaml

    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml: pip install --force-reinstall --only-binary :all: pyyaml")
    if request.param == "python":
        monkeypatch.setattr(yaml, "__with_libyaml__", False)
    return request.param


def test_both_parsers_read_the_bundled_metadata_alike(monkeypatch):
    import yaml

    text = (REPO / "attack_data" / "T1053.002" / "linux_auditd_at" / "linux_auditd_at.yml").read_text()
    read = safe_yaml(text)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    assert safe_yaml(text) == read and read["datasets"]


def test_metadata_paths_relative_to_the_yaml_and_a_plain_log(tmp_path, yaml_parser):
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


def test_metadata_errors_name_the_file(tmp_path, yaml_parser):
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


def test_a_list_where_one_value_belongs_is_refused_not_printed_as_host(tmp_path):
    """`host: [web-01, web-02]` became the host "['web-01', 'web-02']" on every row (dest)."""
    log = tmp_path / "a.log"
    log.write_text("x\n", encoding="utf-8")
    meta = tmp_path / "m.yml"
    meta.write_text("datasets:\n- path: a.log\n  host: [web-01, web-02]\n", encoding="utf-8")
    message = r"m\.yml: `host` of the entry for a\.log is a YAML list or mapping, not one value"
    with pytest.raises(AuditInputError, match=message):
        dataset_for_log(str(log))
    meta.write_text("datasets:\n- path: a.log\n  source: {path: /var/log}\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"m\.yml: `source` of the entry for a\.log"):
        load_datasets([meta])


def test_a_log_finds_its_entry_by_file_name_and_sees_edits(tmp_path):
    log = tmp_path / "auditd_at_execution.log"
    log.write_text("x\n", encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("title: not dataset metadata\n", encoding="utf-8")
    meta = tmp_path / "m.yml"
    meta.write_text("datasets:\n- name: tp\n  path: /datasets/T1053.002/auditd_at_execution.log\n"
                    "  host: ubuntu-at\n  source: /var/log/audit/audit.log\n", encoding="utf-8")
    found = dataset_for_log(str(log))
    assert (found.name, found.host, found.source) == ("tp", "ubuntu-at", "/var/log/audit/audit.log")
    meta.write_text("datasets:\n- name: tp\n  path: auditd_at_execution.log\n  host: edited-host\n",
                    encoding="utf-8")
    assert dataset_for_log(str(log)).host == "edited-host"
    assert dataset_for_log(str(tmp_path / "other.log")) is None


def test_a_folder_means_the_metadata_files_in_it(tmp_path):
    (tmp_path / "a.log").write_text("x\n", encoding="utf-8")
    (tmp_path / "m.yml").write_text("datasets:\n- name: one\n  path: a.log\n", encoding="utf-8")
    assert [d.name for d in load_datasets([tmp_path])] == ["one"]
    (tmp_path / "m.yml").unlink()
    with pytest.raises(AuditInputError, match="a folder without dataset metadata"):
        load_datasets([tmp_path])


def test_broken_metadata_of_this_log_is_named_in_one_line_and_other_broken_yaml_is_passed_over(
        tmp_path, yaml_parser):
    (tmp_path / "a.log").write_text("x\n", encoding="utf-8")
    (tmp_path / "docker-compose.yml").write_text("services: [unclosed\n", encoding="utf-8")
    assert dataset_for_log(str(tmp_path / "a.log")) is None
    (tmp_path / "site.yml").write_text("datasets:\n- path: a.log\n  host: [unclosed\n", encoding="utf-8")
    with pytest.raises(AuditInputError) as err:
        dataset_for_log(str(tmp_path / "a.log"))
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(f"{tmp_path / 'site.yml'}:4: not valid YAML (")


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]\n" for n in range(8))


def test_a_yaml_alias_bomb_is_refused_not_expanded(tmp_path, yaml_parser):
    """Nine aliases per level, nine levels: 9**9 (387 million) strings from a file of under 500
    bytes. Metadata has no use for aliases: they are an error, found before anything expands."""
    assert len(BOMB) < 500
    (tmp_path / "a.log").write_text("x\n", encoding="utf-8")
    (tmp_path / "bomb.yml").write_text(BOMB, encoding="utf-8")
    assert dataset_for_log(str(tmp_path / "a.log")) is None  # not this log's metadata: passed over
    (tmp_path / "bomb.yml").write_text(f"datasets:\n- path: a.log\n{BOMB}", encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"bomb\.yml:4: not valid YAML \(an alias \(\*name\), which "
                                              r"dataset metadata does not use\)"):
        dataset_for_log(str(tmp_path / "a.log"))
    with pytest.raises(AuditInputError, match=r"bomb\.yml:4: not valid YAML"):
        load_datasets([tmp_path / "bomb.yml"])


def test_metadata_larger_than_the_limit_is_refused(tmp_path):
    meta = tmp_path / "m.yml"
    padding = "# padding\n" * (MAX_METADATA_BYTES // 10)
    meta.write_text(f"datasets:\n- path: a.log\n{padding}", encoding="utf-8")
    with pytest.raises(AuditInputError, match=rf"m\.yml: larger than {MAX_METADATA_BYTES} bytes"):
        load_datasets([meta])


def test_the_metadata_of_a_folder_is_listed_once_for_all_its_logs(tmp_path, monkeypatch):
    logs = [tmp_path / f"audit{n}.log" for n in range(50)]
    for log in logs:
        log.write_text("x\n", encoding="utf-8")
    (tmp_path / "m.yml").write_text("datasets:\n- path: audit7.log\n  host: seven\n", encoding="utf-8")
    listed = []
    real_glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda folder, pattern: listed.append(pattern) or real_glob(folder,
                                                                                                  pattern))
    assert [n for n, log in enumerate(logs) if dataset_for_log(str(log))] == [7]
    assert listed == ["*.yml", "*.yaml"]
    (tmp_path / "n.yml").write_text("datasets:\n- path: audit8.log\n  host: eight\n", encoding="utf-8")
    os.utime(tmp_path, ns=(1, 1))  # a folder changed within one clock tick still counts as changed
    assert dataset_for_log(str(logs[8])).host == "eight"


def test_a_folder_that_cannot_be_entered_is_an_error_naming_it(tmp_path, monkeypatch):
    """Root enters any folder, so the kernel's EACCES for other users is played by Path.stat."""
    log = tmp_path / "audit" / "a.log"

    def refusing(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "stat", refusing)
    with pytest.raises(AuditInputError, match=f"^{re.escape(str(log))}: Permission denied$"):
        load_datasets([log])
