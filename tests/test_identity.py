"""One source for the app id and version: default/app.conf. Every other place that states them
either reads app.conf or is compared with it here, so a version bump in app.conf alone fails a test
that names the place still saying the old one."""

from __future__ import annotations

import json
import re
import tomllib

import linux_auditd_at
from linux_auditd_at.conf import read_conf_file
from linux_auditd_at.detection import APP_ID
from scratch_app import REPO, SHIPPED

PACKAGE_FILE = re.compile(r"DA-ESS-[\w-]*?-(\d[\w.]*?)\.tar\.gz")


def test_app_conf_states_one_version():
    conf = read_conf_file(REPO / "default" / "app.conf")
    assert conf["launcher"]["version"] == SHIPPED.version, "default/app.conf [launcher] version"


def test_toolkit_version_is_the_app_version():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == SHIPPED.version, "pyproject.toml [project] version"
    assert linux_auditd_at.__version__ == SHIPPED.version, "installed toolkit (re-run make venv)"


def test_search_code_names_the_app_conf_id():
    assert APP_ID == SHIPPED.app_id, "linux_auditd_at.detection.APP_ID"


def test_manifest_names_the_app_conf_id_and_version():
    info = json.loads((REPO / "app.manifest").read_text(encoding="utf-8"))["info"]["id"]
    assert (info["name"], info["version"]) == (SHIPPED.app_id, SHIPPED.version), "app.manifest"


def test_documents_name_the_current_package():
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    stale = [(page.relative_to(REPO).as_posix(), match.group(0)) for page in pages
             for match in PACKAGE_FILE.finditer(page.read_text(encoding="utf-8"))
             if match.group(0) != SHIPPED.package_name]
    assert stale == []


def test_stale_package_names_are_found():
    assert PACKAGE_FILE.search("upload DA-ESS-linux_auditd_at-0.9.tar.gz").group(1) == "0.9"
