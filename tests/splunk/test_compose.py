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

COMPOSE = Path(__file__).with_name("compose.yml")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def splunk():
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]["splunk"]


def test_image_is_a_pinned_splunk_9_release(splunk):
    assert re.fullmatch(r"splunk/splunk:9\.\d+\.\d+", splunk["image"])


def test_license_accepted_and_secrets_required_from_the_environment(splunk):
    env = splunk["environment"]
    assert env["SPLUNK_START_ARGS"] == "--accept-license"
    for name in ("SPLUNK_PASSWORD", "SPLUNK_HEC_TOKEN"):
        # `${VAR:?message}`: compose refuses to start without it, and no default is committed
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", env[name]), env[name]


def test_installs_the_package_make_package_builds(splunk):
    apps_url = Path(splunk["environment"]["SPLUNK_APPS_URL"])
    assert apps_url.name == f"{APP_ID}-{__version__}.tar.gz"
    mounts = {target: source for source, target, *_ in (v.split(":") for v in splunk["volumes"])}
    assert (COMPOSE.parent / mounts[str(apps_url.parent)]).resolve() == ROOT / "dist"


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
    env = {**os.environ, "SPLUNK_PASSWORD": "placeholder-pw", "SPLUNK_HEC_TOKEN": "placeholder-token"}
    subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], check=True, env=env)
