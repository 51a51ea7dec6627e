"""Constants the replay tests share: the dataset they replay and the fake server's credentials."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "tests" / "audit" / "data" / "enriched.log"  # real auditd records, see its README
PASSWORD = "fake-admin-password"
HEC_TOKEN = "00000000-1111-2222-3333-444444444444"
