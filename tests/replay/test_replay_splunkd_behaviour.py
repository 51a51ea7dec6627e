"""What a real splunkd does that replay must survive: job polls answered 204 or QUEUED/PARSING/
FINALIZING, a new index that is disabled at first and refuses HEC events for a while, a HEC token
replay makes for itself and must remove (also on Ctrl-C), and risk objects named by the server's
`action.risk.param._risk`. The double's behaviour for each cites its source in fake_splunk.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from replay_setup import DATASET, PASSWORD

from linux_auditd_at.detection import APP_ID, SEARCH_NAME
from linux_auditd_at.replay.hec import HECClient
from paths import REPO

SENT = len([line for line in DATASET.read_text(encoding="utf-8").split("\n") if line])


def left_behind(fake) -> tuple[list[str], list[str]]:
    return [n for n in fake.indexes if n.startswith("at_replay_")], [t.name for t in fake.tokens.values()]


def test_job_polls_answered_204_then_queued_parsing_finalizing_are_waited_out(replay, fake):
    fake.faults.job_states = ("204", "QUEUED", "PARSING", "204", "RUNNING", "FINALIZING")
    code, out, err = replay()
    assert code == 0, out + err
    assert out.startswith("PASS ")
    assert not fake.jobs  # each job was read only once DONE, then deleted


@pytest.mark.parametrize("body", ["{}", "[]", "garbage", '{"entry": []}',
                                  '{"entry": [{"content": {"isDone": true}}]}'])
def test_a_job_status_of_an_unexpected_shape_is_a_fail_line_quoting_it(replay, fake, body):
    fake.faults.job_status_body = body
    code, out, err = replay()
    assert code == 1 and "Traceback" not in err
    quoted = repr(body.encode())
    expected = ("the answer is not JSON (" + quoted if body == "garbage"
                else "unexpected answer " + repr(json.dumps(json.loads(body)).encode()))
    (fail,) = [line for line in out.splitlines() if line.startswith("  fail: ")]
    assert expected in fail and ": GET search/jobs/" in fail
    assert left_behind(fake) == ([], []) and not fake.jobs


def test_a_new_index_is_used_once_enabled_and_code_7_is_retried_meanwhile(replay, fake):
    fake.faults.index_disabled_polls = 3
    fake.faults.index_hec_refusals = 4
    code, out, err = replay()
    assert code == 0, out + err
    assert "note: new index at_replay_" in out and " enabled after " in out
    assert "note: HEC refused the new index (code 7) for " in out and "s, then accepted it" in out
    waited = float(out.split("HEC refused the new index (code 7) for ")[1].split("s,")[0])
    assert 4 * 0.05 <= waited < 2  # four refusals, --poll 0.05 apart
    assert f"sent={SENT} indexed={SENT}" in out  # nothing lost, nothing twice
    assert fake.event_posts == -(-SENT // 20) + 4


def test_code_7_is_final_after_the_grace_period(replay, fake):
    fake.faults.index_hec_refusals = 10**6
    start = time.monotonic()
    code, out, _ = replay("--timeout", "0.5")  # grace: min(30 s, --timeout)
    assert 0.5 <= time.monotonic() - start < 5
    assert code == 1 and "Incorrect index (HEC code 7)" in out and " sent=0 " in out
    assert left_behind(fake) == ([], [])


def test_code_7_after_events_went_in_is_not_retried(fake, ca):
    # Once events of the run reached the index, code 7 is not the new-index race: resending could
    # duplicate, so it is reported at once
    from linux_auditd_at.replay import ReplayError
    from linux_auditd_at.replay.hec import SendReport
    from linux_auditd_at.replay.tls import ssl_context

    client = HECClient(fake.hec_url, fake.hec_token, ssl_context(ca[0]), poll_interval=0.01,
                       index_grace=30)
    with pytest.raises(ReplayError, match="Incorrect index"):
        client.send([{"_raw": "b", "_time": 2.0}], "no_such_index", SendReport(accepted=20))
    assert fake.event_posts == 1  # not retried


def test_replay_makes_its_own_hec_token_for_the_test_index_and_removes_it(replay, fake, monkeypatch):
    monkeypatch.delenv("SPLUNK_HEC_TOKEN")
    seen = []
    original = fake.tokens.__class__.__setitem__

    class Recording(dict):
        def __setitem__(self, key, token):
            seen.append(token)
            original(self, key, token)

    fake.tokens = Recording()
    code, out, err = replay()
    assert code == 0, out + err
    (token,) = seen
    index = out.split("index=")[1].split()[0]
    assert (token.name, token.indexes, token.use_ack) == (index, {index}, True)
    assert set(fake.hec_tokens_used) == {index}  # every event post used it, none the provisioned one
    assert ("mgmt", "DELETE", f"/servicesNS/nobody/splunk_httpinput/data/inputs/http/http%3A%2F%2F{index}") \
        in fake.log
    assert left_behind(fake) == ([], [])


def test_hec_token_option_uses_the_given_token_and_creates_none(replay, fake):
    code, out, err = replay()  # the fixture sets $SPLUNK_HEC_TOKEN
    assert code == 0, out + err
    assert set(fake.hec_tokens_used) == {"provisioned"}
    assert not any(path.endswith("/data/inputs/http") for _, _, path in fake.log)


def test_keyboard_interrupt_during_send_removes_token_and_index(replay, fake, monkeypatch):
    monkeypatch.delenv("SPLUNK_HEC_TOKEN")
    posts = []
    send = HECClient._post

    def interrupted(self, batch, pending, report):
        posts.append(batch)
        if len(posts) == 2:  # the first batch is in, the second is being sent
            raise KeyboardInterrupt
        send(self, batch, pending, report)

    monkeypatch.setattr(HECClient, "_post", interrupted)
    code, out, err = replay()
    assert code == 130 and "interrupted" in err
    assert fake.event_posts == 1 and fake.hec_tokens_used  # it had begun sending with its token
    assert left_behind(fake) == ([], [])


def test_sigint_to_a_running_replay_leaves_nothing_behind(fake, ca, tmp_path):
    # A real Ctrl-C: SIGINT to a replay process blocked in a HEC post the double holds open
    fake.faults.hang_event_posts = threading.Event()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPLUNK_")}
    env["SPLUNK_PASSWORD"] = PASSWORD
    process = subprocess.Popen(
        [sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "replay", "--url",
         fake.mgmt_url, "--hec-url", fake.hec_url, "--ca-file", str(ca[0]), "--poll", "0.05",
         "--timeout", "30", str(DATASET)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not fake.hec_tokens_used and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.hec_tokens_used, "replay never reached the event post"
        assert left_behind(fake)[1]  # its token exists while it sends
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        fake.faults.hang_event_posts.set()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, out + err
    assert "linux-auditd-at replay: interrupted" in err and "Traceback" not in err
    assert left_behind(fake) == ([], [])


def test_risk_objects_are_the_fields_the_servers_risk_setting_names(replay, fake):
    search = fake.saved_searches[(APP_ID, SEARCH_NAME)]
    search["action.risk.param._risk"] = json.dumps([
        {"risk_object_field": "dest", "risk_object_type": "system", "risk_score": 9},
        {"risk_object_field": "no_such_field", "risk_object_type": "user", "risk_score": 9}])
    code, out, _ = replay()
    assert code == 1
    assert "result rows have no no_such_field (rows [0" in out
    assert "have no dest" not in out


@pytest.mark.parametrize("value", [None, "", "not json", "[]", '[{"risk_object_type": "system"}]'])
def test_a_saved_search_without_usable_risk_setting_is_refused(replay, fake, value):
    search = fake.saved_searches[(APP_ID, SEARCH_NAME)]
    search.pop("action.risk.param._risk")
    if value is not None:
        search["action.risk.param._risk"] = value
    code, out, err = replay()
    assert code == 2 and not out
    assert f"saved search {SEARCH_NAME!r} has no usable action.risk.param._risk on the server" in err


def event_times() -> list[float]:
    return [float(line.split("msg=audit(")[1].split(":")[0]) for line in
            DATASET.read_text(encoding="utf-8").split("\n") if line]


def test_the_saved_search_itself_is_dispatched_over_the_data_without_actions(replay, fake):
    code, out, err = replay()
    assert code == 0, out + err
    rows = int(out.split(" rows=")[1].split()[0])
    assert rows > 0 and f" saved_rows={rows} " in out
    (form,) = fake.dispatches
    times = event_times()
    assert form["trigger_actions"] == "0"
    assert float(form["dispatch.earliest_time"]) <= min(times)
    assert max(times) < float(form["dispatch.latest_time"]) <= max(times) + 1
    # the test index was among admin's default search indexes for the dispatch only
    index = out.split("index=")[1].split()[0]
    assert fake.role_posts == [("admin", index), ("admin", "")]
    assert fake.roles["admin"]["srchIndexesDefault"] == []
    assert f"note: index {index} was among role admin's default search indexes" in out


def test_no_role_change_when_the_default_indexes_already_cover_the_test_index(replay, fake):
    fake.roles["admin"]["srchIndexesDefault"] = ["at_replay_*"]
    code, out, err = replay()
    assert code == 0, out + err
    assert fake.dispatches and fake.role_posts == []
    assert "default search indexes" not in out


def test_saved_search_rows_that_differ_from_the_ad_hoc_search_fail(replay, fake):
    # the role change is accepted but does not reach the search: the saved search sees no events
    fake.faults.roles_ignored = True
    code, out, _ = replay()
    assert code == 1
    assert " saved_rows=0 " in out
    assert "differences between the saved search dispatched itself and the ad-hoc search" in out
    assert "diff: only in ad-hoc: {" in out


def test_no_dispatch_option(replay, fake):
    code, out, err = replay("--no-dispatch")
    assert code == 0, out + err
    assert not fake.dispatches and not fake.role_posts and "saved_rows=" not in out


def test_ctrl_c_during_the_dispatch_restores_the_role(replay, fake, monkeypatch):
    from linux_auditd_at.replay.splunkd import Splunkd

    monkeypatch.delenv("SPLUNK_HEC_TOKEN")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Splunkd, "dispatch_saved", interrupted)
    code, _, err = replay()
    assert code == 130 and "interrupted" in err
    assert [posted for _, posted in fake.role_posts][-1] == ""
    assert fake.roles["admin"]["srchIndexesDefault"] == []
    assert left_behind(fake) == ([], [])


def test_es_without_enterprise_security_says_so_and_exits_2(replay, fake):
    code, out, err = replay("--es")
    assert code == 2 and not out
    assert "--es needs Enterprise Security, and its app SplunkEnterpriseSecuritySuite is not " \
           "installed" in err
    assert not fake.dispatches


def test_es_checks_the_risk_events_of_the_dispatch_and_deletes_them(replay, fake):
    fake.apps["SplunkEnterpriseSecuritySuite"] = True
    fake.faults.risk_after_searches = 2  # ES writes them a little after the search
    code, out, err = replay("--es")
    assert code == 0, out + err
    (form,) = fake.dispatches
    assert form["trigger_actions"] == "1"
    rows = int(out.split(" rows=")[1].split()[0])
    assert f"note: ES wrote {rows} risk events for scheduler__admin__" in out
    assert f"`linux-auditd-at risk` expects {rows}" in out  # one risk object (dest) per row
    assert fake.indexes["risk"] == []  # deleted after the check


def test_es_risk_events_that_differ_from_the_risk_command_fail(replay, fake):
    fake.apps["SplunkEnterpriseSecuritySuite"] = True
    fake.faults.risk_score = 42
    code, out, _ = replay("--es")
    assert code == 1
    assert "differences between ES's risk events and `linux-auditd-at risk`" in out
    assert "field 'risk_score': splunk='42' risk='9'" in out
    assert fake.indexes["risk"] == []


def test_es_and_no_dispatch_contradict(replay):
    code, _, err = replay("--es", "--no-dispatch")
    assert code == 2 and "drop --no-dispatch" in err


def test_the_new_index_grace_is_30_seconds_unless_timeout_is_shorter(replay, fake, monkeypatch):
    # UNVERIFIED choice (docs/replay.md): how long a real new index refuses HEC is not documented
    from linux_auditd_at.replay import hec

    assert hec.INDEX_GRACE == 30.0
    graces = []
    monkeypatch.setattr(hec.HECClient, "send", lambda self, *a: graces.append(self.index_grace)
                        or hec.SendReport())
    replay("--timeout", "2")
    replay("--timeout", "100")
    assert graces == [2.0, 30.0]
