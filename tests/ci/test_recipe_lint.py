"""The CI recipes pass the linters `make lint` runs (actionlint with shellcheck, zizmor offline),
every action is pinned by commit, and the GitLab job's scripts pass shellcheck. Each linter is
also shown catching a planted mistake, so a clean run means it looked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github/workflows/replay.yml"
GITLAB = ROOT / "docs/ci/gitlab-ci.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} not installed: pip install -e '.[test]' (the test extras pin it)")
    return path


def run(*argv, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # shellcheck from the same environment, found by actionlint on PATH as in `make lint`
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ZIZMOR_OFFLINE": "true"}
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, cwd=cwd, env=env)


def planted(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the workflow in a repository layout, with one mistake planted."""
    target = tmp_path / ".github/workflows/replay.yml"
    target.parent.mkdir(parents=True)
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_actionlint_is_clean():
    done = run(tool("actionlint"), WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_runs_shellcheck_on_run_scripts(tmp_path):
    tool("shellcheck")
    workflow = planted(tmp_path, "run: make package", "run: cd $HOME && make package")
    done = run(tool("actionlint"), workflow, cwd=tmp_path)
    assert done.returncode == 1 and "SC2086" in done.stdout, done.stdout


def test_zizmor_is_clean_offline():
    done = run(tool("zizmor"), "--offline", WORKFLOW.parent)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_catches_template_injection(tmp_path):
    workflow = planted(tmp_path, "run: make package", 'run: echo "${{ github.event.pull_request.title }}"')
    done = run(tool("zizmor"), "--offline", workflow.parent, cwd=tmp_path)
    assert done.returncode != 0 and "template-injection" in done.stdout, done.stdout


def test_every_action_is_pinned_by_full_commit_sha():
    uses = [step["uses"] for job in yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
            for step in job["steps"] if "uses" in step]
    assert uses
    assert [u for u in uses if not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u)] == []
    # the tag each SHA stands for, in a comment, for humans and update bots
    for use in uses:
        assert re.search(rf"{re.escape(use)} # v\d", WORKFLOW.read_text()), use


def test_least_permissions():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert workflow["permissions"] == {}
    assert [job["permissions"] for job in workflow["jobs"].values()] == [{"contents": "read"}]


def gitlab_scripts() -> list[str]:
    job = yaml.safe_load(GITLAB.read_text())["replay"]
    service = job["services"][0]
    return [*job["script"], *job["after_script"], *service["command"]]


def shellcheck(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "script.sh"
    path.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    return run(tool("shellcheck"), "--shell=sh", path)


@pytest.mark.parametrize("index", range(len(gitlab_scripts())))
def test_gitlab_scripts_pass_shellcheck(index, tmp_path):
    done = shellcheck(gitlab_scripts()[index], tmp_path)
    assert done.returncode == 0, done.stdout


def test_shellcheck_catches_a_planted_mistake(tmp_path):
    assert shellcheck('curl -o dist/splunkd.log $SPLUNK_URL', tmp_path).returncode == 1


def test_make_lint_runs_both_linters_offline():
    makefile = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "/actionlint $(WORKFLOWS)/*.yml" in lint and "/zizmor --offline $(WORKFLOWS)" in lint


def secret_uses(script: str, names: set[str]) -> list[str]:
    """The script's lines that expand a secret other than to check it is set (`${NAME:?...}`)."""
    return [line.strip() for line in script.splitlines()
            if any(re.search(rf"\$\{{?{name}\b(?!:\?)", line) for name in names)]


def test_no_workflow_script_expands_a_secret():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    names = {name for job in workflow["jobs"].values() for step in job["steps"]
             for name, value in step.get("env", {}).items() if "secrets." in value}
    assert names
    scripts = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert [use for script in scripts for use in secret_uses(script, names)] == []


def test_the_gitlab_job_pipes_the_password_to_curl_never_to_the_log():
    # curl reads its credentials from standard input (-K -), so they are neither printed nor in `ps`
    uses = [use for script in gitlab_scripts() for use in secret_uses(script, {"SPLUNK_PASSWORD"})]
    assert uses and all(use.endswith("|") or " | " in use for use in uses), uses
    assert secret_uses('echo "$SPLUNK_PASSWORD"', {"SPLUNK_PASSWORD"})
