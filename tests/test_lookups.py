"""lookups.LookupResolver: lookup names resolved as Splunk resolves them for one app.

Sources: Search Reference, lookup ("Can be either the name of a CSV file ... or the name of a
stanza in the transforms.conf file that specifies the location of the lookup table file");
transforms.conf.spec (`filename`, `case_sensitive_match` default true, `match_type`,
`max_matches` 1-1000, `min_matches`, `default_match`); Admin Manual, configuration file
precedence (local/ over default/, attribute by attribute, via conf.read_layered).
"""

from __future__ import annotations

import pytest

from linux_auditd_at.errors import ConfError
from linux_auditd_at.lookups import LookupResolver, read_csv


@pytest.fixture
def app(tmp_path):
    (tmp_path / "default").mkdir()
    (tmp_path / "local").mkdir()
    (tmp_path / "lookups").mkdir()
    csv = "\ufeffdest,zone,owner\nweb-*,dmz\n10.0.0.0/8,lan,ops,extra\n"  # BOM, a short and a long row
    (tmp_path / "lookups" / "hosts.csv").write_text(csv)
    return tmp_path


def test_a_definition_layers_local_over_default_key_by_key(app):
    (app / "default" / "transforms.conf").write_text(
        "[hosts]\nfilename = hosts.csv\nmatch_type = WILDCARD(dest)\nmax_matches = 5\n")
    (app / "local" / "transforms.conf").write_text(
        "[hosts]\ncase_sensitive_match = false\nmatch_type = WILDCARD(dest), CIDR(ip)\n")
    table = LookupResolver(app)("hosts")
    assert (table.case_sensitive, table.wildcard, table.cidr, table.max_matches, table.min_matches) == (
        False, frozenset({"dest"}), frozenset({"ip"}), 5, 0)
    assert table.source == str(app / "lookups" / "hosts.csv")


def test_a_bare_csv_name_uses_the_defaults(app):
    table = LookupResolver(app)("hosts.csv")
    assert (table.case_sensitive, table.wildcard, table.max_matches, table.default_match) == (
        True, frozenset(), 100, "")


def test_csv_header_bom_empty_cells_short_and_long_rows(app):
    columns, records = read_csv(app / "lookups" / "hosts.csv")
    assert columns == ("dest", "zone", "owner")
    assert list(records) == [["web-*", "dmz", ""], ["10.0.0.0/8", "lan", "ops"]]


def test_quoted_cells_and_crlf_lines_read_as_csv(app):
    (app / "lookups" / "quoted.csv").write_text('dest,note\r\n"a,b","say ""hi""\r\nthere"\r\nc\r\n',
                                                newline="")
    columns, records = read_csv(app / "lookups" / "quoted.csv")
    assert (columns, list(records)) == (("dest", "note"), [["a,b", 'say "hi"\r\nthere'], ["c", ""]])
    (app / "lookups" / "crlf.csv").write_text("dest,note\r\nx,1\r\ny\r\n", newline="")
    assert list(read_csv(app / "lookups" / "crlf.csv")[1]) == [["x", "1"], ["y", ""]]


def test_each_table_is_built_once(app):
    resolve = LookupResolver(app)
    assert resolve("hosts.csv") is resolve("hosts.csv")


@pytest.mark.parametrize(("settings", "message"), [
    ("max_matches = 0", "max_matches: expected an integer from 1 to 1000, got '0'"),
    ("max_matches = 1001", "max_matches: expected an integer from 1 to 1000"),
    ("min_matches = -1", "min_matches: expected an integer from 0 to 1000"),
    ("match_type = FUZZY(dest)", "match_type: expected WILDCARD(field), CIDR(field) or EXACT(field)"),
    ("match_type = WILDCARD(dest) junk", "match_type: expected WILDCARD(field)"),
])
def test_bad_settings_name_the_file_stanza_and_key(app, settings, message):
    (app / "local" / "transforms.conf").write_text(f"[hosts]\nfilename = hosts.csv\n{settings}\n")
    with pytest.raises(ConfError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        LookupResolver(app)("hosts")
    assert str(caught.value).startswith(f"{app / 'local' / 'transforms.conf'}, [hosts], ")


def test_a_definition_without_filename_is_not_a_csv_lookup(app):
    (app / "default" / "transforms.conf").write_text("[kv]\nexternal_type = kvstore\n")
    with pytest.raises(ConfError, match=r"\[kv\]: lookup definition has no filename"):
        LookupResolver(app)("kv")


def test_missing_lookups_name_every_place_searched(app, tmp_path):
    extra = tmp_path / "exported"
    (app / "default" / "transforms.conf").write_text("[gone]\nfilename = gone.csv\n")
    resolve = LookupResolver(app, [extra])
    with pytest.raises(ConfError) as caught:
        resolve("gone")
    conf = app / "default" / "transforms.conf"
    assert str(caught.value) == (f"lookup 'gone' not found: no gone.csv (searched transforms.conf stanzas in "
                                 f"{conf}; files in {extra}, {app / 'lookups'})")
    with pytest.raises(ConfError, match="lookup 'hosts' not found: no lookup definition of that name"):
        resolve("hosts")


def test_an_unreadable_file_names_it(app):
    (app / "lookups" / "bad.csv").write_bytes(b"a,b\n\xff\xfe\n")
    with pytest.raises(ConfError, match=r"bad\.csv: cannot read lookup file"):
        LookupResolver(app)("bad.csv")
