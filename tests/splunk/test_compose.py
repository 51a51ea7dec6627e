"""The compose file for a local Splunk: pinned, secrets from the environment, ports on localhost.

The container itself cannot run here (no Docker engine); these check what the file asks for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from linux_auditd_at import __version__
from linux_auditd_at.detection import APP_ID
from paths import REPO

COMPOSE = REPO / "tests" / "splunk" / "compose.yml"


@pytest.fixture(scope="module")
def splunk():
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["splunk"]


def test_image_is_a_pinned_splunk_9_release(splunk):
    assert re.fullmatch(r"splunk/splunk:9\.\d+\.\d+", splunk["image"])


def test_license_accepted_and_secrets_required_from_the_environment(splunk):
    env = splunk["environment"]
    assert env["SPLUNK_START_ARGS"] == "--accept-license"
    # `${VAR:?message}`: compose refuses to start without it, and no default is committed
    assert re.fullmatch(r"\$\{SPLUNK_PASSWORD:\?[^}]+\}", env["SPLUNK_PASSWORD"])
    # no HEC token provisioned: replay creates its own over REST and deletes it
    assert "SPLUNK_HEC_TOKEN" not in env
    # splunk-ansible prints admin passwords unless hide_password is set (default.yml.spec:
    # "hide_password ... Default: false"; inventory/environ.py reads HIDE_PASSWORD), and CI uploads
    # the container's console output as an artifact, which GitHub does not mask
    assert env["HIDE_PASSWORD"] == "true"


def test_make_splunk_up_checks_docker_compose_and_touches_no_token(tmp_path):
    # a `docker` without the compose plugin: splunk-up stops before building, saying what to install
    (tmp_path / "docker").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "docker").chmod(0o755)
    make = shutil.which("make")
    if make is None:
        pytest.skip("make not installed: apt-get install make")
    done = subprocess.run([make, "-s", "-C", str(REPO), "splunk-up"], capture_output=True, text=True,
                          env={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert done.returncode != 0
    assert done.stderr.startswith("make splunk-up: needs 'docker compose'")
    assert "docker-compose-plugin" in done.stderr
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "curl" not in makefile and "inputs/http" not in makefile


def test_installs_the_package_make_package_builds(splunk):
    apps_url = Path(splunk["environment"]["SPLUNK_APPS_URL"])
    assert apps_url.name == f"{APP_ID}-{__version__}.tar.gz"
    mounts = {target: source for source, target, *_ in (v.split(":") for v in splunk["volumes"])}
    assert (COMPOSE.parent / mounts[str(apps_url.parent)]).resolve() == REPO / "dist"


def test_ports_bound_to_localhost_only(splunk):
    ports = sorted(splunk["ports"])
    assert ports == ["127.0.0.1:8000:8000", "127.0.0.1:8088:8088", "127.0.0.1:8089:8089"]


def test_healthcheck_so_up_wait_returns_when_splunk_is_ready(splunk):
    # docker-splunk's own probe: healthy once the entrypoint wrote `started`, which it does after
    # the provisioning playbook (HEC token, app install) succeeded, so `up --wait` means ready
    assert splunk["healthcheck"]["test"] == ["CMD", "/sbin/checkstate.sh"]
    assert splunk["healthcheck"]["start_period"]


def has_compose() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not has_compose(), reason="docker compose plugin not installed: install Docker with "
                                              "the compose plugin to validate the file with compose itself")
def test_compose_itself_accepts_the_file():
    env = {**os.environ, "SPLUNK_PASSWORD": "placeholder-pw"}
    subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], check=True, env=env)
