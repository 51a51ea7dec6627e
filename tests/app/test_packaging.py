"""The package: only app content, one top folder, normalized metadata, byte-for-byte reproducible."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest

from linux_auditd_at.app.package import DEFAULT_MTIME, build_package, sha256_of
from linux_auditd_at.errors import ConfError
from scratch_app import SHIPPED

APP_ID = SHIPPED.app_id


def members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path, "r:gz") as tar:
        return tar.getmembers()


def add_clutter(app: Path) -> None:
    """What a working copy holds that must never ship."""
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text("[linux_auditd_at_application_execution_filter]\n"
                                               "definition = search NOT dest=build-01\n")
    (app / "metadata" / "local.meta").write_text("[]\nowner = admin\n")
    (app / "lookups").mkdir()  # a site's allow-list is site data: the app ships none (docs/tuning.md)
    (app / "lookups" / "at_allowlist.csv").write_text("dest\nbuild-01\n")
    (app / ".gitignore").write_text("dist/\n")
    (app / "default" / ".macros.conf.swp").write_text("x")
    (app / "default" / "macros.conf~").write_text("x")
    (app / "default" / "__pycache__").mkdir()
    (app / "default" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    for folder in ("package", "tests", "attack_data", "bench", ".venv"):
        (app / folder).mkdir()
        (app / folder / "file.py").write_text("x = 1\n")
    (app / "pyproject.toml").write_text("[project]\n")
    (app / "Makefile").write_text("all:\n")


def test_package_holds_exactly_the_app_content_under_one_folder(app, tmp_path):
    add_clutter(app)
    path = build_package(app, tmp_path / "dist")
    assert path == tmp_path / "dist" / SHIPPED.package_name
    assert [m.name for m in members(path)] == [
        APP_ID,
        f"{APP_ID}/LICENSE",
        f"{APP_ID}/README.md",
        f"{APP_ID}/app.manifest",
        f"{APP_ID}/default",
        f"{APP_ID}/default/app.conf",
        f"{APP_ID}/default/macros.conf",
        f"{APP_ID}/default/savedsearches.conf",
        f"{APP_ID}/metadata",
        f"{APP_ID}/metadata/default.meta",
    ]


def test_static_icons_are_packed_when_present(app, tmp_path):
    (app / "static").mkdir()
    (app / "static" / "appIcon.png").write_bytes(b"\x89PNG")
    names = [m.name for m in members(build_package(app, tmp_path / "dist"))]
    assert f"{APP_ID}/static/appIcon.png" in names and f"{APP_ID}/static" in names


def test_members_are_root_owned_0644_files_0755_folders_with_one_mtime(app, tmp_path):
    os.chmod(app / "default" / "macros.conf", 0o600)
    os.chmod(app / "LICENSE", 0o755)
    for member in members(build_package(app, tmp_path / "dist")):
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "root", "root")
        assert member.mtime == DEFAULT_MTIME
        assert member.isdir() or member.isfile()
        assert member.mode == (0o755 if member.isdir() else 0o644), member.name


def test_file_content_is_copied_unchanged(app, tmp_path):
    with tarfile.open(build_package(app, tmp_path / "dist"), "r:gz") as tar:
        packed = tar.extractfile(f"{APP_ID}/default/savedsearches.conf").read()
    assert packed == (app / "default" / "savedsearches.conf").read_bytes()


def test_two_builds_are_byte_identical_whatever_the_files_timestamps(app, tmp_path):
    first = build_package(app, tmp_path / "one")
    os.utime(app / "default" / "app.conf", (1_700_000_000, 1_700_000_000))
    second = build_package(app, tmp_path / "two")
    assert sha256_of(first) == sha256_of(second)
    assert first.read_bytes() == second.read_bytes()


def test_a_content_change_changes_the_hash(app, tmp_path):
    first = sha256_of(build_package(app, tmp_path / "one"))
    with (app / "default" / "macros.conf").open("a") as conf:
        conf.write("\n")
    assert sha256_of(build_package(app, tmp_path / "two")) != first


def test_gzip_header_has_no_timestamp_and_no_file_name(app, tmp_path):
    header = build_package(app, tmp_path / "dist").read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] & 0x08 == 0, "FNAME flag set: the header stores a file name"
    assert header[4:8] == b"\0\0\0\0", "the header stores a modification time"


def test_source_date_epoch_sets_the_members_mtime(app, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert {m.mtime for m in members(build_package(app, tmp_path / "dist"))} == {1700000000}


def test_id_and_version_come_from_app_conf(app, tmp_path):
    conf = app / "default" / "app.conf"
    conf.write_text(conf.read_text().replace(f"version = {SHIPPED.version}", "version = 1.2.3"))
    assert build_package(app, tmp_path / "dist").name == f"{APP_ID}-1.2.3.tar.gz"


def test_app_conf_whose_name_differs_from_package_id_is_refused(app, tmp_path):
    conf = app / "default" / "app.conf"
    conf.write_text(conf.read_text().replace(f"name = {APP_ID}", "name = other_app"))
    with pytest.raises(ConfError, match=r"app\.conf, \[id\], name"):
        build_package(app, tmp_path / "dist")


def test_a_folder_without_app_conf_is_refused(tmp_path):
    (tmp_path / "default").mkdir()
    with pytest.raises(ConfError, match="app.conf"):
        build_package(tmp_path, tmp_path / "dist")


def test_the_archive_is_a_plain_tar_inside_gzip(app, tmp_path):
    raw = gzip.decompress(build_package(app, tmp_path / "dist").read_bytes())
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        assert tar.getnames()[0] == APP_ID
