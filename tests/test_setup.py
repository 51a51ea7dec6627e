"""The set-up a new user runs (`make run`, `make test`, `.ci/run`), on a scratch copy of the Makefile.

`make -n` prints what a target would run without running it, so the venv logic is checked without
creating one; the too-old interpreter case runs for real with a stand-in `python3` that reports 3.9.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VERSION = ".".join(map(str, sys.version_info[:3]))
INSTALL_INPUTS = ("pyproject.toml", "setup.py", "package/linux_auditd_at/audit/_lines.c")
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make: apt-get install make")


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make` as a user runs it: no LIVE, and none of the variables of a `make test LIVE=1` that
    runs this test (MAKEFLAGS would pass LIVE=1 on)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LIVE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=folder, capture_output=True, text=True,
                          env=env)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder with the Makefile and the install's inputs (pyproject.toml, the C extension) older
    than the venv stamps made below."""
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in INSTALL_INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
        os.utime(tmp_path / name, (1, 1))
    (tmp_path / ".venv").mkdir()
    return tmp_path


def test_a_venv_made_by_another_python_is_rebuilt(checkout):
    """`make PYTHON=python3.11 run` after a try with an older python3 must not keep its venv."""
    (checkout / ".venv" / ".python-3.9.2").touch()
    (checkout / ".venv" / ".installed").touch()
    plan = _make(checkout, "-n", "venv", f"PYTHON={sys.executable}").stdout
    assert "rm -rf .venv" in plan and f"{sys.executable} -m venv .venv" in plan
    assert f"touch .venv/.python-{VERSION}" in plan and "pip install --quiet -e '.[test]'" in plan


def test_a_venv_made_by_the_same_python_is_kept(checkout):
    (checkout / ".venv" / f".python-{VERSION}").touch()
    (checkout / ".venv" / ".installed").touch()
    done = _make(checkout, "-n", "venv", f"PYTHON={sys.executable}")
    assert done.returncode == 0
    assert "rm -rf" not in done.stdout and "-m venv" not in done.stdout and "pip install" not in done.stdout
    # only the bytecode is brought up to date (PYTHONDONTWRITEBYTECODE may be set)
    assert done.stdout.strip() == ".venv/bin/python -m compileall -q package"


@pytest.mark.parametrize("changed", INSTALL_INPUTS)
def test_a_change_to_the_dependencies_or_the_c_extension_installs_again(checkout, changed):
    """The editable install builds the C extension in place: after a pull that changes it, `make`
    must build it again, not keep running the old one."""
    (checkout / ".venv" / f".python-{VERSION}").touch()
    (checkout / ".venv" / ".installed").touch()
    os.utime(checkout / ".venv" / ".installed", (2, 2))  # file times are coarse: set, not touched
    os.utime(checkout / changed, (3, 3))
    plan = _make(checkout, "-n", "venv", f"PYTHON={sys.executable}").stdout
    assert "pip install --quiet -e '.[test]'" in plan


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler: apt-get install gcc python3-dev")
def test_the_c_extension_builds_and_without_a_compiler_the_build_goes_on(tmp_path):
    """setup.py's extension is optional: with a compiler it is built; with one that fails
    (CC=false) the build still succeeds, without it, and the package's Python does its work."""
    def build(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "setup.py", "-q", "build_ext", "--build-lib", str(folder),
                   "--build-temp", str(folder / "temp")]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env})
    built = build(tmp_path / "with")
    assert built.returncode == 0, built.stderr
    assert list((tmp_path / "with").rglob("_lines*.so"))
    failed = build(tmp_path / "without", CC="false")
    assert failed.returncode == 0, failed.stderr
    assert not list((tmp_path / "without").rglob("_lines*.so"))


def test_a_python_older_than_3_11_is_refused_and_the_venv_left_alone(checkout):
    old = checkout / "python3.9"
    old.write_text('#!/bin/sh\ncase "$2" in *print*) echo 3.9.2 ;; *) exit 1 ;; esac\n')
    old.chmod(0o755)
    (checkout / ".venv" / "kept").touch()
    done = _make(checkout, "venv", f"PYTHON={old}")
    assert done.returncode != 0
    assert f"make: {old} is not Python 3.11 or newer (3.9.2); install one and run, e.g., " \
           "make PYTHON=python3.11 run" in done.stderr
    assert (checkout / ".venv" / "kept").exists()


def test_make_test_leaves_the_live_captures_out_and_ci_runs_them(checkout):
    """The live captures change the machine's audit state: `make test` does not ask for them,
    `make test-live` and `.ci/run` (`make test LIVE=1`) do."""
    (checkout / ".venv" / f".python-{VERSION}").touch()
    (checkout / ".venv" / ".installed").touch()
    assert "LIVE= .venv/bin/pytest\n" in _make(checkout, "-n", "test").stdout
    assert "LIVE=1 .venv/bin/pytest -m live\n" in _make(checkout, "-n", "test-live").stdout
    assert "\nmake test LIVE=1\n" in (ROOT / ".ci" / "run").read_text()


def test_without_live_the_live_captures_skip_saying_how_to_run_them():
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           str(ROOT / "tests" / "capture" / "test_live.py")], cwd=ROOT, capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "LIVE"})
    assert done.returncode == 0, done.stdout
    assert re.search(r"^\d+ skipped in ", done.stdout.splitlines()[-1])
    assert "live captures change this machine's audit state; run them with `make test-live`" in done.stdout
