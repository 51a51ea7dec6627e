"""A running fake Splunk (management + HEC over HTTPS with a test CA) and a way to run `replay`."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from linux_auditd_at.cli import main

trustme = pytest.importorskip("trustme", reason="install the test extra: pip install -e '.[test]'")

from replay_setup import DATASET, HEC_TOKEN, PASSWORD, start_fake  # noqa: E402

from paths import REPO  # noqa: E402


@pytest.fixture(scope="session")
def ca(tmp_path_factory):
    """A private CA, its PEM on disk (for --ca-file) and a server context with a cert it signed."""
    authority = trustme.CA()
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    return pem, server


@pytest.fixture
def fake(ca):
    server = start_fake(ca)
    yield server
    server.stop()


@pytest.fixture
def replay(fake, ca, monkeypatch, capsys):
    """Run `linux-auditd-at replay` against the fake; returns (exit code, stdout, stderr)."""
    for name in ("SPLUNK_URL", "SPLUNK_USERNAME", "SPLUNK_PASSWORD", "SPLUNK_TOKEN", "SPLUNK_HEC_URL",
                 "SPLUNK_HEC_TOKEN", "SPLUNK_CA_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPLUNK_PASSWORD", PASSWORD)
    monkeypatch.setenv("SPLUNK_HEC_TOKEN", HEC_TOKEN)

    def run(*extra: str, ca_file: bool = True, dataset: Path | None = DATASET):
        argv = ["--app-dir", str(REPO), "replay", "--url", fake.mgmt_url, "--hec-url", fake.hec_url,
                "--batch-size", "20", "--timeout", "2", "--poll", "0.05", "--backoff", "0.01", *extra]
        if ca_file:
            argv += ["--ca-file", str(ca[0])]
        if dataset is not None:
            argv.append(str(dataset))
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run
