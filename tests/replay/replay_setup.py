"""What the replay tests share: the dataset they replay, the fake server's credentials, and a
way to start the fake with the app as shipped."""


from fake_splunk import FakeSplunk

from linux_auditd_at.detection import APP_ID, SEARCH_NAME, load_detection
from paths import AUDIT_DATA, REPO

DATASET = AUDIT_DATA / "enriched.log"  # real auditd records, see its README
PASSWORD = "fake-admin-password"
HEC_TOKEN = "00000000-1111-2222-3333-444444444444"


def start_fake(ca, **options) -> FakeSplunk:
    """A running fake with the app as shipped (its saved search and macros); `ca` is the CA
    fixture's (PEM path, server context)."""
    detection = load_detection(REPO)
    return FakeSplunk(ca[1], password=PASSWORD, hec_token=HEC_TOKEN, apps={APP_ID: True},
                      saved_searches={(APP_ID, SEARCH_NAME): dict(detection.settings)},
                      macros=dict(detection.macros), auth_tokens=("fake-bearer-token",),
                      **options).start()
