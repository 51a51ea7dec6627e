"""The README that ships in the package is the Splunk admin's document, and says what the app's
metadata says: the platform requirements and release notes in app.manifest, the description and
version in app.conf, and the shipped search's values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from linux_auditd_at.conf import read_conf_file
from linux_auditd_at.detection import FILTER_MACRO, SEARCH_NAME
from scratch_app import SHIPPED

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
MANIFEST = json.loads((REPO / "app.manifest").read_text(encoding="utf-8"))
APP_CONF = read_conf_file(REPO / "default" / "app.conf")
FIRST_SCREEN = "\n".join(README.splitlines()[:16])
"""What a reader sees before scrolling: the title, the summary and the at-a-glance table."""


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_the_readme_is_short():
    assert len(README.splitlines()) < 250


@pytest.mark.parametrize("question, answer", [
    ("Which Splunk?", "Splunk Enterprise 9.0 or later"),
    ("Which Splunk?", "Splunk Cloud Platform"),
    ("Which ES?", "Enterprise Security 7.x or 8.x"),
    ("Which add-on and data?", "Splunk Add-on for Unix and Linux"),
    ("Which add-on and data?", "sourcetype=linux:audit"),
    ("Which add-on and data?", "log_format = ENRICHED"),
    ("What do I get in ES?", "**risk events only**"),
    ("What do I get in ES?", "**disabled**"),
    ("How do I tune it?", f"`{FILTER_MACRO}`"),
    ("ESCU is installed?", "run only one of the two"),
])
def test_the_first_screen_answers_the_admins_questions(question, answer):
    row = next(line for line in FIRST_SCREEN.splitlines() if line.startswith(f"| {question} |"))
    assert answer in row


def test_platform_requirements_agree_with_the_manifest():
    requirement = MANIFEST["platformRequirements"]["splunk"]["Enterprise"]
    minimum = re.fullmatch(r">=(\d+\.\d+)", requirement)
    assert minimum, requirement
    assert f"Splunk Enterprise {minimum[1]} or later" in FIRST_SCREEN
    assert f"| Splunk Enterprise | {minimum[1]} or later" in _section("Requirements and compatibility")


def test_app_conf_and_the_manifest_describe_the_same_requirements():
    description = APP_CONF["launcher"]["description"]
    assert MANIFEST["info"]["description"] == description
    requirement = MANIFEST["platformRequirements"]["splunk"]["Enterprise"].removeprefix(">=")
    for claim in (f"Splunk Enterprise {requirement} or later", "Splunk Cloud Platform",
                  "Enterprise Security 7.x or 8.x", "Splunk Add-on for Unix and Linux", "risk only"):
        assert claim in description and claim in README


def test_release_notes_are_the_readmes_changelog_led_by_this_version():
    notes = MANIFEST["info"]["releaseNotes"]
    assert notes["text"] == "README.md" and notes["name"] == "Changelog"
    entries = re.findall(r"^- \*\*(\d+\.\d+\.\d+)\*\*:", _section("Changelog"), re.M)
    assert entries and entries[0] == SHIPPED.version


def test_the_title_names_the_shipped_version():
    """(app.conf's version everywhere else: tests/test_identity.py)"""
    assert f"`{SHIPPED.app_id}` {SHIPPED.version}" in README.splitlines()[0]


def test_the_readme_states_the_shipped_search_as_it_ships():
    rule = read_conf_file(REPO / "default" / "savedsearches.conf")[SEARCH_NAME]
    risk = json.loads(rule["action.risk.param._risk"])[0]
    metadata = json.loads(rule["action.correlationsearch.metadata"])
    enable = " ".join(_section("Enable").split())
    assert SEARCH_NAME in enable and rule["disabled"] == "true"
    assert f"`{rule['cron_schedule']}`" in enable
    assert f"`{rule['dispatch.earliest_time']}` to `{rule['dispatch.latest_time']}`" in enable
    risk_text = " ".join(_section("What appears in ES: risk only").split())
    assert f"one risk event on `{risk['risk_object_field']}`" in risk_text
    assert f"(object type `{risk['risk_object_type']}`, score {risk['risk_score']}" in risk_text
    assert rule["action.risk.param._risk_message"] in risk_text
    provenance = " ".join(_section("Provenance").split())
    assert f"id `{metadata['detection_id']}`, version {metadata['detection_version']}" in provenance


def test_the_escu_section_cites_splunks_precedence_and_says_what_to_do():
    escu = " ".join(_section("Coexistence with ESCU").split())
    assert "docs.splunk.com/Documentation/Splunk/latest/Admin/Wheretofindtheconfigurationfiles" in escu
    for macro in read_conf_file(REPO / "default" / "macros.conf"):
        if macro != FILTER_MACRO:
            assert f"`{macro}`" in escu or f"`{macro.split('(')[0]}`" in escu
    assert "disable ESCU's search" in escu and "`linux-auditd-at replay` warns" in escu


def test_the_offline_toolkit_section_keeps_the_set_up_commands():
    toolkit = _section("Offline toolkit (source repository only)")
    targets = re.findall(r"^    make ([\w-]+)", toolkit, re.M)
    assert targets == ["run", "test", "test-live", "clean"]
    makefile = (REPO / "Makefile").read_text()
    for target in targets:
        assert re.search(rf"^{target}:", makefile, re.M)
    assert "(docs/README.md)" in toolkit and "(docs/CONTRIBUTING.md)" in toolkit


def test_every_relative_link_resolves():
    for target in re.findall(r"\]\(((?!https?:|#)[^)]+)\)", README):
        assert (REPO / target).exists(), target
    anchors = {re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
               for title in re.findall(r"^## (.+)$", README, re.M)}
    for anchor in re.findall(r"\]\(#([^)]+)\)", README):
        assert anchor in anchors, anchor
