"""Each lint rule catches its broken fixture (a tmp_path copy of the app with one thing broken), and
names the file, stanza and key; the shipped app passes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from linux_auditd_at.app.lint import Finding, lint_app
from linux_auditd_at.detection import SEARCH_NAME, filter_macro_name
from paths import REPO
from scratch_app import SHIPPED

NOW = datetime(2026, 3, 2, 12, 34, 56, tzinfo=UTC)
SAVED = "default/savedsearches.conf"
LAST_LINE = "| `linux_auditd_at_application_execution_filter`\n"
STANZA = f"[{SEARCH_NAME}]"


def edit(app: Path, name: str, old: str, new: str) -> None:
    path = app / name
    text = path.read_text()
    assert text.count(old) == 1, f"fixture text {old!r} not found once in {name}"
    path.write_text(text.replace(old, new))


def set_key(app: Path, key: str, value: str) -> None:
    """Replace the whole line `key = ...` of the saved search."""
    path = app / SAVED
    lines = path.read_text().split("\n")
    matches = [i for i, line in enumerate(lines) if line.startswith(f"{key} = ")]
    assert len(matches) == 1, key
    lines[matches[0]] = f"{key} = {value}"
    path.write_text("\n".join(lines))


def only_finding(app: Path, rule: str) -> Finding:
    """The one finding lint reports for the app, which must come from `rule`."""
    findings = lint_app(app, now=NOW)
    assert [f.rule for f in findings] == [rule], [str(f) for f in findings]
    return findings[0]


def assert_names(finding: Finding, path: str, key: str | None) -> None:
    """The finding's location is `path` (relative to the app) and, for a saved-search key, the
    search's stanza and `key`; its text starts with that location."""
    where = finding.location
    assert where.path is not None and where.path.endswith(path), finding
    if key is not None:
        assert (where.stanza, where.key) == (SEARCH_NAME, key), finding
    assert str(finding).startswith(f"{where}: "), finding


def test_the_shipped_app_passes(app):
    assert lint_app(app, now=NOW) == []


def test_the_repository_app_passes():
    assert lint_app(REPO, now=NOW) == []


def test_filter_macro_name_follows_escu():
    assert filter_macro_name(SEARCH_NAME) == "linux_auditd_at_application_execution_filter"


# --- conf syntax and manifest -------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    ("default/macros.conf", "[linux_auditd\ndefinition = x\n"),
    ("default/macros.conf", "[linux_auditd]\ndefinition = a\ndefinition = b\n"),
    ("default/app.conf", "[id]\nname = x\n[id]\nversion = 1\n"),
    ("metadata/default.meta", "[]\naccess read\n"),
])
def test_conf_syntax_errors_name_the_file(app, name, text):
    (app / name).write_text(text)
    findings = lint_app(app, now=NOW)
    assert [f.rule for f in findings] == ["conf-syntax"]
    assert str(app / name) in str(findings[0])


def test_conf_syntax_is_checked_in_local_too(app):
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(f"{STANZA}\ndisabled = false\njunk\n")
    assert_names(only_finding(app, "conf-syntax"), "local/savedsearches.conf", None)


def test_no_saved_search_is_a_finding(app):
    (app / SAVED).write_text("# nothing\n")
    assert_names(only_finding(app, "conf-syntax"), SAVED, None)


def test_manifest_version_must_agree_with_app_conf(app):
    edit(app, "app.manifest", f'"version": "{SHIPPED.version}"', '"version": "0.0.1"')
    finding = only_finding(app, "manifest")
    text = str(finding)
    assert "app.manifest" in text and f"info.id.version is '0.0.1', app.conf has '{SHIPPED.version}'" in text


def test_manifest_must_be_strict_json(app):
    (app / "app.manifest").write_text((app / "app.manifest").read_text() + "# slim comment\n")
    assert "not strict JSON" in str(only_finding(app, "manifest"))


# --- macros and the filter macro ----------------------------------------------------------------

def test_undefined_macro(app):
    edit(app, SAVED, "`linux_auditd` type=SYSCALL", "`linux_auditd_syscall` type=SYSCALL")
    finding = only_finding(app, "macros")  # once: the risk fields wait until the macros expand
    text = str(finding)
    assert_names(finding, SAVED, "search")
    assert "linux_auditd_syscall" in text


def test_macro_called_with_the_wrong_argument_count(app):
    edit(app, SAVED, "`security_content_ctime(lastTime)`", "`security_content_ctime(lastTime, UTC)`")
    finding = only_finding(app, "macros")
    text = str(finding)
    assert_names(finding, SAVED, "search")
    assert "security_content_ctime" in text and "2 arguments" in text


def test_filter_macro_must_be_the_last_command(app):
    edit(app, SAVED, LAST_LINE, LAST_LINE.rstrip("\n") + " \\\n| head 5\n")
    finding = only_finding(app, "filter-last")
    text = str(finding)
    assert_names(finding, SAVED, "search")
    assert "'| head 5'" not in text and "'head 5'" in text


def test_filter_macro_missing(app):
    edit(app, SAVED, "| `security_content_ctime(lastTime)` \\\n" + LAST_LINE,
         "| `security_content_ctime(lastTime)`\n")
    finding = only_finding(app, "filter-last")
    text = str(finding)
    assert_names(finding, SAVED, "search")
    assert "`linux_auditd_at_application_execution_filter`" in text


# --- risk -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    '[{"risk_object_field": "dest", "risk_object_type": "system", "risk_score": 9}',  # not JSON
    '{"risk_object_field": "dest", "risk_object_type": "system", "risk_score": 9}',   # not a list
    '[{"risk_object_field": "dest", "risk_object_type": "system"}]',                   # no score
    "[]",
])
def test_risk_json_must_be_a_list_of_complete_risk_objects(app, value):
    set_key(app, "action.risk.param._risk", value)
    assert_names(only_finding(app, "risk-json"), SAVED, "action.risk.param._risk")


def test_risk_object_type_must_be_known(app):
    set_key(app, "action.risk.param._risk",
            '[{"risk_object_field": "dest", "risk_object_type": "host", "risk_score": 9}]')
    finding = only_finding(app, "risk-json")
    text = str(finding)
    assert_names(finding, SAVED, "action.risk.param._risk")
    assert "'host'" in text


def test_risk_object_field_must_be_a_field_the_search_outputs(app):
    # `host` is renamed to `dest` before stats: the results have no host.
    set_key(app, "action.risk.param._risk",
            '[{"risk_object_field": "host", "risk_object_type": "system", "risk_score": 9}]')
    finding = only_finding(app, "risk-fields")
    text = str(finding)
    assert_names(finding, SAVED, "action.risk.param._risk")
    assert "'host' is not a field the search outputs" in text


def test_risk_message_tokens_must_be_fields_the_search_outputs(app):
    set_key(app, "action.risk.param._risk_message", "at ran as [$user$] on [$dest$] ([$comm$])")
    finding = only_finding(app, "risk-fields")
    text = str(finding)
    assert_names(finding, SAVED, "action.risk.param._risk_message")
    assert "token 'user'" in text


def test_fields_renamed_after_stats_are_followed(app):
    edit(app, SAVED, LAST_LINE, "| rename dest as host \\\n" + LAST_LINE)
    findings = lint_app(app, now=NOW)
    assert [f.rule for f in findings] == ["risk-fields", "risk-fields"]
    assert_names(findings[0], SAVED, "action.risk.param._risk")
    assert_names(findings[1], SAVED, "action.risk.param._risk_message")
    assert all("'dest' is not a field" in str(f) and "host" in str(f) for f in findings)


def test_risk_message_is_required(app):
    set_key(app, "action.risk.param._risk_message", "")
    assert_names(only_finding(app, "risk-message"), SAVED, "action.risk.param._risk_message")


def test_a_search_without_stats_cannot_have_its_risk_fields_checked(app):
    edit(app, SAVED, "| stats count min(_time) as firstTime max(_time) as lastTime "
                          "by comm exe SYSCALL UID ppid pid dest \\\n", "")
    finding = only_finding(app, "risk-fields")
    text = str(finding)
    assert_names(finding, SAVED, "search")
    assert "no stats" in text


# --- schedule -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cron", ["61 * * * *", "0 * * *", "hourly"])
def test_cron_schedule_must_be_valid(app, cron):
    set_key(app, "cron_schedule", cron)
    assert_names(only_finding(app, "cron"), SAVED, "cron_schedule")


def test_earliest_must_be_before_latest(app):
    set_key(app, "dispatch.earliest_time", "-10m@m")
    set_key(app, "dispatch.latest_time", "-70m@m")
    finding = only_finding(app, "time-window")
    text = str(finding)
    assert_names(finding, SAVED, "dispatch.earliest_time")
    assert "'-10m@m' is not before dispatch.latest_time '-70m@m'" in text


def test_an_empty_window_is_refused(app):
    set_key(app, "dispatch.latest_time", "-70m@m")
    finding = only_finding(app, "time-window")
    text = str(finding)
    assert_names(finding, SAVED, "dispatch.earliest_time")
    assert "is not before" in text


def test_an_invalid_time_modifier_names_its_key(app):
    set_key(app, "dispatch.latest_time", "-10x@m")
    assert_names(only_finding(app, "time-window"), SAVED, "dispatch.latest_time")


def test_a_local_override_is_reported_in_the_local_file(app):
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(f"{STANZA}\ncron_schedule = 0 25 * * *\n")
    assert_names(only_finding(app, "cron"), "local/savedsearches.conf", "cron_schedule")


def test_a_broken_local_risk_json_is_reported_in_the_local_file(app):
    (app / "local").mkdir()
    (app / "local" / "savedsearches.conf").write_text(
        f'{STANZA}\naction.risk.param._risk = [{{"risk_object_field": "dest"\n')
    assert_names(only_finding(app, "risk-json"), "local/savedsearches.conf", "action.risk.param._risk")


# --- correlation search label and annotations ---------------------------------------------------

def test_label_must_equal_the_stanza_name(app):
    set_key(app, "action.correlationsearch.label", "ESCU - Linux Auditd At Application Execution - Rule")
    assert_names(only_finding(app, "label"), SAVED, "action.correlationsearch.label")


@pytest.mark.parametrize(("old", "new", "says"), [
    ('"type": "Anomaly"}', '"type": "Anomaly",}', "not valid JSON"),
    ('"T1053.002"', '"T10532"', "'T10532' is not a MITRE ATT&CK technique id"),
    ('"confidence": 30', '"confidence": "high"', "confidence must be an integer"),
    ('"type": "Anomaly"', '"type": "anomaly"', "type must be one of"),
    ('"analytic_story": ["Scheduled Tasks", "Linux Privilege Escalation", "Linux Persistence Techniques", '
     '"Linux Living Off The Land", "Compromised Linux Host"]', '"analytic_story": []', "analytic_story"),
])
def test_annotations_must_be_valid(app, old, new, says):
    edit(app, SAVED, old, new)
    findings = [f for f in lint_app(app, now=NOW) if f.rule == "annotations"]
    assert len(findings) == 1, findings
    assert_names(findings[0], SAVED, "action.correlationsearch.annotations")
    assert says in str(findings[0])


def test_ordinary_local_tuning_passes(app):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(
        '[linux_auditd_at_application_execution_filter]\ndefinition = search NOT dest IN ("build-01")\n')
    (app / "local" / "savedsearches.conf").write_text(f"{STANZA}\ndisabled = false\n")
    assert lint_app(app, now=NOW) == []


@pytest.mark.parametrize("definition", ["search NOT (", "where", 'search dest="unclosed'])
def test_a_local_filter_macro_that_does_not_parse_names_local_macros_conf(app, definition):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(
        f"[linux_auditd_at_application_execution_filter]\ndefinition = {definition}\n")
    finding = only_finding(app, "filter-spl")  # once: the risk fields wait until the SPL parses
    text = str(finding)
    assert "local/macros.conf, [linux_auditd_at_application_execution_filter], definition: " in text


def test_a_local_filter_macro_that_does_not_expand_is_caught(app):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(
        "[linux_auditd_at_application_execution_filter]\ndefinition = `no_such_macro`\n")
    finding = only_finding(app, "macros")
    text = str(finding)
    assert_names(finding, SAVED, "search")
    assert "no_such_macro" in text


def test_a_filter_macro_error_points_into_the_definition(app):
    """The position is in the definition as written in macros.conf, not in `search * | ` + it."""
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(
        "[linux_auditd_at_application_execution_filter]\ndefinition = search NOT dest IN (\n")
    assert str(only_finding(app, "filter-spl")).endswith(
        "found end of command at position 20: ...'search NOT dest IN (' [filter-spl]")
