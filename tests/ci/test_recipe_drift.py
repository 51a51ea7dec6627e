"""The CI recipes name the same image, make targets and variables as the compose file, the Makefile
and `replay` (recipe_drift.py); each check is proven by changing one side only on a copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from recipe_drift import FILES, problems, replay_env_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The files the cross-checks read, copied so a test can change one of them."""
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def mutate(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}: the mutation no longer applies"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_recipes_agree_with_compose_makefile_and_replay():
    assert problems(ROOT) == []


def test_the_unchanged_copy_agrees(copy):
    assert problems(copy) == []


def test_replay_documents_the_variables_the_recipes_set():
    assert {"SPLUNK_URL", "SPLUNK_HEC_URL", "SPLUNK_PASSWORD", "SPLUNK_HEC_TOKEN"} <= replay_env_names()


TAG = "splunk/splunk:9.4.3"
MUTATIONS = {
    # the image tag, on one side only
    "compose image": ("tests/splunk/compose.yml", TAG, "splunk/splunk:9.4.4", "not the compose file's"),
    "gitlab image": ("docs/ci/gitlab-ci.yml", TAG, "splunk/splunk:9.4.4", "not the compose file's"),
    "doc image": ("docs/ci.md", TAG, "splunk/splunk:9.4.4", "not the compose file's"),
    # a make target
    "Makefile target": ("Makefile", "splunk-up:", "splunk-start:", "no such target"),
    "Makefile package": ("Makefile", "\npackage:", "\nbuild-package:", "no such target"),
    "workflow target": (".github/workflows/replay.yml", "make splunk-down", "make splunk-stop",
                        "no such target"),
    "gitlab target": ("docs/ci/gitlab-ci.yml", "make replay ", "make replay-all ", "no such target"),
    "workflow drops a target": (".github/workflows/replay.yml", "run: make splunk-up", "run: make package",
                                "never runs make splunk-up"),
    "teardown not always": (".github/workflows/replay.yml", "if: ${{ always() }}", "if: ${{ success() }}",
                            "must run always()"),
    # a variable name
    "Makefile variable": ("Makefile", "$(REPLAY_ARGS)", "$(ARGS)", "never reads"),
    "workflow make variable": (".github/workflows/replay.yml", "REPLAY_ARGS=", "REPLAY_FLAGS=",
                               "never reads"),
    "compose secret": ("tests/splunk/compose.yml", "SPLUNK_PASSWORD", "SPLUNK_ADMIN_PASSWORD",
                       "without SPLUNK_ADMIN_PASSWORD"),
    # a secret compose does not read (as when compose stops requiring one) would reach replay only
    "workflow extra secret": (".github/workflows/replay.yml", "Replay the datasets\n        env:\n",
                              "Replay the datasets\n        env:\n"
                              "          SPLUNK_TOKEN: ${{ secrets.SPLUNK_TOKEN }}\n",
                              "passes the secret SPLUNK_TOKEN, which the compose file does not require"),
    "compose new requirement": ("tests/splunk/compose.yml", "SPLUNK_START_ARGS: --accept-license",
                                "SPLUNK_START_ARGS: --accept-license\n      SPLUNK_LICENSE_URI: "
                                "${SPLUNK_LICENSE_URI:?set it}", "SPLUNK_LICENSE_URI"),
    "workflow url": (".github/workflows/replay.yml", "SPLUNK_URL:", "SPLUNK_MGMT_URL:",
                     "sets SPLUNK_MGMT_URL, which neither"),
    "workflow secret name": (".github/workflows/replay.yml", "secrets.SPLUNK_PASSWORD",
                             "secrets.ADMIN_PASSWORD", "from the secret ADMIN_PASSWORD"),
    "workflow unchecked secret": (".github/workflows/replay.yml", ': "${SPLUNK_PASSWORD:?', ': "${PASSWORD:?',
                                  "SPLUNK_PASSWORD is not checked"),
    "gitlab hec url": ("docs/ci/gitlab-ci.yml", "SPLUNK_HEC_URL:", "SPLUNK_HEC_ENDPOINT:",
                       "sets SPLUNK_HEC_ENDPOINT, which neither"),
    "gitlab service variable": ("docs/ci/gitlab-ci.yml", "SPLUNK_GENERAL_TERMS:", "SPLUNK_TERMS:",
                                "lacks SPLUNK_GENERAL_TERMS"),
    "gitlab service value": ("docs/ci/gitlab-ci.yml", "SPLUNK_START_ARGS: --accept-license",
                             "SPLUNK_START_ARGS: --no-prompt", "SPLUNK_START_ARGS is '--no-prompt'"),
    "gitlab package file": ("docs/ci/gitlab-ci.yml", "dist/DA-ESS-linux_auditd_at-1.0.0.tar.gz",
                            "dist/DA-ESS-linux_auditd_at.tar.gz", "SPLUNK_APPS_URL is"),
    "doc secret": ("docs/ci.md", "SPLUNK_PASSWORD", "THE_PASSWORD", "does not name the secret"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_change_on_one_side_only_is_caught(copy, name):
    file, old, new, expected = MUTATIONS[name]
    mutate(copy, file, old, new)
    found = problems(copy)
    assert any(expected in problem for problem in found), found


def test_a_variable_replay_stops_reading_is_caught(copy):
    found = problems(copy, replay_env=replay_env_names() - {"SPLUNK_HEC_URL"})
    assert found == ["docs/ci/gitlab-ci.yml: sets SPLUNK_HEC_URL, which neither the compose file "
                     "nor replay reads"]
