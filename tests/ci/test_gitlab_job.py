"""The shell logic of the GitLab job (docs/ci/gitlab-ci.yml), run with bash and curl against a
local HTTPS server standing in for the Splunk service: the readiness wait (three healthy answers
in a row, a failure starts the count again, a limit), the credentials curl reads from standard
input (intact whatever the password holds), and the splunkd.log export after a failure.

Splunk's REST API takes HTTP Basic authentication (its docs' `curl -u admin:... https://...:8089`
examples); the server here accepts only that, for the admin password it is given."""

from __future__ import annotations

import base64
import os
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import yaml

trustme = pytest.importorskip("trustme", reason="install the test extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[2]
JOB = yaml.safe_load((ROOT / "docs/ci/gitlab-ci.yml").read_text(encoding="utf-8"))["replay"]
APP_PATH = "/services/apps/local/DA-ESS-linux_auditd_at"
HEALTH_PATH = "/services/collector/health"
EXPORT_PATH = "/services/search/v2/jobs/export"


def block(blocks: list[str], marker: str) -> str:
    [found] = [text for text in blocks if marker in text]
    return found


class Service:
    """Answers the app and HEC health with scripted status codes (the last one repeats)."""

    def __init__(self, password: str):
        self.password = password
        self.app_answers, self.health_answers = [200], [200]
        self.requests: list[tuple[str, str]] = []
        self.forms: list[dict[str, list[str]]] = []

    def answer(self, handler: BaseHTTPRequestHandler) -> int:
        path = handler.path.split("?")[0]
        self.requests.append((handler.command, path))
        if path == HEALTH_PATH:
            return self._next(self.health_answers)
        expected = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return 401
        if path == APP_PATH:
            return self._next(self.app_answers)
        if path == EXPORT_PATH and handler.command == "POST":
            length = int(handler.headers.get("Content-Length", 0))
            self.forms.append(parse_qs(handler.rfile.read(length).decode()))
            return 200
        return 404

    @staticmethod
    def _next(answers: list[int]) -> int:
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture
def service():
    """The stand-in, over HTTPS with a certificate nobody trusts (the job uses curl -k)."""
    state = Service(password='pa ss"wo\\rd $x`y\'z')
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self._reply()

        def do_POST(self):
            self._reply()

        def _reply(self):
            status = state.answer(self)
            body = b"splunkd.log lines\n" if status == 200 and self.path == EXPORT_PATH else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


# `sleep` records its argument instead of waiting; `seq` records its argument and counts only to
# $POLLS (3 unless a test needs more)
STUBS = 'sleep() { echo "$1" >> sleeps; }\nseq() { echo "$1" > seq.arg; command seq "${POLLS:-3}"; }\n'


def run(script: str, service: Service, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`script` as the job runs it, with the waits recorded rather than waited (STUBS)."""
    if not (shutil.which("bash") and shutil.which("curl")):
        pytest.skip("bash and curl needed to run the GitLab job's scripts: apt-get install bash curl")
    (tmp_path / "dist").mkdir(exist_ok=True)
    variables = {**os.environ, **JOB["variables"], "SPLUNK_URL": service.url, "SPLUNK_HEC_URL": service.url,
                 "SPLUNK_PASSWORD": service.password, **env}
    return subprocess.run(["bash", "-c", STUBS + script], cwd=tmp_path, env=variables,
                          capture_output=True, text=True, timeout=120)


WAIT = block(JOB["script"], "ready=0")


def app_polls(service: Service) -> int:
    return service.requests.count(("GET", APP_PATH))


def test_ready_after_three_healthy_answers_in_a_row(service, tmp_path):
    # down, up, up, then the restart after the app install (a failure starts the count again)
    service.app_answers = [503, 200, 200, 503, 200, 200, 200, 404]
    done = run(WAIT, service, tmp_path, POLLS="10")
    assert done.returncode == 0, done.stdout + done.stderr
    assert app_polls(service) == 7


def test_hec_must_be_healthy_too(service, tmp_path):
    service.health_answers = [503, 503, 200]
    done = run(WAIT, service, tmp_path, POLLS="10")
    assert done.returncode == 0
    assert service.requests.count(("GET", HEALTH_PATH)) == 5


def test_gives_up_after_120_polls_10_seconds_apart(service, tmp_path):
    service.app_answers = [404]
    done = run(WAIT, service, tmp_path)
    assert done.returncode == 1
    assert "Splunk was not ready after 20 minutes" in done.stdout
    # 120 polls asked of seq (which counts only to 3 here), each followed by a 10 s sleep
    assert (tmp_path / "seq.arg").read_text() == "120\n"
    assert app_polls(service) == 3 and (tmp_path / "sleeps").read_text() == "10\n" * 3


def test_the_password_reaches_splunk_intact_and_is_never_printed(service, tmp_path):
    # quotes, a backslash, a space, `$` and a backquote: curl's config syntax needs the escaping
    done = run(WAIT, service, tmp_path)
    assert done.returncode == 0 and app_polls(service) == 3
    wrong = run(WAIT, service, tmp_path, SPLUNK_PASSWORD="not-the-password")
    assert wrong.returncode == 1
    for output in (done.stdout, done.stderr, wrong.stdout, wrong.stderr):
        assert service.password not in output


EXPORT = block(JOB["after_script"], "splunkd.log")


def test_a_failed_job_exports_splunkd_log(service, tmp_path):
    done = run(EXPORT, service, tmp_path, CI_JOB_STATUS="failed")
    assert done.returncode == 0
    assert (tmp_path / "dist/splunkd.log").read_text() == "splunkd.log lines\n"
    [form] = service.forms
    assert form == {"search": ["search index=_internal sourcetype=splunkd"], "output_mode": ["raw"]}


def test_a_successful_job_exports_nothing(service, tmp_path):
    done = run(EXPORT, service, tmp_path, CI_JOB_STATUS="success")
    assert done.returncode == 0
    assert service.requests == [] and not (tmp_path / "dist/splunkd.log").exists()
