"""`replay` against a real Splunk: runs only when one is configured (marker `splunk`).

    make package && make splunk-up     # on a machine with Docker
    SPLUNK_URL=https://localhost:8089 SPLUNK_PASSWORD=... pytest -m splunk

replay creates its own HEC token per dataset; SPLUNK_HEC_TOKEN, when set, is used instead.

For the local container (Splunk's default self-signed certificate) also set SPLUNK_INSECURE=1, or
SPLUNK_CA_FILE to a CA that signed a certificate for the host in SPLUNK_URL.
"""

from __future__ import annotations

import os

import pytest

from linux_auditd_at.cli import main
from paths import REPO

pytestmark = [
    pytest.mark.splunk,
    pytest.mark.skipif(
        not (os.environ.get("SPLUNK_URL")
             and (os.environ.get("SPLUNK_PASSWORD") or os.environ.get("SPLUNK_TOKEN"))),
        reason="no Splunk configured: set SPLUNK_URL and SPLUNK_PASSWORD (or SPLUNK_TOKEN); start one "
               "with make splunk-up on a machine with Docker"),
]


def test_bundled_datasets_pass_on_a_real_splunk(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(REPO)
    report = tmp_path / "replay.xml"
    argv = ["replay", "--junit-xml", str(report)]
    if os.environ.get("SPLUNK_INSECURE") == "1":
        argv.append("--insecure")
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out and out.count("PASS ") >= 2
    assert report.is_file()
