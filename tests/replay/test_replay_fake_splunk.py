"""`linux-auditd-at replay` end to end against the fake Splunk: real HTTPS, splunk-sdk, HEC.

Each fault the fake can produce is either survived (and the indexed count proves nothing was lost
or duplicated) or reported with a clear message and a non-zero exit.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import yaml
from replay_setup import DATASET, HEC_TOKEN, PASSWORD

from linux_auditd_at.detection import APP_ID, FILTER_MACRO, SEARCH_NAME
from linux_auditd_at.replay import ReplayError
from linux_auditd_at.replay.hec import HECClient
from linux_auditd_at.replay.tls import ssl_context
from linux_auditd_at.spl.macros import Macro
from paths import REPO

STAMP = re.compile(r"msg=audit\((\d+\.\d+):\d+\)")
LINES = [line for line in DATASET.read_text(encoding="utf-8").split("\n") if line]  # not splitlines: 0x1d
SENT = len(LINES)  # every line of the fixture is an audit record


def kept_index(fake) -> list[dict]:
    (name,) = [n for n in fake.indexes if n.startswith("at_replay_")]
    return fake.indexes[name]


def test_replay_passes_and_sends_each_event_once_with_its_own_metadata(replay, fake):
    code, out, err = replay("--keep")
    assert code == 0, out + err
    assert out.startswith(f"PASS {DATASET.name}: index=at_replay_")
    assert f"sent={SENT} indexed={SENT}" in out
    events = kept_index(fake)
    assert sorted(e["_raw"] for e in events) == sorted(LINES)
    assert sorted(e["_time"] for e in events) == sorted(float(STAMP.search(line).group(1)) for line in LINES)
    assert {e["sourcetype"] for e in events} == {"linux:audit"}
    assert {e["source"] for e in events} == {str(DATASET)}
    assert fake.event_posts == -(-SENT // 20)  # one request per batch of 20, no retries


def test_index_is_removed_afterwards_unless_keep(replay, fake):
    code, out, _ = replay()
    assert code == 0, out
    assert [n for n in fake.indexes if n.startswith("at_replay_")] == []
    assert not fake.jobs  # every search job was deleted after reading it


def test_search_runs_the_servers_saved_search_with_server_side_macros(replay, fake):
    # Local tuning on the server (filter macro) must be what is tested: here it drops every row,
    # so Splunk's own rule fails and the embedded engine (app as shipped) disagrees.
    fake.macros[FILTER_MACRO] = Macro(FILTER_MACRO, 'search dest="no-such-host"')
    code, out, _ = replay()
    assert code == 1
    assert "fail: the saved search returned no results" in out
    assert "diff: only in embedded:" in out


def test_tls_is_verified_by_default(replay):
    code, _, err = replay(ca_file=False)
    assert code == 2
    assert "TLS certificate verification failed" in err and "--ca-file" in err


def test_insecure_skips_verification_only_when_asked(replay):
    code, out, err = replay("--insecure", ca_file=False)
    assert code == 0, out + err
    assert "not verified (--insecure)" in err


def test_hec_verifies_tls_like_the_management_connection(fake):
    client = HECClient(fake.hec_url, HEC_TOKEN, ssl_context())  # system trust store: not our test CA
    with pytest.raises(ReplayError, match="TLS certificate verification failed"):
        client.send([{"_raw": "x", "_time": 1.0}], "main")
    assert fake.event_posts == 0


def test_wrong_password_is_a_clear_login_failure(replay, monkeypatch):
    monkeypatch.setenv("SPLUNK_PASSWORD", "wrong")
    code, out, err = replay()
    assert code == 2
    assert "login failed (HTTP 401)" in err
    assert "wrong" not in out + err  # credentials are never printed


def test_password_login_uses_the_session_cookie_splunkd_sets(replay, fake):
    code, out, err = replay()
    assert code == 0, out + err
    assert fake.auth_used == {"cookie"}  # splunk-sdk logs in with cookie=1, then sends the cookie


def test_authentication_token_instead_of_password(replay, monkeypatch, fake):
    monkeypatch.delenv("SPLUNK_PASSWORD")
    code, out, err = replay("--token", "fake-bearer-token")
    assert code == 0, out + err
    assert fake.auth_used == {"Bearer"} and not fake.sessions  # no login with a token


def test_unreachable_server(replay, fake):
    code, _, err = replay("--url", "https://127.0.0.1:1")
    assert code == 2 and "https://127.0.0.1:1: cannot log in:" in err


def test_unreachable_hec_fails_fast(replay, fake):
    code, _, err = replay("--hec-url", "https://127.0.0.1:1")
    assert code == 2 and "cannot reach HEC" in err and "--hec-url" in err
    assert fake.event_posts == 0 and [n for n in fake.indexes if n.startswith("at_replay_")] == []


def test_failed_search_job_is_reported_and_cleaned_up(replay, fake):
    fake.faults.failing_jobs = "Search process did not exit cleanly, exit_code=255"
    code, out, _ = replay()
    assert code == 1
    assert "failed: FATAL Search process did not exit cleanly, exit_code=255" in out
    assert not fake.jobs and [n for n in fake.indexes if n.startswith("at_replay_")] == []


def test_missing_app_and_disabled_app(replay, fake):
    fake.apps[APP_ID] = False
    code, _, err = replay()
    assert code == 2 and f"app {APP_ID} is installed but disabled" in err
    del fake.apps[APP_ID]
    code, _, err = replay()
    assert code == 2 and f"app {APP_ID} is not installed" in err


def test_missing_saved_search(replay, fake):
    del fake.saved_searches[(APP_ID, SEARCH_NAME)]
    code, _, err = replay()
    assert code == 2 and f"saved search {SEARCH_NAME!r} not found in app {APP_ID}" in err


def test_bad_hec_token_is_reported_with_splunks_code(replay, fake, monkeypatch):
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", "not-the-token")
    code, out, _ = replay()
    assert code == 1
    assert "HTTP 403: Invalid token (HEC code 4)" in out
    assert " sent=0 indexed=0 " in out
    assert "not-the-token" not in out
    assert [n for n in fake.indexes if n.startswith("at_replay_")] == []  # cleaned up anyway


def test_index_the_token_may_not_write_is_reported(replay, fake):
    fake.hec_indexes = {"main"}
    code, out, _ = replay()
    assert code == 1
    assert ("HTTP 400: Incorrect index (HEC code 7), invalid-event-number 1 (Splunk indexed the "
            "batch's events before the bad one): the token may not write to this index") in out


def test_server_busy_is_retried_with_backoff(replay, fake):
    fake.faults.busy = 2
    code, out, err = replay()
    assert code == 0, out + err
    assert "HEC: 2 retried requests" in out
    assert f"sent={SENT} indexed={SENT}" in out


def test_server_busy_for_good_gives_up_after_max_tries(replay, fake):
    fake.faults.busy = 100
    code, out, _ = replay("--max-tries", "3")
    assert code == 1
    assert "gave up after 3 tries: HTTP 503 Server is busy (code 9)" in out
    assert fake.event_posts == 3


def test_dropped_connection_is_retried_without_duplicates(replay, fake):
    fake.faults.drop = 2
    code, out, err = replay("--keep")
    assert code == 0, out + err
    assert "HEC: 2 retried requests" in out
    assert sorted(e["_raw"] for e in kept_index(fake)) == sorted(LINES)


def test_dropped_connection_after_indexing_shows_up_as_duplicates(replay, fake):
    # The one case a client cannot tell apart: the server indexed the batch, then the connection
    # dropped. The resend duplicates 20 events; the count check must catch it, not hide it.
    fake.faults.drop_after_index = 1
    code, out, _ = replay()
    assert code == 1
    assert f"holds {SENT + 20} events, {SENT} were sent (20 duplicated" in out


def test_unacknowledged_batch_is_resent_and_only_that_one(replay, fake):
    fake.faults.unacked_posts = {2}
    code, out, err = replay("--keep")
    assert code == 0, out + err
    assert "1 unacknowledged batches resent" in out
    assert fake.event_posts == -(-SENT // 20) + 1
    assert sorted(e["_raw"] for e in kept_index(fake)) == sorted(LINES)


def test_batches_never_acknowledged_fail_after_max_tries(replay, fake):
    fake.faults.unacked_posts = set(range(1, 100))
    code, out, _ = replay("--max-tries", "2")
    assert code == 1
    assert "were never acknowledged after 2 tries" in out
    assert f" sent={SENT} indexed=0 " in out  # HEC took them all; none was acknowledged


def test_token_without_acknowledgement_relies_on_the_count(replay, fake):
    fake.use_ack = False
    code, out, err = replay()
    assert code == 0, out + err
    assert "no indexer acknowledgement" in out


def test_junit_xml(replay, fake, tmp_path):
    report = tmp_path / "replay.xml"
    fake.faults.busy = 100
    code, _, _ = replay("--max-tries", "1", "--junit-xml", str(report))
    assert code == 1
    suite = ET.parse(report).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "1" and suite.get("failures") == "1"
    (case,) = suite.findall("testcase")
    assert case.get("name") == DATASET.name
    assert "Server is busy" in case.find("failure").get("message")


def test_no_url_says_how_to_get_a_splunk(replay, monkeypatch, capsys):
    from linux_auditd_at.cli import main

    assert main(["replay", str(DATASET)]) == 2
    assert "pass --url or set $SPLUNK_URL" in capsys.readouterr().err


def test_bundled_datasets_by_default_including_a_true_negative(replay, monkeypatch):
    # No DATASET: attack_data/**/*.yml. Each dataset is held to its expected rows (ground truth of
    # the capture), so the benign one passes with no rows.
    monkeypatch.chdir(REPO)
    code, out, err = replay(dataset=None)
    assert code == 0, out + err
    verdicts = {line.split(":")[0] for line in out.splitlines() if line.startswith(("PASS", "FAIL"))}
    names = {entry["name"] for path in (REPO / "attack_data").rglob("*.yml")
             for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["datasets"]}
    assert "auditd_benign" in names and len(names) >= 2
    assert verdicts == {f"PASS {name}" for name in names}
    benign = next(line for line in out.splitlines() if line.startswith("PASS auditd_benign:"))
    assert " rows=0 " in benign


def test_dataset_expected_rows_are_enforced(replay, tmp_path):
    log = tmp_path / "at.log"
    log.write_text(DATASET.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "none.json").write_text('{"rows": []}', encoding="utf-8")
    metadata = tmp_path / "meta.yml"
    metadata.write_text("datasets:\n- name: claims_nothing\n  path: at.log\n  host: h1\n"
                        "  expected_rows: none.json\n", encoding="utf-8")
    code, out, _ = replay(dataset=metadata)
    assert code == 1
    assert out.startswith("FAIL claims_nothing:")
    assert "differences from the expected rows" in out
    assert "diff: only in splunk: {" in out and "'dest': 'h1'" in out


def test_reused_index_must_be_empty_and_is_not_removed(replay, fake):
    fake.indexes["at_mine"] = []
    code, out, err = replay("--index", "at_mine")
    assert code == 0, out + err
    assert len(fake.indexes["at_mine"]) == SENT  # we did not create it, so we leave it
    code, out, _ = replay("--index", "at_mine")
    assert code == 1
    assert f"index at_mine already holds {SENT} events; replay needs an empty index" in out
    assert len(fake.indexes["at_mine"]) == SENT  # nothing sent the second time


def test_credentials_never_appear_in_output_or_junit(replay, fake, monkeypatch, tmp_path):
    # A failing login, then a rejected HEC token: neither the password nor either token may show
    # up in what replay prints or writes, even in the reports of what went wrong.
    report = tmp_path / "replay.xml"
    monkeypatch.setenv("SPLUNK_PASSWORD", "wrong-secret-password")
    code, out, err = replay("--junit-xml", str(report))
    assert code == 2 and "login failed (HTTP 401)" in err
    written = report.read_text(encoding="utf-8")
    assert 'errors="1"' in written and "login failed (HTTP 401)" in written
    for secret in ("wrong-secret-password", HEC_TOKEN):
        assert secret not in out + err + written

    monkeypatch.setenv("SPLUNK_PASSWORD", PASSWORD)
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", "rejected-hec-token-value")
    code, out, err = replay("--junit-xml", str(report))
    assert code == 1 and "Invalid token (HEC code 4)" in out
    written = report.read_text(encoding="utf-8")
    for secret in (PASSWORD, "rejected-hec-token-value"):
        assert secret not in out + err + written


def test_credentials_in_a_url_are_refused_without_echoing_them(replay, fake):
    url = fake.mgmt_url.replace("https://", "https://admin:url-secret@")
    code, out, err = replay("--url", url)
    assert code == 2 and "must not carry credentials" in err and "--password" in err
    assert "url-secret" not in out + err
    hec = fake.hec_url.replace("https://", "https://x:hec-url-secret@")
    code, out, err = replay("--hec-url", hec)
    assert code == 2 and "must not carry credentials" in err
    assert "hec-url-secret" not in out + err


def test_unhealthy_hec_is_waited_out_then_reported(replay, fake):
    fake.faults.unhealthy = 2  # queues full twice, then healthy
    code, out, err = replay()
    assert code == 0, out + err
    fake.faults.unhealthy = 100
    code, _, err = replay("--max-tries", "3")
    assert code == 2
    assert "HTTP 503: HEC is unhealthy, queues are full (HEC code 18)" in err
    assert fake.faults.unhealthy == 97 and fake.event_posts == -(-SENT // 20)  # nothing sent


def test_search_reads_every_result_row_not_the_first_hundred(fake, ca):
    # splunkd's /results gives 100 rows unless asked for count=0; the double does the same
    from linux_auditd_at.replay.splunkd import Splunkd

    fake.indexes["many"] = [{"_raw": f"line {n}", "_time": float(n), "host": "h", "source": "s",
                             "sourcetype": "st"} for n in range(150)]
    splunkd = Splunkd.connect(fake.mgmt_url, context=ssl_context(ca[0]), username="admin",
                              password=PASSWORD)
    result = splunkd.search('search index="many"', app=APP_ID, timeout=5, poll=0.01)
    assert len(result.rows) == 150
    assert all(isinstance(row["_time"], str) for row in result.rows)  # Splunk's JSON: strings
    assert splunkd.count("many", app=APP_ID, timeout=5, poll=0.01) == 150


def test_a_server_macro_that_names_an_index_is_warned_about(replay, fake):
    # The macro's own text tells users to put their index in it; on such a server the test index
    # replay adds cannot match, and the run must say why instead of a bare "no results".
    fake.macros["linux_auditd"] = Macro("linux_auditd", 'index=os sourcetype="linux:audit"')
    code, out, err = replay()
    assert code == 1 and "the saved search returned no results" in out
    assert ("warning: the server's macro `linux_auditd` names an index (index=os "
            'sourcetype="linux:audit"); it ANDs with the test index') in err
    fake.macros["linux_auditd"] = Macro("linux_auditd", 'sourcetype="linux:audit" NOT sourceindex=x')
    code, out, err = replay()
    assert code == 0, out + err
    assert "warning" not in err


def test_another_app_exporting_a_used_macro_differently_is_warned_about(replay, fake):
    """ESCU exports `linux_auditd` and the filter macro too; a site's copy that differs from this
    app's is named (the search still runs with this app's, as Splunk resolves it in its own app)."""
    fake.foreign_macros[("DA-ESS-ContentUpdate", "linux_auditd")] = "index=linux sourcetype=auditd"
    fake.foreign_macros[("DA-ESS-ContentUpdate", "security_content_ctime(1)")] = (
        fake.macros["security_content_ctime(1)"].definition)
    fake.foreign_macros[("DA-ESS-ContentUpdate", "unrelated_macro")] = "search nothing"
    code, out, err = replay()
    assert code == 0, out + err
    assert err.count("warning: ") == 1
    assert ("warning: app DA-ESS-ContentUpdate also exports the macro `linux_auditd` as 'index=linux "
            "sourcetype=auditd'; DA-ESS-linux_auditd_at's search uses its own definition "
            "'sourcetype=\"linux:audit\"' (Splunk resolves a search's macros in its own app first). If "
            "your site relies on DA-ESS-ContentUpdate's, copy it to DA-ESS-linux_auditd_at's "
            "local/macros.conf\n") in err


@pytest.mark.parametrize("inner", ["site_index", "a_site_index"])  # sorting after and before the caller
def test_a_macro_used_inside_another_macro_is_compared_too(replay, fake, inner):
    fake.macros["linux_auditd"] = Macro("linux_auditd", f"`{inner}` sourcetype=\"linux:audit\"")
    fake.macros[inner] = Macro(inner, "index=*")
    fake.foreign_macros[("Splunk_SA_CIM", inner)] = "index=main"
    _, _, err = replay()
    assert f"warning: app Splunk_SA_CIM also exports the macro `{inner}` as 'index=main'" in err


def test_an_answer_that_is_not_json_is_a_clear_error(replay, fake):
    fake.faults.html_pages = True
    code, out, err = replay()
    assert code == 2
    assert "the answer is not JSON (b'<html><body>Splunk Web" in err and "management port" in err
