"""conf.py: default/ and local/ layered the way splunkd layers them."""

import pytest

from linux_auditd_at.conf import is_true, read_layered
from linux_auditd_at.errors import ConfError


def _write(app, layer, name, text):
    (app / layer).mkdir(parents=True, exist_ok=True)
    (app / layer / f"{name}.conf").write_text(text, encoding="utf-8")


def test_local_overrides_default_attribute_by_attribute(tmp_path):
    _write(tmp_path, "default", "macros", "[m(1)]\nargs = field\ndefinition = a $field$\n\n[other]\n"
                                          "definition = x\n")
    _write(tmp_path, "local", "macros", "[m(1)]\ndefinition = b $field$\n\n[new]\ndefinition = y\n")
    merged = read_layered(tmp_path, "macros")
    assert merged["m(1)"] == {"args": "field", "definition": "b $field$"}
    assert merged["other"] == {"definition": "x"}
    assert merged["new"] == {"definition": "y"}


def test_default_stanza_and_global_keys_apply_to_every_stanza_that_does_not_set_them(tmp_path):
    _write(tmp_path, "default", "savedsearches",
           "dispatch.ttl = 1p\n[default]\nalert.track = 0\n\n"
           "[s]\nsearch = *\nalert.track = 1\n\n[t]\nsearch = x\n")
    merged = read_layered(tmp_path, "savedsearches")
    assert "default" not in merged
    assert merged["s"] == {"dispatch.ttl": "1p", "alert.track": "1", "search": "*"}
    assert merged["t"] == {"dispatch.ttl": "1p", "alert.track": "0", "search": "x"}


def test_continuation_lines_and_comments_as_splunkd_reads_them(tmp_path):
    _write(tmp_path, "default", "savedsearches",
           "# a comment\n[s]\nsearch = a \\\n| b\n# another\ndescription = d\n")
    assert read_layered(tmp_path, "savedsearches")["s"] == {"search": "a \n| b", "description": "d"}


def test_no_files_means_no_stanzas(tmp_path):
    assert read_layered(tmp_path, "macros") == {}


def test_a_duplicate_stanza_is_an_error_naming_the_file(tmp_path):
    _write(tmp_path, "local", "macros", "[m]\ndefinition = a\n[m]\ndefinition = b\n")
    with pytest.raises(ConfError, match=r"local/macros\.conf"):
        read_layered(tmp_path, "macros")


def test_an_unreadable_file_is_an_error_naming_it(tmp_path):
    _write(tmp_path, "default", "macros", "[m]\ndefinition = a\n")
    (tmp_path / "local" / "macros.conf").mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(ConfError, match=r"local/macros\.conf"):
        read_layered(tmp_path, "macros")


def test_conf_booleans_read_the_same_for_every_key():
    assert all(is_true(v) for v in ("1", "true", "True", " t ", "YES", "y"))
    assert not any(is_true(v) for v in (None, "", "0", "false", "no", "2", "enabled"))
