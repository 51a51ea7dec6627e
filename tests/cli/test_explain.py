"""`linux-auditd-at explain`: expanded SPL, per-stage counts and reader counts on real records."""

from __future__ import annotations

from paths import AUDIT_DATA

DATA = AUDIT_DATA


def _section(out: str, title: str) -> list[str]:
    lines = out.split("\n")
    start = lines.index(title) + 1
    return lines[start:lines.index("", start)]


def test_expanded_spl_and_stage_counts(cli):
    code, out, _ = cli("explain", str(DATA / "enriched.log"), "--tz", "UTC")
    assert code == 0
    spl = _section(out, "Expanded SPL:")
    assert spl[0].strip().startswith('sourcetype="linux:audit" type=SYSCALL comm IN ("at", "atd")')
    assert "`" not in out.split("Input:")[0]  # every macro expanded
    assert [line.strip() for line in spl[1:]] == [
        "| rename host as dest",
        "| stats count min(_time) as firstTime max(_time) as lastTime by comm exe SYSCALL UID ppid pid dest",
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)',
        '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(lastTime)',
        "| search *",
    ]
    stages = [line.split()[:3] for line in _section(out, "Stages:")[1:]]
    # six SYSCALL records of at's family reach the search (prefilter may let a few more through);
    # the search keeps the four with UID=root, every later stage passes four rows on
    assert [s[0] for s in stages] == ["1", "2", "3", "4", "5", "6"]
    assert stages[0][2] == "4"
    assert all(s[1:] == ["4", "4"] for s in stages[1:])


def test_reader_counts_add_up_and_name_bad_lines(cli, tmp_path):
    log = tmp_path / "mixed.log"
    records = (DATA / "enriched.log").read_bytes()
    log.write_bytes(records + b"\nnot a record\n")
    code, out, err = cli("explain", str(log), "--tz", "UTC")
    assert code == 0
    counts = {line[:21].strip(): line[21:].split(" ")[0] for line in _section(out, "Input:")
              if not line.startswith("    ")}
    total = records.count(b"\n") + 2
    assert counts["lines read"] == str(total)
    assert counts["blank lines"] == "1" and counts["non-audit lines"] == "1"
    assert int(counts["prefiltered out"]) + int(counts["events"]) == total - 2
    assert f"    {log}:{total}: no msg=audit(EPOCH:SERIAL) stamp" in out
    assert f"  files              1: {log}\n" in out
    assert err.startswith("linux-auditd-at explain: warning: 1 line(s) were not audit records")


def test_each_count_is_followed_by_its_first_lines(cli, tmp_path):
    """Non-audit lines and lines with bytes that are not UTF-8 are listed under their own count,
    and the non-UTF-8 line is still an event (its rows come out)."""
    records = (DATA / "enriched.log").read_bytes().split(b"\n")
    records[4] = records[4].replace(b'key="fxtest"', b'key="fx\xfftest"')  # the SYSCALL of at, pid 5658
    log = tmp_path / "mixed.log"
    log.write_bytes(b"junk\n" + b"\n".join(records))
    code, out, err = cli("explain", str(log), "--tz", "UTC")
    assert code == 0
    lines = _section(out, "Input:")
    bad = lines.index("  non-audit lines    1")
    assert lines[bad + 1] == f"    {log}:1: no msg=audit(EPOCH:SERIAL) stamp"
    assert lines[bad + 2] == "  non-UTF-8 lines    1 (read with U+FFFD for the bytes, as Splunk does)"
    assert lines[bad + 3] == f"    {log}:6: bytes that are not UTF-8, replaced with U+FFFD"
    assert lines[bad + 4].startswith("  events")
    assert "Result: 4 row(s)" in out
    assert err == (f"linux-auditd-at explain: warning: 1 line(s) were not audit records and were skipped; "
                   f"first: {log}:1: no msg=audit(EPOCH:SERIAL) stamp; 1 line(s) held bytes that are "
                   f"not UTF-8, replaced with U+FFFD as Splunk does; first: {log}:6\n")


def test_events_outside_the_time_range_are_counted_not_read(cli):
    """The six SYSCALL records of at's family are stamped 02:14:53.060, .064, .068 (three) and
    .084 (read off the file): a window ending at .063 holds the first only, the rest are counted
    as outside the time range and never reach stage 1."""
    def counts(*window: str) -> tuple[int, int, int]:
        code, out, _ = cli("explain", str(DATA / "enriched.log"), "--tz", "UTC", *window)
        assert code == 0
        reader = {line[:21].strip(): int(line[21:].split()[0]) for line in _section(out, "Input:")[1:]
                  if not line.startswith("    ")}
        first_stage = _section(out, "Stages:")[1].split()
        return reader["events"], reader["outside time range"], int(first_stage[1])

    assert counts() == (6, 0, 6)
    assert counts("--now", "2026-11-29T02:14:53", "--earliest=+1s") == (6, 6, 0)
    assert counts("--now", "2026-11-29T02:14:53.063", "--earliest=-1s", "--latest=now") == (6, 5, 1)
