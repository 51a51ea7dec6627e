"""Risk events from the shipped risk action: object, score, message and annotations."""

from __future__ import annotations

import dataclasses

import pytest

from linux_auditd_at import structs
from linux_auditd_at.detection import SEARCH_NAME, load_detection
from linux_auditd_at.errors import ConfError
from linux_auditd_at.risk import RiskAction, fill_tokens
from paths import REPO

# The seed's risk message template, as published for the detection (not read from the app).
SEED_TEMPLATE = 'A SYSCALL - [$comm$] event was executed on host - [$dest$] to execute the "at" application.'


def row(**fields):
    base = {"comm": "at", "exe": "/usr/bin/at", "SYSCALL": "execve", "UID": "root", "ppid": "9229",
            "pid": "9244", "dest": "web-01", "count": "1", "firstTime": "2026-11-29T01:00:00",
            "lastTime": "2026-11-29T01:00:00"}
    base.update(fields)
    return base


@pytest.fixture(scope="module")
def action():
    return RiskAction.from_detection(load_detection(REPO))


def test_shipped_action_matches_the_seed(action):
    assert action.search_name == SEARCH_NAME
    assert action.message == SEED_TEMPLATE
    assert [(o.field, o.type, o.score) for o in action.objects] == [("dest", "system", 9.0)]
    assert action.annotations["mitre_attack"] == ["T1053.002", "T1053"]
    assert "Scheduled Tasks" in action.annotations["analytic_story"]


def test_one_risk_event_per_row_with_the_message_filled_by_hand(action):
    rows = [row(), row(comm="atq", dest="db-02", pid="9300")]
    events = action.events(rows, run_time=1795917600.0)
    assert [e.risk_message for e in events] == [
        'A SYSCALL - [at] event was executed on host - [web-01] to execute the "at" application.',
        'A SYSCALL - [atq] event was executed on host - [db-02] to execute the "at" application.',
    ]
    assert [(e.risk_object, e.risk_object_type, e.risk_score) for e in events] == [
        ("web-01", "system", 9.0), ("db-02", "system", 9.0)]
    # a stats row has no _time: the risk event takes the time the search ran
    assert {e.time for e in events} == {1795917600.0}
    first = events[0].to_json()
    assert first["source"] == SEARCH_NAME
    assert first["annotations.mitre_attack"] == ["T1053.002", "T1053"]
    assert first["result"]["pid"] == "9244"


def test_row_time_wins_over_run_time(action):
    (event,) = action.events([row(_time="1795916909.309")], run_time=1795917600.0)
    assert event.time == 1795916909.309
    (odd,) = action.events([row(_time="yesterday")], run_time=1795917600.0)
    assert odd.time == 1795917600.0


def test_multivalue_risk_object_gives_one_event_per_value(action):
    events = action.events([row(dest=["web-01", "web-02"])], run_time=0.0)
    assert [e.risk_object for e in events] == ["web-01", "web-02"]
    # ES fills the tokens from the row, where dest stays multivalue (newline-joined); only
    # risk_object is per value
    assert events[0].risk_message == events[1].risk_message
    assert "[web-01\nweb-02]" in events[0].risk_message


def test_row_without_risk_object_gives_no_risk_event(action):
    assert action.events([row(dest=None)], run_time=0.0) == []
    assert action.events([{k: v for k, v in row().items() if k != "dest"}], run_time=0.0) == []


def test_row_risk_score_and_risk_object_override_the_definition(action):
    (event,) = action.events([row(risk_score="25", risk_object="10.0.0.5")], run_time=0.0)
    assert (event.risk_object, event.risk_score) == ("10.0.0.5", 25.0)
    (bad,) = action.events([row(risk_score="high")], run_time=0.0)
    assert bad.risk_score == 1.0  # ES's fallback for a score that is not a number


def test_tokens_missing_field_empty_multivalue_newline_joined():
    assert fill_tokens("[$a$][$b$][$c$]", {"a": "x", "b": ["1", "2"]}) == "[x][1\n2][]"
    assert fill_tokens("cost $5 and $ 6", {}) == "cost $5 and $ 6"


def test_bad_risk_json_names_the_file_stanza_and_key():
    detection = load_detection(REPO)
    broken = structs.replace(detection, settings={**detection.settings,
                                                      "action.risk.param._risk": "[{\"risk_object_field\": "})
    where = r"savedsearches.conf, \[Linux Auditd At .*\], action.risk.param._risk"
    with pytest.raises(ConfError, match=where):
        RiskAction.from_detection(broken)
    missing = structs.replace(detection, settings={**detection.settings,
                                                       "action.risk.param._risk": "[{\"risk_score\": 9}]"})
    with pytest.raises(ConfError, match="lacks risk_object_field, risk_object_type"):
        RiskAction.from_detection(missing)
    off = structs.replace(detection, settings={**detection.settings, "action.risk": "0"})
    with pytest.raises(ConfError, match="no risk action"):
        RiskAction.from_detection(off)


def test_message_tokens_see_the_risk_fields_es_sets(action):
    """ES fills the message from the row plus risk_object, risk_object_type and the float score."""
    custom = dataclasses.replace(action, message="$risk_object$/$risk_object_type$/$risk_score$ by $UID$")
    (event,) = custom.events([row()], run_time=0.0)
    assert event.risk_message == "web-01/system/9.0 by root"
