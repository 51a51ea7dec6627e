"""Where things are in the checkout, for every test: import these, never `Path(__file__)...`."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
"""The checkout: the shipped app at its root, the toolkit under package/."""
AUDIT_DATA = REPO / "tests" / "audit" / "data"
"""Real auditd records (see its README)."""
DATASET = REPO / "attack_data" / "T1053.002" / "linux_auditd_at"
"""The bundled attack_data dataset: logs, metadata YAML and expected rows."""
