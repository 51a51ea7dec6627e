"""The app's id and version, read once from `default/app.conf` so nothing else hard-codes them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from linux_auditd_at.conf import default_path, read_conf_file
from linux_auditd_at.errors import ConfError


@dataclass(frozen=True)
class AppIdentity:
    app_id: str
    version: str

    @property
    def package_name(self) -> str:
        return f"{self.app_id}-{self.version}.tar.gz"


def read_identity(app_dir: Path) -> AppIdentity:
    """`[package] id` and `[id] version` of default/app.conf; `[id] name` must equal the package id."""
    path = default_path(app_dir, "app")
    stanzas = read_conf_file(path)
    app_id = stanzas.get("package", {}).get("id", "").strip()
    version = stanzas.get("id", {}).get("version", "").strip()
    if not app_id:
        raise ConfError("no app id", path=str(path), stanza="package", key="id")
    if not version:
        raise ConfError("no app version", path=str(path), stanza="id", key="version")
    name = stanzas.get("id", {}).get("name", "").strip()
    if name != app_id:
        raise ConfError(f"[id] name {name!r} differs from [package] id {app_id!r}", path=str(path),
                        stanza="id", key="name")
    return AppIdentity(app_id, version)
