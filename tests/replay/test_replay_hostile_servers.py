"""`replay` against servers that misbehave below and above HTTP: never answering, trickling a byte
at a time, answering garbage, `{}`, `[]` or 10 MB, and against URLs and paths that cannot work.
Each ends in one stderr line (exit 2) or a FAIL line (exit 1), within --timeout, never a traceback.
"""

from __future__ import annotations

import time

import pytest
from raw_server import RawServer, answer, silent, trickle
from replay_setup import DATASET, HEC_TOKEN, PASSWORD, start_fake

from linux_auditd_at.cli import main
from paths import REPO

TEN_MB = b"x" * (10 * 1024 * 1024)


@pytest.fixture
def raw():
    servers = []

    def start(behave) -> RawServer:
        servers.append(RawServer(behave))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert len(lines[0]) < 600  # a bounded excerpt, not the body
    return lines[0]


@pytest.mark.parametrize("behave", [silent, trickle(0.2)], ids=["never-answers", "trickles"])
def test_a_management_port_that_never_finishes_answering_ends_within_timeout(replay, raw, behave):
    server = raw(behave)
    start = time.monotonic()
    code, out, err = replay("--url", server.url, "--timeout", "1")
    assert time.monotonic() - start < 5
    assert code == 2 and not out
    line = one_line_error(err)
    assert f"{server.url}: cannot log in: {server.url}/services/auth/login: no complete answer " \
           "within 1 s (--timeout)" in line


def test_a_tls_handshake_that_never_completes_ends_within_timeout(replay, raw):
    # https to a server that accepts the connection and never says a word of TLS
    server = raw(silent)
    url = server.url.replace("http://", "https://")
    start = time.monotonic()
    code, out, err = replay("--url", url, "--timeout", "1")
    assert time.monotonic() - start < 5
    assert code == 2 and not out
    assert f"{url}/services/auth/login: no complete answer within 1 s (--timeout)" in one_line_error(err)


@pytest.mark.parametrize("behave", [silent, trickle(0.2)], ids=["never-answers", "trickles"])
def test_a_hec_that_never_finishes_answering_ends_within_timeout(replay, raw, fake, behave):
    server = raw(behave)
    start = time.monotonic()
    code, out, err = replay("--hec-url", server.url, "--timeout", "1")
    assert time.monotonic() - start < 5
    assert code == 2
    line = one_line_error(err)
    assert f"cannot reach HEC ({server.url}/services/collector/health: no complete answer within " \
           "1 s (--timeout))" in line
    assert [n for n in fake.indexes if n.startswith("at_replay_")] == []


def test_a_hec_that_hangs_during_the_send_fails_the_dataset_within_bounds(replay, fake):
    # Health answers, then the event post never does: each try ends after --timeout and the batch
    # is given up after --max-tries; the dataset FAILs and is cleaned up.
    import threading

    fake.faults.hang_event_posts = threading.Event()
    start = time.monotonic()
    try:
        code, out, _ = replay("--timeout", "0.5", "--max-tries", "2")
    finally:
        fake.faults.hang_event_posts.set()
    assert time.monotonic() - start < 6
    assert code == 1
    assert "gave up after 2 tries: connection failed: " in out
    assert "no complete answer within 0.5 s (--timeout)" in out
    assert not fake.tokens and [n for n in fake.indexes if n.startswith("at_replay_")] == []


@pytest.mark.parametrize("body,shown", [
    (b"garbage", "b'garbage'"), (b"{}", "b'{}'"), (b"[]", "b'[]'"),
    (TEN_MB, "b'" + "x" * 120 + "' ... (10485760 bytes)")], ids=["garbage", "{}", "[]", "10MB"])
def test_a_management_port_answering_nonsense(replay, raw, body, shown):
    server = raw(answer(body))
    code, out, err = replay("--url", server.url)  # password login: splunk-sdk expects XML
    assert code == 2 and not out
    line = one_line_error(err)
    assert f"cannot log in: the answer is not splunkd's XML ({shown})" in line


@pytest.mark.parametrize("body,shown", [
    (b"garbage", "the answer is not JSON (b'garbage')"), (b"{}", "unexpected answer b'{}'"),
    (b"[]", "unexpected answer b'[]'"),
    (TEN_MB, "the answer is not JSON (b'" + "x" * 120 + "' ... (10485760 bytes))")],
    ids=["garbage", "{}", "[]", "10MB"])
def test_a_management_port_answering_nonsense_to_a_token(replay, raw, monkeypatch, body, shown):
    monkeypatch.delenv("SPLUNK_PASSWORD")
    server = raw(answer(body))
    code, out, err = replay("--url", server.url, "--token", "t")
    assert code == 2 and not out
    assert shown in one_line_error(err)


@pytest.mark.parametrize("body,shown", [
    (b"garbage", "HTTP 200: unexpected answer b'garbage'; is --hec-url Splunk's HTTP Event "
                 "Collector?"),
    (b"[]", "HTTP 200: unexpected answer b'[]'; is --hec-url Splunk's HTTP Event Collector?"),
    (TEN_MB, "the answer is larger than 1048576 bytes: b'" + "x" * 120 + "' ... (1048577 bytes)")],
    ids=["garbage", "[]", "10MB"])
def test_a_hec_answering_nonsense_to_the_health_check(replay, raw, fake, body, shown):
    server = raw(answer(body))  # HEC answers are tiny: more than 1 MB is not read
    code, _, err = replay("--hec-url", server.url)
    assert code == 2
    assert f"{server.url}/services/collector/health: {shown}" in one_line_error(err)


def test_a_hec_answering_an_empty_object_to_everything(replay, raw, fake):
    # `{}` passes for a health answer (status 200, a JSON object) but not for an accepted batch,
    # which Splunk answers with code 0 (and an ackId with acknowledgement)
    server = raw(answer(b"{}"))
    code, out, _ = replay("--hec-url", server.url)
    assert code == 1
    assert f"fail: {server.url}/services/collector/event: unexpected answer to an accepted batch: " \
           "b'{}'" in out
    assert not fake.tokens and [n for n in fake.indexes if n.startswith("at_replay_")] == []


def test_too_large_an_answer_is_not_read_to_the_end(fake, ca, monkeypatch):
    from linux_auditd_at.replay import ReplayError, transport
    from linux_auditd_at.replay.splunkd import Splunkd
    from linux_auditd_at.replay.tls import ssl_context

    monkeypatch.setattr(transport, "MAX_BODY", 100)  # the login answer is longer
    with pytest.raises(ReplayError, match=r"cannot log in: .*: the answer is larger than 100 bytes: "
                                          r"b'<response>"):
        Splunkd.connect(fake.mgmt_url, context=ssl_context(ca[0]), username="admin",
                        password=PASSWORD)


def test_a_url_without_a_host_is_refused_before_connecting():
    from linux_auditd_at.replay.tls import ssl_context
    from linux_auditd_at.replay.transport import TransportError, request

    with pytest.raises(TransportError, match=r"^https:///services: the URL names no host$"):
        request("GET", "https:///services?output_mode=json", context=ssl_context(), timeout=1)


@pytest.mark.parametrize("option,value,message", [
    ("--url", "http://[::1", "--url 'http://[::1' is not a valid URL: Invalid IPv6 URL"),
    ("--url", "https://127.0.0.1:99999", "--url 'https://127.0.0.1:99999' is not a valid URL: Port "
                                         "out of range 0-65535"),
    ("--hec-url", "http://[::1", "--hec-url 'http://[::1' is not a valid URL: Invalid IPv6 URL"),
    ("--hec-url", "https://h:99999", "--hec-url 'https://h:99999' is not a valid URL: Port out of "
                                     "range 0-65535")])
def test_urls_that_cannot_work(replay, option, value, message):
    code, out, err = replay(option, value)
    assert code == 2 and not out
    assert one_line_error(err) == f"linux-auditd-at replay: error: {message}"


def test_hec_over_plain_http(ca, monkeypatch, capsys):
    # `--hec-url http://...` used to die with urllib3's assert_hostname TypeError
    fake = start_fake(ca, hec_tls=False)
    try:
        assert fake.hec_url.startswith("http://")
        monkeypatch.setenv("SPLUNK_PASSWORD", PASSWORD)
        code = main(["--app-dir", str(REPO), "replay", "--url", fake.mgmt_url, "--hec-url",
                     fake.hec_url, "--hec-token", HEC_TOKEN, "--ca-file", str(ca[0]), "--poll",
                     "0.05", "--timeout", "2", str(DATASET)])
    finally:
        fake.stop()
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("PASS ")


def test_junit_xml_in_a_missing_folder_is_refused_before_anything_is_sent(replay, fake, tmp_path):
    report = tmp_path / "no-such-dir" / "replay.xml"
    code, out, err = replay("--junit-xml", str(report))
    assert code == 2 and not out
    assert one_line_error(err) == (f"linux-auditd-at replay: error: --junit-xml {report}: folder "
                                   f"{report.parent} does not exist")
    assert fake.log == []  # refused before contacting the server


def test_junit_xml_that_cannot_be_written_is_one_line(replay, fake, tmp_path):
    folder = tmp_path / "report.xml"
    folder.mkdir()  # a folder where the file should go
    code, out, err = replay("--junit-xml", str(folder))
    assert code == 2
    assert one_line_error(err).startswith(f"linux-auditd-at replay: error: --junit-xml {folder}: "
                                          "cannot write: Is a directory")
