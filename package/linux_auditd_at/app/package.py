"""A byte-for-byte reproducible `.tar.gz` of the app, as Splunk and AppInspect expect it.

Only the app's own content goes in (an allow-list, so the toolkit, tests, captures and anything a
user keeps in `local/` stay out); one top-level folder named after the app id; sorted entries,
files 0644, folders 0755, owner root (0/0), one fixed mtime, and a gzip header without timestamp
or file name: two builds of the same tree give the same SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

from linux_auditd_at import atomic
from linux_auditd_at.app.identity import read_identity
from linux_auditd_at.errors import ConfError, OutputError

# What the package holds, relative to the app folder. Folders are taken whole, minus EXCLUDED.
# No `lookups/`: the app ships no lookup table; an allow-list is the site's (docs/tuning.md).
APP_CONTENT = ("app.manifest", "LICENSE", "README.md", "default", "metadata/default.meta", "static")
EXCLUDED_NAMES = {"__pycache__", "local.meta"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", "~", ".swp", ".bak")
# 1980-01-01, the earliest time every archive format can store; SOURCE_DATE_EPOCH overrides it.
DEFAULT_MTIME = 315532800


def _excluded(name: str) -> bool:
    return name.startswith(".") or name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def package_members(app_dir: Path) -> list[Path]:
    """The app's files and folders to pack, relative to `app_dir`, sorted, parents before children."""
    members: set[Path] = set()
    for entry in APP_CONTENT:
        path = app_dir / entry
        if not path.exists():
            continue
        found = [path] if path.is_file() else [p for p in path.rglob("*")
                                               if not any(_excluded(part) for part in
                                                          p.relative_to(app_dir).parts)]
        for item in found:
            relative = item.relative_to(app_dir)
            members.add(relative)
            members.update(parent for parent in relative.parents if parent != Path("."))
    for required in ("default", "default/app.conf"):
        if Path(required) not in members:
            raise ConfError(f"app folder has no {required}", path=str(app_dir))
    return sorted(members, key=lambda p: p.parts)


def _tarinfo(name: str, *, is_dir: bool, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.mode = 0o755 if is_dir else 0o644
    info.size = 0 if is_dir else size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def build_package(app_dir: Path, output_dir: Path) -> Path:
    """Write `<app id>-<version>.tar.gz` into `output_dir` (atomically) and return its path."""
    identity = read_identity(app_dir)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_MTIME))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(_tarinfo(identity.app_id, is_dir=True, size=0, mtime=mtime))
        for relative in package_members(app_dir):
            source = app_dir / relative
            name = f"{identity.app_id}/{relative.as_posix()}"
            if source.is_dir():
                tar.addfile(_tarinfo(name, is_dir=True, size=0, mtime=mtime))
            else:
                data = source.read_bytes()
                tar.addfile(_tarinfo(name, is_dir=False, size=len(data), mtime=mtime), io.BytesIO(data))
    target = output_dir / identity.package_name
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror or exc}",
                          path=str(output_dir)) from exc
    atomic.replace(target, buffer.getvalue())
    return target


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
