"""detection.py: the saved search and its macros as the app ships them, local/ tuning applied."""

from datetime import UTC

import pytest

from linux_auditd_at.detection import (
    APP_DIR_ENV,
    BY_FIELDS,
    FILTER_MACRO,
    SEARCH_NAME,
    load_detection,
    locate_app_dir,
)
from linux_auditd_at.errors import ConfError
from linux_auditd_at.spl import Context, compile_search


def test_the_shipped_search_expands_to_what_splunk_runs(app):
    expanded = load_detection(app).expanded_search()
    assert expanded.startswith('sourcetype="linux:audit" type=SYSCALL comm IN ("at", "atd")')
    assert '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)' in expanded
    assert expanded.rstrip().endswith("| search *")
    assert "`" not in expanded


def test_by_fields_are_the_shipped_stats_by_clause(app):
    # readiness and capture's expected rows rely on BY_FIELDS; the shipped search must group by them
    expanded = load_detection(app).expanded_search()
    columns = compile_search(expanded).execute([], Context(now=0.0, tz=UTC)).columns
    assert columns == [*BY_FIELDS, "count", "firstTime", "lastTime"]


def test_local_filter_definition_is_used_and_default_is_left_alone(app):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(f'[{FILTER_MACRO}]\ndefinition = search NOT dest="build-01"\n')
    detection = load_detection(app)
    assert detection.expanded_search().rstrip().endswith('| search NOT dest="build-01"')
    assert detection.macros[FILTER_MACRO].description  # kept from default/
    assert "search *" in (app / "default" / "macros.conf").read_text()


def test_a_local_macro_that_sets_only_the_definition_keeps_its_args(app):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(
        "[security_content_ctime(1)]\ndefinition = convert timeformat=\"%s\" ctime($field$)\n")
    detection = load_detection(app)
    assert detection.macros["security_content_ctime(1)"].args == ("field",)
    assert 'convert timeformat="%s" ctime(lastTime)' in detection.expanded_search()


def test_with_filter_replaces_the_filter_for_one_run_only(app):
    detection = load_detection(app)
    tried = detection.with_filter('search NOT UID="root"')
    assert tried.expanded_search().rstrip().endswith('| search NOT UID="root"')
    assert detection.expanded_search().rstrip().endswith("| search *")
    assert load_detection(app, filter_definition="search dest=x").expanded_search().endswith("search dest=x")


def test_a_missing_saved_search_names_the_file_and_stanza(app):
    with pytest.raises(ConfError, match=r"savedsearches\.conf, \[No Such Search\]: saved search not found"):
        load_detection(app, name="No Such Search")


def test_a_saved_search_blanked_in_local_names_that_file_and_the_key(app):
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(f"[{SEARCH_NAME}]\nsearch =\n")
    with pytest.raises(ConfError, match=r"local/savedsearches\.conf, \[Linux Auditd At Application Execution "
                                        r"- Rule\], search: saved search has no search"):
        load_detection(app)


def test_another_saved_search_is_tuned_through_its_own_filter_macro(app):
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(
        "[Linux Auditd Atq Execution - Rule]\nsearch = `linux_auditd` comm=atq "
        "| `linux_auditd_atq_execution_filter`\n")
    (app / "local" / "macros.conf").write_text("[linux_auditd_atq_execution_filter]\ndefinition = search *\n")
    other = load_detection(app, name="Linux Auditd Atq Execution - Rule", filter_definition="search pid=1")
    assert other.filter_macro == "linux_auditd_atq_execution_filter"
    assert other.expanded_search() == 'sourcetype="linux:audit" comm=atq | search pid=1'
    assert other.macros[FILTER_MACRO].definition == "search *"


def test_a_filter_without_a_filter_macro_is_an_error(app):
    (app / "default" / "macros.conf").write_text('[linux_auditd]\ndefinition = sourcetype="linux:audit"\n')
    with pytest.raises(ConfError, match=FILTER_MACRO):
        load_detection(app, filter_definition="search *")


def test_the_app_folder_comes_from_the_environment_then_upwards_from_the_working_directory(
        app, tmp_path, monkeypatch):
    monkeypatch.setenv(APP_DIR_ENV, str(tmp_path / "elsewhere"))
    assert locate_app_dir() == (tmp_path / "elsewhere", "from $LINUX_AUDITD_AT_APP_DIR")
    monkeypatch.delenv(APP_DIR_ENV)
    nested = app / "bin" / "deeper"
    nested.mkdir(parents=True)
    assert locate_app_dir(nested) == (app, "found upwards from the working directory")


def test_a_folder_that_is_not_the_app_is_named(tmp_path):
    with pytest.raises(ConfError, match=r"nowhere: not an app folder \(from --app-dir\): "
                                        r"it has no default/savedsearches\.conf"):
        load_detection(tmp_path / "nowhere")
