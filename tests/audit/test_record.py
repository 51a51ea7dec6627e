"""Auto-KV extraction of single real records (lines copied from tests/audit/data)."""

from pathlib import Path

from linux_auditd_at.audit.record import audit_time, extract_fields, parse_record

DATA = Path(__file__).parent / "data"


def _lines(name: str) -> list[str]:
    # not str.splitlines(): it also splits at 0x1d, the ENRICHED separator
    return (DATA / name).read_text(encoding="utf-8").split("\n")


def _line(name: str, number: int) -> str:
    return _lines(name)[number - 1]


def test_enriched_syscall_gives_raw_and_interpreted_fields():
    fields = extract_fields(_line("enriched.log", 5))
    assert fields["type"] == "SYSCALL"
    assert (fields["comm"], fields["exe"], fields["key"]) == ("at", "/usr/bin/at", "fxtest")
    assert (fields["ppid"], fields["pid"], fields["uid"], fields["euid"]) == ("5493", "5658", "0", "1")
    # after the 0x1d separator: upper-case interpreted fields, quotes stripped, names case-sensitive
    assert (fields["SYSCALL"], fields["UID"], fields["EUID"], fields["AUID"]) == ("execve", "root", "daemon",
                                                                                "unset")
    assert fields["ARCH"] == "x86_64"
    assert fields["msg"] == "audit(1795918493.060:4):"


def test_unquoted_values_are_kept_as_written():
    fields = extract_fields(_line("enriched.log", 5))
    assert fields["tty"] == "(none)"
    assert fields["success"] == "yes"


def test_raw_format_has_no_interpreted_fields():
    fields = extract_fields(_line("raw.log", 8))
    assert (fields["comm"], fields["pid"], fields["uid"]) == ("at", "6160", "0")
    assert "UID" not in fields and "SYSCALL" not in fields


def test_hex_encoded_values_stay_hex_like_splunk_shows_them():
    proctitle = extract_fields(_line("enriched.log", 10))
    assert proctitle["proctitle"] == "6174006E6F77"  # "at\0now"
    quoted = extract_fields(_line("enriched.log", 16))
    assert quoted["proctitle"] == "atq"
    my_prog = next(line for line in _lines("enriched.log") if "comm=6D792070726F67" in line)
    fields = extract_fields(my_prog)
    assert fields["comm"] == "6D792070726F67"  # "my prog"
    assert fields["exe"] == "2F746D702F6D792070726F67"  # "/tmp/my prog"


def test_pairs_inside_single_quoted_msg_are_found_and_first_msg_wins():
    line = next(line for line in _lines("enriched.log") if line.startswith("type=USER_ACCT"))
    fields = extract_fields(line)
    assert fields["msg"].startswith("audit(")
    assert (fields["op"], fields["acct"], fields["exe"], fields["res"]) == ("PAM:accounting", "root",
                                                                         "/usr/sbin/atd", "success")
    assert fields["hostname"] == "?"
    assert fields["UID"] == "daemon"


def test_empty_values_are_skipped_and_dashes_in_keys_become_underscores():
    fields = extract_fields('type=LOGIN msg=audit(1.5:7): pid=1 old-auid=4294967295 tty= res=1')
    assert "tty" not in fields
    assert fields["old_auid"] == "4294967295"
    assert fields["res"] == "1"


def test_node_prefix_is_a_field():
    fields = extract_fields(_line("node.log", 5))
    assert fields["node"] == "fixture-node-01"
    assert fields["type"] == "SYSCALL"


def test_time_is_the_epoch_in_msg_audit():
    assert audit_time(_line("enriched.log", 5)) == 1795918493.060
    assert audit_time("type=SYSCALL msg=audit(1795918493.06") is None


def test_lines_that_are_not_records_say_why():
    assert parse_record("hello world") == "no msg=audit(EPOCH:SERIAL) stamp"
    assert parse_record("msg=audit(1795918493.060:4): pid=1") == "no type= field"
    time, fields = parse_record(_line("enriched.log", 5))
    assert time == 1795918493.060 and fields["pid"] == "5658"
