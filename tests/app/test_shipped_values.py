"""The app ships the seed detection's configuration exactly: every value below is transcribed
from shared/seed/linux_auditd_at_application_execution.md and shared/reference/splunk-app.md,
and read back through conf.py (default/ only: a developer's local/ is not what ships)."""

from __future__ import annotations

import json

import pytest

from linux_auditd_at.conf import read_conf_file
from linux_auditd_at.detection import APP_ID, FILTER_MACRO, SEARCH_NAME
from paths import REPO
from scratch_app import SHIPPED

SEED_SEARCH = (
    '`linux_auditd` type=SYSCALL comm IN ("at", "atd") OR exe IN ("/usr/bin/at","/usr/bin/atd") '
    'AND NOT (UID IN("daemon"))\n'
    "| rename host as dest\n"
    "| stats count min(_time) as firstTime max(_time) as lastTime by comm exe SYSCALL UID ppid pid dest\n"
    "| `security_content_ctime(firstTime)`\n"
    "| `security_content_ctime(lastTime)`\n"
    "| `linux_auditd_at_application_execution_filter`"
)
SEED_DESCRIPTION = (
    'The following analytic detects the execution of the "At" application in Linux, which can be used by '
    "attackers to create persistence entries on a compromised host. This detection leverages data from "
    "Endpoint Detection and Response (EDR) agents, focusing on process names and parent process names "
    'associated with "at" or "atd". This activity is significant because the "At" application can be '
    "exploited to maintain unauthorized access or deliver additional malicious payloads. If confirmed "
    "malicious, this behavior could lead to data theft, ransomware attacks, or other severe consequences. "
    "Immediate investigation is required to determine the legitimacy of the execution and mitigate "
    "potential risks."
)
# The keys ESCU's savedsearches_detections.j2 writes for an Anomaly with a risk action and no notable,
# less its action.escu.* bookkeeping (read by ESCU's own app only).
ESCU_KEYS = {
    "description", "action.risk", "action.risk.param._risk_message", "action.risk.param._risk",
    "action.risk.param._risk_score", "action.risk.param.verbose", "cron_schedule", "dispatch.earliest_time",
    "dispatch.latest_time", "action.correlationsearch.enabled", "action.correlationsearch.label",
    "action.correlationsearch.annotations", "action.correlationsearch.metadata", "schedule_window",
    "alert.digest_mode", "disabled", "enableSched", "allow_skew", "counttype", "relation", "quantity",
    "realtime_schedule", "is_visible", "search",
}
STORIES = ["Scheduled Tasks", "Linux Privilege Escalation", "Linux Persistence Techniques",
           "Linux Living Off The Land", "Compromised Linux Host"]


@pytest.fixture(scope="module")
def rule() -> dict[str, str]:
    return read_conf_file(REPO / "default" / "savedsearches.conf")[SEARCH_NAME]


@pytest.fixture(scope="module")
def macros() -> dict[str, dict[str, str]]:
    return read_conf_file(REPO / "default" / "macros.conf")


def test_only_the_one_correlation_search_ships():
    assert list(read_conf_file(REPO / "default" / "savedsearches.conf")) == [SEARCH_NAME]


def test_search_is_the_seed_spl_with_macros_unexpanded(rule):
    # Line continuations keep the seed's line breaks; compare ignoring the whitespace before them.
    assert [line.rstrip() for line in rule["search"].split("\n")] == SEED_SEARCH.split("\n")


@pytest.mark.parametrize(("key", "value"), [
    ("disabled", "true"),
    ("cron_schedule", "0 * * * *"),
    ("dispatch.earliest_time", "-70m@m"),
    ("dispatch.latest_time", "-10m@m"),
    ("schedule_window", "auto"),
    ("enableSched", "1"),
    ("action.risk", "1"),
    ("action.risk.param._risk_score", "0"),
    ("action.risk.param.verbose", "0"),
    ("action.risk.param._risk_message",
     'A SYSCALL - [$comm$] event was executed on host - [$dest$] to execute the "at" application.'),
    ("action.correlationsearch.enabled", "1"),
    ("action.correlationsearch.label", "Linux Auditd At Application Execution - Rule"),
    ("alert.digest_mode", "1"),
    ("allow_skew", "100%"),
    ("counttype", "number of events"),
    ("relation", "greater than"),
    ("quantity", "0"),
    ("realtime_schedule", "0"),
    ("is_visible", "false"),
])
def test_default_configuration_value(rule, key, value):
    assert rule[key] == value


def test_risk_object_is_dest_as_system_with_score_9(rule):
    assert json.loads(rule["action.risk.param._risk"]) == [
        {"risk_object_field": "dest", "risk_object_type": "system", "risk_score": 9}]


def test_annotations_carry_mitre_stories_confidence_impact_and_type(rule):
    assert json.loads(rule["action.correlationsearch.annotations"]) == {
        "analytic_story": STORIES, "confidence": 30, "impact": 30, "mitre_attack": ["T1053.002", "T1053"],
        "data_source": ["Linux Auditd Syscall"], "type": "Anomaly"}


def test_an_anomaly_creates_risk_events_only_never_a_notable(rule):
    assert "action.notable" not in rule


def test_detection_id_and_version(rule):
    assert json.loads(rule["action.correlationsearch.metadata"]) == {
        "deprecated": "0", "detection_id": "9f306e0a-1c36-469e-8892-968ca12470dd", "detection_version": "2"}


def test_description_is_the_seeds(rule):
    assert rule["description"] == SEED_DESCRIPTION


def test_the_stanza_has_exactly_the_keys_escu_writes(rule):
    assert set(rule) == ESCU_KEYS


def test_macros_are_the_seeds_each_with_a_description(macros):
    assert set(macros) == {"linux_auditd", "security_content_ctime(1)", FILTER_MACRO}
    assert macros["linux_auditd"]["definition"] == 'sourcetype="linux:audit"'
    assert macros["security_content_ctime(1)"]["args"] == "field"
    assert macros["security_content_ctime(1)"]["definition"] == \
        'convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)'
    assert macros[FILTER_MACRO]["definition"] == "search *"
    assert all(stanza["description"].strip() for stanza in macros.values())
    assert "local/macros.conf" in macros[FILTER_MACRO]["description"]


def test_app_identity_and_es_import_prefix():
    conf = read_conf_file(REPO / "default" / "app.conf")
    assert conf["id"] == {"name": APP_ID, "version": SHIPPED.version}
    assert conf["package"] == {"id": APP_ID, "check_for_updates": "false"}
    assert conf["launcher"]["version"] == SHIPPED.version
    assert conf["launcher"]["author"] and conf["launcher"]["description"]
    assert conf["ui"]["is_visible"] == "false" and conf["ui"]["label"]
    assert conf["install"]["is_configured"] == "false"
    assert APP_ID.startswith("DA-ESS-")


def test_default_meta_lets_everyone_read_and_exports_to_system():
    meta = read_conf_file(REPO / "metadata" / "default.meta")
    assert meta[""] == {"access": "read : [ * ], write : [ admin, sc_admin ]", "export": "system"}


def test_manifest_is_strict_json_agreeing_with_app_conf():
    manifest = json.loads((REPO / "app.manifest").read_text())
    assert manifest["info"]["id"] == {"group": None, "name": APP_ID, "version": SHIPPED.version}
    assert manifest["info"]["license"]["name"] == "Apache-2.0"


def test_license_is_apache_2():
    assert "Apache License" in (REPO / "LICENSE").read_text()[:200]
    assert "Version 2.0, January 2004" in (REPO / "LICENSE").read_text()[:200]
