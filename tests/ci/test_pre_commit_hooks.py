"""The pre-commit hooks this repository offers (.pre-commit-hooks.yaml): valid for pre-commit,
passing on this repository through pre-commit itself, failing on a broken app."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scratch_app import copy_app

ROOT = Path(__file__).resolve().parents[2]
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
BIN = Path(sys.executable).parent


def pre_commit() -> Path:
    path = BIN / "pre-commit"
    if not path.exists():
        pytest.skip("pre-commit not installed: pip install -e '.[test]' (the test extras pin it)")
    return path


def test_the_manifest_is_valid_for_pre_commit():
    done = subprocess.run([pre_commit(), "validate-manifest", ROOT / ".pre-commit-hooks.yaml"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(HOOKS) == {"linux-auditd-at-lint", "linux-auditd-at-run"}


def test_try_repo_passes_on_this_repository(tmp_path):
    # what a detection repository gets: pre-commit installs the toolkit from this repository into
    # a hook environment of its own (PyPI access needed) and runs both hooks on all files here
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    done = subprocess.run([pre_commit(), "try-repo", ".", "--all-files", "--verbose"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    for hook in HOOKS.values():
        assert f"- hook id: {hook['id']}" in done.stdout
    assert done.stdout.count("Passed") == len(HOOKS)
    assert "no problems" in done.stdout and "/usr/bin/at" in done.stdout


def run_hook(hook_id: str, repository: Path) -> subprocess.CompletedProcess:
    """The hook's entry as pre-commit runs it (split like a shell, no file names), in `repository`."""
    command, *args = shlex.split(HOOKS[hook_id]["entry"])
    return subprocess.run([BIN / command, *args], cwd=repository, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "LINUX_AUDITD_AT_APP_DIR"})


@pytest.fixture
def broken_filter(tmp_path: Path) -> Path:
    """A detection repository whose filter macro (in local/, where users tune) is not valid SPL."""
    repository = copy_app(tmp_path / "detections")
    sample = "attack_data/T1053.002/linux_auditd_at/auditd_at_execution.log"
    (repository / sample).parent.mkdir(parents=True)
    shutil.copyfile(ROOT / sample, repository / sample)
    (repository / "local").mkdir()
    (repository / "local/macros.conf").write_text(
        "[linux_auditd_at_application_execution_filter]\ndefinition = search NOT dest IN (\"build-01\"\n")
    return repository


@pytest.mark.parametrize("hook_id", sorted(HOOKS))
def test_the_hook_fails_on_a_broken_filter_macro(hook_id, broken_filter):
    assert HOOKS[hook_id]["pass_filenames"] is False
    done = run_hook(hook_id, broken_filter)
    assert done.returncode != 0
    # both quote the broken SPL; lint also names the file and stanza
    assert "expected ',' or ')' in IN list" in done.stderr, done.stderr
    assert 'dest IN ("build-01"' in done.stderr


@pytest.mark.parametrize("hook_id", sorted(HOOKS))
def test_the_hook_passes_once_the_filter_is_fixed(hook_id, broken_filter):
    (broken_filter / "local/macros.conf").write_text(
        "[linux_auditd_at_application_execution_filter]\ndefinition = search NOT dest IN (\"build-01\")\n")
    done = run_hook(hook_id, broken_filter)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(("hook_id", "changed", "runs"), [
    ("linux-auditd-at-lint", "local/macros.conf", True),
    ("linux-auditd-at-lint", "metadata/default.meta", True),
    ("linux-auditd-at-lint", "app.manifest", True),
    ("linux-auditd-at-lint", "docs/ci.md", False),
    # a filter's allow-list: lint resolves its lookups (filter-lookup) and run uses them
    ("linux-auditd-at-lint", "lookups/at_allowlist.csv", True),
    ("linux-auditd-at-run", "lookups/at_allowlist.csv", True),
    ("linux-auditd-at-run", "default/savedsearches.conf", True),
    ("linux-auditd-at-run", "attack_data/T1053.002/linux_auditd_at/auditd_benign.log", True),
    ("linux-auditd-at-run", "metadata/default.meta", False),
])
def test_the_hook_runs_when_the_app_changes(hook_id, changed, runs):
    assert bool(re.search(HOOKS[hook_id]["files"], changed)) is runs
