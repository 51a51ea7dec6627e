"""The reader on real records (tests/audit/data) and on broken copies of them."""

import gzip
import importlib.util
import io
import re
import socket
import sys
from pathlib import Path

import pytest

from linux_auditd_at.attack_data import log_metadata
from linux_auditd_at.audit import native
from linux_auditd_at.audit.reader import CHUNK, MAX_LINE, AuditReader
from linux_auditd_at.audit.sources import open_binary, total_size
from linux_auditd_at.errors import AuditInputError
from linux_auditd_at.spl import compile_search
from paths import AUDIT_DATA

DATA = AUDIT_DATA
ENRICHED = DATA / "enriched.log"


def _records(name: str) -> list[str]:
    return (DATA / name).read_bytes().decode().split("\n")[:-1]


def _read(paths, **options):
    reader = AuditReader([str(p) for p in paths], dataset=log_metadata, **options)
    return list(reader), reader.stats


def test_every_line_of_a_real_log_is_an_event_with_splunk_metadata():
    events, stats = _read([ENRICHED])
    assert len(events) == len(_records("enriched.log")) == stats.events == stats.lines
    assert stats.non_audit == 0 and stats.files == [str(ENRICHED)]
    at = next(e for e in events if e.get("comm") == "at")
    assert at["_time"] == 1795918493.060
    assert at["sourcetype"] == "linux:audit" and at["index"] == "main"
    assert at["source"] == str(ENRICHED)
    assert at["host"] == socket.gethostname()
    assert at["_raw"] == _records("enriched.log")[4]


def test_host_flag_and_index_flag():
    events, _ = _read([ENRICHED], host="web-01", index="linux")
    assert {e["host"] for e in events} == {"web-01"}
    assert {e["index"] for e in events} == {"linux"}


def test_node_prefix_is_only_a_field_host_comes_from_the_input():
    # splunk-semantics.md: host is set by the input; node= is only the extracted field node
    events, stats = _read([DATA / "node.log"], host="collector")
    assert {e["host"] for e in events} == {"collector"}
    assert {e["node"] for e in events} == {"fixture-node-01"}
    assert stats.metadata_seen() == [{"index": "main", "sourcetype": "linux:audit",
                                      "source": str(DATA / "node.log"), "host": "collector"}]


def test_host_from_node_emulates_an_index_time_override():
    events, stats = _read([DATA / "node.log", ENRICHED], host="collector", host_from_node=True)
    hosts = {e["_raw"].startswith("node="): e["host"] for e in events}
    assert hosts == {True: "fixture-node-01", False: "collector"}
    assert {m["host"] for m in stats.metadata_seen()} == {"collector", "fixture-node-01"}


def test_host_from_node_reads_node_when_the_search_reads_other_fields():
    """The extractor takes `node` only for the host (it is no field the search reads here)."""
    events, _ = _read([DATA / "node.log", ENRICHED], host="collector", host_from_node=True, fields={"comm"})
    assert {e["host"] for e in events} == {"fixture-node-01", "collector"}
    events, _ = _read([DATA / "node.log"], host="collector", fields={"comm"})
    assert {e["host"] for e in events} == {"collector"} and not any("node" in e for e in events)


def test_sourcetype_and_source_flags_win_over_dataset_metadata(tmp_path):
    log = tmp_path / "a.log"
    log.write_bytes(ENRICHED.read_bytes())
    (tmp_path / "m.yml").write_text("datasets:\n- path: a.log\n  sourcetype: auditd\n  source: /x\n")
    events, _ = _read([log])
    assert {(e["sourcetype"], e["source"]) for e in events} == {("auditd", "/x")}
    events, _ = _read([log], sourcetype="linux:audit", source="/var/log/audit/audit.log")
    assert {(e["sourcetype"], e["source"]) for e in events} == {("linux:audit", "/var/log/audit/audit.log")}


def test_dataset_metadata_gives_host_and_source(tmp_path):
    log = tmp_path / "auditd_at_execution.log"
    log.write_bytes(ENRICHED.read_bytes())
    (tmp_path / "linux_auditd_at.yml").write_text(
        "author: x\ndatasets:\n- name: tp\n  path: /datasets/attack_techniques/T1053.002/"
        "auditd_at_execution.log\n  sourcetype: linux:audit\n  source: /var/log/audit/audit.log\n"
        "  host: ubuntu-at\n")
    events, _ = _read([log])
    assert {(e["host"], e["source"]) for e in events} == {("ubuntu-at", "/var/log/audit/audit.log")}
    events, _ = _read([log], host="flag-wins")
    assert {e["host"] for e in events} == {"flag-wins"}


def test_broken_metadata_yaml_is_an_error_naming_it(tmp_path):
    (tmp_path / "a.log").write_bytes(ENRICHED.read_bytes())
    (tmp_path / "meta.yml").write_text("datasets:\n- path: a.log\n  host: [unclosed\n")
    with pytest.raises(AuditInputError, match="meta.yml"):
        _read([tmp_path / "a.log"])


def test_gzip_detected_by_magic_bytes_not_name(tmp_path):
    packed = tmp_path / "audit.log.1"  # rotated name, no .gz suffix
    packed.write_bytes(gzip.compress(ENRICHED.read_bytes()))
    events, stats = _read([packed])
    assert [e["_raw"] for e in events] == _records("enriched.log")
    assert stats.non_audit == 0


def test_rotated_set_is_read_oldest_first_whatever_the_order_given(tmp_path):
    lines = ENRICHED.read_bytes().split(b"\n")[:-1]
    (tmp_path / "audit.log.2").write_bytes(b"\n".join(lines[:40]) + b"\n")
    (tmp_path / "audit.log.1").write_bytes(gzip.compress(b"\n".join(lines[40:80]) + b"\n"))
    (tmp_path / "audit.log").write_bytes(b"\n".join(lines[80:]) + b"\n")
    events, stats = _read([tmp_path / "audit.log*"])
    assert [e["_raw"] for e in events] == _records("enriched.log")
    assert [Path(p).name for p in stats.files] == ["audit.log.2", "audit.log.1", "audit.log"]
    shell_order = [tmp_path / "audit.log", tmp_path / "audit.log.1", tmp_path / "audit.log.2"]
    assert [e["_raw"] for e in _read(shell_order)[0]] == _records("enriched.log")


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ENRICHED.read_bytes())))
    events, stats = _read(["-"])
    assert len(events) == len(_records("enriched.log"))
    assert {e["source"] for e in events} == {"stdin"}
    assert stats.files == ["-"]


def test_empty_file_is_fine_but_reported(tmp_path):
    (tmp_path / "empty.log").write_bytes(b"")
    events, stats = _read([tmp_path / "empty.log", ENRICHED])
    assert len(events) == len(_records("enriched.log"))
    assert stats.empty_files == [str(tmp_path / "empty.log")]


INFLATES = [pytest.param("native", marks=pytest.mark.skipif(importlib.util.find_spec("isal") is None,
                                                            reason="pip install isal (python-isal)")),
            pytest.param("re", id="stdlib")]  # native.ENGINE_VARIABLE: re asks for the stdlib alone


@pytest.mark.parametrize("inflate", INFLATES)
def test_python_isal_and_the_stdlib_inflate_the_same_events(tmp_path, monkeypatch, inflate):
    monkeypatch.setenv(native.ENGINE_VARIABLE, inflate)
    (tmp_path / "a.gz").write_bytes(gzip.compress(ENRICHED.read_bytes()) * 2)  # two members, as cat makes
    events, stats = _read([tmp_path / "a.gz"])
    assert len(events) == 2 * len(_records("enriched.log")) and stats.non_audit == 0
    stream, raw = open_binary(str(tmp_path / "a.gz"))
    with raw, stream:
        assert type(stream).__module__ == ("gzip" if inflate == "re" else "isal.igzip")


@pytest.mark.parametrize("inflate", INFLATES)
def test_corrupt_gzip_names_the_file(tmp_path, monkeypatch, inflate):
    monkeypatch.setenv(native.ENGINE_VARIABLE, inflate)
    packed = gzip.compress(ENRICHED.read_bytes())
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(AuditInputError, match=r"cut\.gz:\d+: cannot read \(truncated gzip"):
        _read([tmp_path / "cut.gz"])
    garbled = bytearray(packed)
    garbled[40:60] = b"\xff" * 20
    (tmp_path / "bad.gz").write_bytes(bytes(garbled))
    with pytest.raises(AuditInputError, match=r"bad\.gz:\d+: cannot read"):
        _read([tmp_path / "bad.gz"])


def test_missing_file_directory_and_unmatched_glob(tmp_path):
    with pytest.raises(AuditInputError, match="nope.log: no such file"):
        _read([tmp_path / "nope.log"])
    with pytest.raises(AuditInputError, match="is a directory"):
        _read([tmp_path])
    with pytest.raises(AuditInputError, match=r"x\*\.log: no file matches"):
        _read([tmp_path / "x*.log"])


def test_non_utf8_bytes_are_replaced_not_fatal(tmp_path):
    line = ENRICHED.read_bytes().split(b"\n")[4].replace(b'key="fxtest"', b'key="fx\xff\xfetest"')
    (tmp_path / "latin.log").write_bytes(line + b"\n")
    events, stats = _read([tmp_path / "latin.log"])
    assert events[0]["key"] == "fx\ufffd\ufffdtest"
    assert events[0]["comm"] == "at" and stats.non_audit == 0


def test_malformed_and_truncated_lines_are_counted_with_file_and_line(tmp_path):
    records = ENRICHED.read_bytes().split(b"\n")[:-1]
    broken = [records[0], b"garbage that is no record", records[1], records[4][:30], b"", records[2],
              b"msg=audit(1795918493.060:4): pid=1"]
    log = tmp_path / "broken.log"
    log.write_bytes(b"\n".join(broken) + b"\n")
    events, stats = _read([log])
    assert len(events) == 3
    assert stats.non_audit == 3 and stats.blank == 1 and stats.lines == 7
    assert [(e.line, e.reason) for e in stats.examples] == [
        (2, "no msg=audit(EPOCH:SERIAL) stamp"), (4, "no msg=audit(EPOCH:SERIAL) stamp"),
        (7, "no type= field")]
    assert stats.warning().startswith(f"3 line(s) were not audit records and were skipped; first: {log}:2:")


def test_strict_turns_the_first_bad_line_into_an_error(tmp_path):
    log = tmp_path / "broken.log"
    log.write_bytes(ENRICHED.read_bytes().split(b"\n")[0] + b"\nnot a record\n")
    with pytest.raises(AuditInputError, match=r"broken\.log:2: not an audit record"):
        _read([log], strict=True)


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_huge_line_is_counted_and_reading_goes_on(tmp_path, eol):
    records = ENRICHED.read_bytes().split(b"\n")[:-1]
    log = tmp_path / "huge.log"
    huge = b"type=SYSCALL " + b"A" * (3 * MAX_LINE)
    log.write_bytes(eol.join([records[0], huge, b"junk", records[1]]) + eol)
    events, stats = _read([log])
    assert len(events) == 2 and (stats.lines, stats.blank) == (4, 0)
    assert (stats.non_audit, [bad.line for bad in stats.examples]) == (2, [2, 3])
    assert "longer than" in stats.examples[0].reason


def test_a_line_longer_than_a_block_but_not_too_long_is_one_event_on_every_path(tmp_path):
    """A record of 5 blocks' length (the block reader's buffer grows for it, then goes on with the
    lines after it): one event with its whole value, with the scan and without it."""
    records = _records("enriched.log")
    long_value = "B" * (5 * CHUNK)
    long_record = f"type=SYSCALL msg=audit(1795918493.060:9): comm=\"at\" key=\"{long_value}\""
    log = tmp_path / "long.log"
    log.write_text("\n".join([*records[:3], long_record, *records]) + "\n")
    plain = _read([log])
    assert plain[0][3]["key"] == long_value and plain[1].non_audit == 0
    assert len(plain[0]) == 4 + len(records) == plain[1].lines
    prefilter = compile_search("comm=at | stats count").raw_prefilter()
    scanned = _read([log], prefilter=prefilter, fields={"comm", "key"})
    assert [e["key"] for e in scanned[0] if e.get("key") == long_value] == [long_value]
    assert scanned[1].events + scanned[1].prefiltered == plain[1].lines


def test_crlf_and_missing_final_newline(tmp_path):
    records = ENRICHED.read_bytes().split(b"\n")[:3]
    log = tmp_path / "crlf.log"
    log.write_bytes(b"\r\n".join(records))
    events, stats = _read([log])
    assert [e["_raw"] for e in events] == [r.decode() for r in records]
    assert stats.non_audit == 0


def test_prefilter_skips_field_extraction_but_still_counts_garbage(tmp_path):
    log = tmp_path / "mixed.log"
    log.write_bytes(ENRICHED.read_bytes() + b"not a record at all\n")
    seen: list[str] = []

    def keep(line: str) -> bool:
        seen.append(line)
        return 'comm="at"' in line

    events, stats = _read([log], prefilter=keep)
    assert len(seen) == stats.lines
    assert {e["comm"] for e in events} == {"at"}
    assert stats.events == len(events) == 3
    assert stats.prefiltered == len(_records("enriched.log")) - 3
    assert stats.non_audit == 1


def test_progress_reports_bytes_of_the_file(tmp_path):
    packed = tmp_path / "a.gz"
    packed.write_bytes(gzip.compress(ENRICHED.read_bytes()))
    reported: list[int] = []
    reader = AuditReader([str(ENRICHED), str(packed)], on_bytes=reported.append)
    list(reader)
    total = total_size([str(ENRICHED), str(packed)])
    assert sum(reported) == total == ENRICHED.stat().st_size + packed.stat().st_size
    assert total_size(["-"]) is None


class _Necessary:
    """A prefilter announcing text every line it accepts contains (the reader's speed path), as a
    regex and as a needle, the way spl/prefilter.py announces it."""

    def __init__(self, word: str):
        self.word, self.calls = word, 0
        self.necessary = re.compile(re.escape(word))
        self.needles = ((None, (word,), False, False),)
        self.keep = self.__call__

    def __call__(self, line: str) -> bool:
        self.calls += 1
        return self.word in line.lower()


ENGINES = ["re", pytest.param("hyperscan", marks=pytest.mark.skipif(
    importlib.util.find_spec("hyperscan") is None, reason="pip install hyperscan (x86_64 wheels)"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_necessary_pattern_gives_the_same_events_and_counts_with_fewer_calls(tmp_path, engine):
    log = tmp_path / "big.log"
    log.write_bytes(ENRICHED.read_bytes() * 200)  # several blocks
    plain, plain_stats = _read([log], prefilter=lambda line: 'comm="atq"' in line.lower())
    fast_filter = _Necessary('comm="atq"')
    fast, fast_stats = _read([log], prefilter=fast_filter, scanner=engine)
    assert [e["_raw"] for e in fast] == [e["_raw"] for e in plain] and len(fast) == 200
    assert (fast_stats.prefiltered, fast_stats.lines, fast_stats.events) == (
        plain_stats.prefiltered, plain_stats.lines, plain_stats.events)
    assert fast_filter.calls == 200  # only lines holding the pattern were looked at


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("odd_line", "count", "examples"), [
    (b"junk\n", "non_audit", "examples"),
    (b"\n", "blank", None),
    (b"type=SYSCALL msg=audit(1.1:1): comm=\xe9t\xe9\n", "replaced", "replaced_examples"),  # Latin-1
], ids=["not a record", "blank", "not UTF-8"])
def test_necessary_pattern_still_counts_odd_lines_with_their_numbers(tmp_path, odd_line, count, examples,
                                                                      engine):
    records = ENRICHED.read_bytes()
    log = tmp_path / "big.log"
    log.write_bytes(records * 100 + odd_line + records * 100)
    events, stats = _read([log], prefilter=_Necessary('comm="atq"'), scanner=engine)
    assert len(events) == 200 and getattr(stats, count) == 1
    if examples:
        assert getattr(stats, examples)[0].line == records.count(b"\n") * 100 + 1
    assert stats.lines == records.count(b"\n") * 200 + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_necessary_pattern_numbers_kept_lines_exactly(tmp_path, engine):
    """Lines the fast path keeps keep their file line numbers (here seen through the bad-line
    report of stamped lines without `type=`), several per block and across blocks."""
    records = ENRICHED.read_bytes()
    stray = b'msg=audit(1795915736.369:9): comm="atq"\n'
    log = tmp_path / "big.log"
    log.write_bytes(records * 3 + stray + records + stray + records * 300 + stray)
    events, stats = _read([log], prefilter=_Necessary('comm="atq"'), scanner=engine)
    per = records.count(b"\n")
    assert [bad.line for bad in stats.examples] == [3 * per + 1, 4 * per + 2, 304 * per + 3]
    assert len(events) == 304 and stats.non_audit == 3


def test_lone_carriage_returns_break_lines_in_a_file_larger_than_a_line_may_be(tmp_path):
    """Splunk's LINE_BREAKER is ([\\r\\n]+): a file broken by \\r alone is still one event per
    line, however large (not one line over MAX_LINE)."""
    records = ENRICHED.read_bytes()
    copies = MAX_LINE // len(records) + 2
    log = tmp_path / "cr.log"
    log.write_bytes(records.replace(b"\n", b"\r") * copies)
    events, stats = _read([log])
    assert len(events) == len(_records("enriched.log")) * copies == stats.lines
    assert stats.non_audit == 0 and stats.blank == 0
    assert events[-1]["_raw"] == _records("enriched.log")[-1]


def test_crlf_split_across_reads_is_one_line_break(tmp_path):
    """A first read of CHUNK bytes holding no \\n and ending in the \\r of a \\r\\n: that \\r is
    half a break, not a break of its own, so no blank line appears and line numbers stay right."""
    head = b"type=SYSCALL msg=audit(1795918493.060:4): key="
    long_line = head + b"A" * (CHUNK - 1 - len(head))
    log = tmp_path / "crlf.log"
    log.write_bytes(b"\r\n".join([long_line, b"junk", _records("enriched.log")[0].encode()]) + b"\r\n")
    assert log.read_bytes()[CHUNK - 1:CHUNK + 1] == b"\r\n"
    events, stats = _read([log])
    assert (stats.lines, stats.blank, len(events)) == (3, 0, 2)
    assert [bad.line for bad in stats.examples] == [2]


def test_non_utf8_bytes_are_counted_with_file_and_line(tmp_path):
    """Replacement is what Splunk does, so the event is kept; the lines where it happened are
    still reported, the way non-audit lines are."""
    lines = ENRICHED.read_bytes().split(b"\n")[:6]
    lines[4] = lines[4].replace(b'key="fxtest"', b'key="fx\xfftest"')
    log = tmp_path / "latin.log"
    log.write_bytes(b"\n".join(lines) + b"\n")
    events, stats = _read([log])
    assert len(events) == 6 and stats.non_audit == 0
    assert stats.replaced == 1
    assert [(bad.line, bad.reason) for bad in stats.replaced_examples] == [
        (5, "bytes that are not UTF-8, replaced with U+FFFD")]
    assert stats.warning() == (f"1 line(s) held bytes that are not UTF-8, replaced with U+FFFD as "
                               f"Splunk does; first: {log}:5")


def test_stdin_is_named_stdin_in_messages(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"junk\n" + ENRICHED.read_bytes())))
    _, stats = _read(["-"])
    assert str(stats.examples[0]) == "stdin:1: no msg=audit(EPOCH:SERIAL) stamp"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"junk\n")))
    with pytest.raises(AuditInputError, match=r"^stdin:1: not an audit record"):
        _read(["-"], strict=True)


def test_rotation_numbers_sort_as_numbers_and_a_file_named_twice_is_read_once(tmp_path):
    lines = ENRICHED.read_bytes().split(b"\n")[:-1]
    names = ["audit.log", *(f"audit.log.{n}" for n in range(1, 12))]
    for index, name in enumerate(reversed(names)):  # audit.log.11 holds the oldest records
        (tmp_path / name).write_bytes(b"\n".join(lines[index * 9:(index + 1) * 9]) + b"\n")
    (tmp_path / "link.log").symlink_to(tmp_path / "audit.log.3")
    events, stats = _read([tmp_path / "audit.log", tmp_path / "audit.log*", tmp_path / "link.log"])
    assert [Path(p).name for p in stats.files] == list(reversed(names))
    assert [e["_raw"] for e in events] == _records("enriched.log")[:len(names) * 9]
    assert stats.repeated == [(str(tmp_path / "link.log"), str(tmp_path / "audit.log.3"))]


def test_a_file_with_no_audit_record_at_all_is_an_error(tmp_path):
    """A run over a file that is not an audit log (syslog, a binary) cannot be trusted: "no
    results" would be a lie. Blank lines and an empty file are not that."""
    (tmp_path / "syslog").write_bytes(b"Nov 29 02:14:53 vm sshd[1]: Accepted publickey\n\n\x7fELF\x02\x01\n")
    with pytest.raises(AuditInputError, match=r"syslog: none of its 2 non-blank line\(s\) is an audit "
                                              r"record \(line 1: no msg=audit\(EPOCH:SERIAL\) stamp\)"):
        _read([ENRICHED, tmp_path / "syslog"])
    (tmp_path / "blank.log").write_bytes(b"\n\n")
    events, stats = _read([tmp_path / "blank.log", ENRICHED])
    assert len(events) == stats.events and stats.blank == 2
