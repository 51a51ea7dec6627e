"""Auto-KV extraction of single real records (lines copied from tests/audit/data)."""

from zoneinfo import ZoneInfo

from linux_auditd_at.audit import formats
from linux_auditd_at.audit.record import (
    audit_time,
    block_is_records,
    extract_fields,
    parse_record,
    record_problem,
)
from paths import AUDIT_DATA

DATA = AUDIT_DATA


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
    time, fields, _ = parse_record(_line("enriched.log", 5))
    assert time == 1795918493.060 and fields["pid"] == "5658"


def test_separator_0x1d_escaped_or_space_gives_the_same_fields():
    """UNVERIFIED (record.py): a key starts after 0x1d and after rsyslog's `#035`, as after a space."""
    line = _line("enriched.log", 5)
    fields = extract_fields(line)
    assert extract_fields(line.replace("\x1d", "#035")) == fields
    assert extract_fields(line.replace("\x1d", " ")) == fields
    raw = _line("enriched.log", 1)  # DAEMON_START: `res=success` then the separator, no quote between
    assert extract_fields(raw.replace("\x1d", "#035"))["res"] == "success"


def test_headers_are_named_and_leave_the_record_fields_alone():
    line = _line("enriched.log", 5)
    for header, name in [("Nov 29 02:14:53 vm audisp-syslog: ", formats.RFC3164),
                         ("<13>Nov  9 02:14:53 vm audispd: ", formats.RFC3164),
                         ("<109>1 2026-11-29T02:14:53.061Z vm audisp-syslog 812 - - ", formats.RFC5424),
                         ("2026-11-29T02:14:53.061+00:00 vm audisp-syslog[812]: ", formats.ISO_SYSLOG),
                         ("", formats.AUDITD)]:
        assert formats.line_format(header + line) == name, header
        assert parse_record(header + line) == parse_record(line), header
    structured = '<109>1 2026-11-29T02:14:53Z vm a - - [origin ip="10.0.0.1"] ' + line
    assert formats.line_format(structured) == formats.RFC5424
    time, fields, _ = parse_record(structured)  # a pair in the header is a field, as auto-KV finds it
    assert (time, fields.pop("ip")) == (1795918493.060, "10.0.0.1")
    assert (time, fields, False) == parse_record(line)


def test_a_record_says_whether_its_stamp_is_an_ausearch_i_date():
    interpreted, enriched = _line("interpreted.log", 13), _lines("enriched.log")[3]
    assert parse_record(interpreted).interpreted and not parse_record(enriched).interpreted
    assert parse_record("<13>Nov 29 02:14:53 h audispd: " + interpreted).interpreted  # wrapped too
    assert parse_record(interpreted.replace("11/29/26", "11/29/2026")).interpreted
    assert not parse_record("type=X msg=audit(1.5:3): a=1/2").interpreted


def test_interpreted_stamp_is_read_in_the_given_zone():
    line = _line("interpreted.log", 13)
    assert line.startswith("type=SYSCALL msg=audit(11/29/26 02:14:53.060:4) : arch=x86_64 syscall=execve")
    assert formats.line_format(line) == formats.INTERPRETED
    assert audit_time(line) == 1795918493.060  # the stamp of the same record in enriched.log, UTC
    assert audit_time(line, ZoneInfo("America/New_York")) == 1795918493.060 + 5 * 3600
    assert audit_time(line.replace("11/29/26", "11/29/2026")) == 1795918493.060  # en_US: four digits
    no_such_day = line.replace("11/29/26", "13/29/26")
    assert parse_record(no_such_day) == "a msg=audit( stamp whose date does not exist"
    time, fields, _ = parse_record(line)
    assert (fields["uid"], fields["syscall"], fields["comm"]) == ("root", "execve", "at")
    assert "UID" not in fields and "SYSCALL" not in fields


def test_record_problem_and_block_check_agree_line_by_line():
    good = _lines("enriched.log")[:-1]
    bad = ["msg=audit( quoted in a manual", "type=SYSCALL msg=audit(17959", "\x00\x00" + good[4],
           'msg=audit(1795918493.060:4): arch=c000003e syscall=59', "", "----"]
    assert [record_problem(line) for line in good] == [None] * len(good)
    assert [record_problem(line) for line in bad] == [
        "no msg=audit(EPOCH:SERIAL) stamp", "no msg=audit(EPOCH:SERIAL) stamp", "NUL bytes before the record",
        "no type= field", "no msg=audit(EPOCH:SERIAL) stamp", "no msg=audit(EPOCH:SERIAL) stamp"]
    assert block_is_records("\n".join(good) + "\n", len(good))
    for line in bad[:4]:
        lines = [*good[:3], line, *good[3:]]
        assert not block_is_records("\n".join(lines) + "\n", len(lines)), line
