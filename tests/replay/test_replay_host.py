"""replay sends each event with the host the embedded engine gives it: the dataset's `host`, not
the `node=` field (splunk-semantics.md: host is set by the input, here the HEC request)."""

from __future__ import annotations

from linux_auditd_at import runner
from linux_auditd_at.attack_data import read_metadata
from linux_auditd_at.replay.hec import hec_event
from linux_auditd_at.replay.session import Outcome, read_events
from paths import AUDIT_DATA

NODE_LOG = AUDIT_DATA / "node.log"


def test_hec_events_carry_the_dataset_host_the_engine_uses(tmp_path):
    (tmp_path / "node.log").write_bytes(NODE_LOG.read_bytes())
    (tmp_path / "meta.yml").write_text("datasets:\n- name: n\n  path: node.log\n  sourcetype: linux:audit\n"
                                       "  source: /var/log/audit/audit.log\n  host: collector\n")
    dataset = read_metadata(tmp_path / "meta.yml")[0]
    sent = [hec_event(event, "idx") for event in read_events(dataset, "idx", Outcome(dataset, "idx"))]
    engine, _ = runner.load_events(None, [str(dataset.path)])
    assert {event["host"] for event in sent} == {event["host"] for event in engine} == {"collector"}
    assert all("node=fixture-node-01 " in event["event"] for event in sent)
