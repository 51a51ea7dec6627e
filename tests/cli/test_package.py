"""`linux-auditd-at package`: writes the package where asked and prints `sha256  path` like sha256sum."""

from __future__ import annotations

import hashlib
from pathlib import Path

from linux_auditd_at.cli import main
from paths import REPO
from scratch_app import SHIPPED


def test_package_prints_sha256_and_path_and_is_reproducible(tmp_path, capsys):
    assert main(["--app-dir", str(REPO), "package", "--output-dir", str(tmp_path / "a")]) == 0
    assert main(["--app-dir", str(REPO), "package", "--output-dir", str(tmp_path / "b")]) == 0
    first, second = capsys.readouterr().out.splitlines()
    digest, path = first.split("  ")
    assert Path(path) == tmp_path / "a" / SHIPPED.package_name
    assert digest == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert second.split("  ")[0] == digest


def test_package_of_a_folder_without_app_conf_fails(tmp_path, capsys):
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / "savedsearches.conf").write_text("[x]\nsearch = *\n")
    assert main(["--app-dir", str(tmp_path), "package", "--output-dir", str(tmp_path / "dist")]) == 2
    assert "app.conf" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists()


def test_package_of_a_folder_that_is_not_the_app_says_so(tmp_path, capsys):
    nowhere = tmp_path / "nonexistent"
    assert main(["--app-dir", str(nowhere), "package", "--output-dir", str(tmp_path / "dist")]) == 2
    assert f"{nowhere}: not an app folder" in capsys.readouterr().err
    assert not (tmp_path / "dist").exists()


def test_output_dir_that_is_a_file_is_one_error_line(tmp_path, capsys):
    target = tmp_path / "dist"
    target.write_text("a file, not a folder\n")
    assert main(["--app-dir", str(REPO), "package", "--output-dir", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"linux-auditd-at package: error: {target}: cannot create the output folder: "
                            "File exists\n")
    assert target.read_text() == "a file, not a folder\n"


def test_output_dir_where_no_file_may_be_created_is_one_error_line(capsys):
    """sysfs refuses new files to every user, root included (a chmod'ed folder would not stop root)."""
    assert main(["--app-dir", str(REPO), "package", "--output-dir", "/sys"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("linux-auditd-at package: error: /sys/DA-ESS-linux_auditd_at-1.0.0.tar.gz: "
                            "cannot write: Permission denied\n")
