"""capture.window.expected_rows on real records: the ground truth's rows, `dest` the input's host."""


from linux_auditd_at.capture.scenarios import Process
from linux_auditd_at.capture.window import expected_rows, parse
from paths import DATASET

NODE_LOG = DATASET / "auditd_at_execution_node.log"


def test_dest_of_expected_rows_is_the_capture_host_not_the_node_field():
    records = parse(NODE_LOG.read_bytes())
    at = next(r for r in records if r.fields.get("type") == "SYSCALL" and r.fields.get("comm") == "at")
    assert at.fields["node"] == "vm"
    process = Process("at_root", int(at.fields["pid"]), int(at.fields["ppid"]), "at", "/usr/bin/at", "root",
                      "detected", "comm is at")
    rows = expected_rows(records, [process], enriched=True, host="collector")
    assert [(row["comm"], row["pid"], row["dest"]) for row in rows] == [("at", at.fields["pid"], "collector")]
