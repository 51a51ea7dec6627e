"""Build the app's reproducible .tar.gz for installing in Splunk (prints SHA-256 and path, as sha256sum does).

The package holds only the app (default/, metadata/default.meta, app.manifest, README.md,
LICENSE, static/), never local/ or the toolkit; two builds of the same tree are byte-identical.
"""

from __future__ import annotations

from pathlib import Path

from linux_auditd_at.app.package import build_package, sha256_of
from linux_auditd_at.detection import app_dir_or_found
from linux_auditd_at.errors import ExitCode


def add_arguments(parser):
    parser.add_argument("--output-dir", type=Path, default=Path("dist"),
                        help="where to write <app id>-<version>.tar.gz (default: dist)")


def run(args) -> int:
    path = build_package(app_dir_or_found(args.app_dir), args.output_dir)
    print(f"{sha256_of(path)}  {path}")
    return ExitCode.OK
