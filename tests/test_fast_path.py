"""The fast path (block scan, per-search field extraction, --jobs, the stats fold) against the
general path (every field, every line, every stage on the general engine) on random logs and
random searches: the same rows, stage counts, reader counts and warnings, with the native scanner
and with the stdlib `re` fallback.

Logs are real records (tests/audit/data) re-cased, re-valued and broken: hex and mixed-case
values, quoted values holding `key=` text, a key's name inside a longer key (`xcomm=`), `node=`
prefixes, CRLF, blank and non-audit lines, stamped lines without `type=`, bytes that are not
UTF-8, the ENRICHED 0x1d separator. Searches
are field terms (=, !=, IN, wildcards, NOT, AND/OR, metadata terms, bare terms) followed by
streaming commands and stats, the way the detection and its filter macro are written, or by random
pipelines of search/where/rename (and commands the fold declines), stats, and commands after it
(convert, search, sort, head, rename), under a time range or none.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import re
import signal
import string
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linux_auditd_at import runner
from linux_auditd_at.audit import native, scan, workers
from linux_auditd_at.audit import reader as reader_module
from linux_auditd_at.audit.record import (
    Record,
    extract_fields,
    field_extractor,
    record_parser,
    stamp_time,
    stamped_lines,
)
from linux_auditd_at.errors import AuditInputError, SPLError
from linux_auditd_at.spl import Context, compile_search

DATA = Path(__file__).parent / "audit" / "data"
RECORDS = [line for name in ("enriched.log", "raw.log", "node.log")
           for line in (DATA / name).read_bytes().split(b"\n") if line]
AT_RECORDS = [line for line in RECORDS if re.search(rb' comm="at[dq]?"', line)]
HYPERSCAN = pytest.param("hyperscan", marks=pytest.mark.skipif(
    importlib.util.find_spec("hyperscan") is None, reason="pip install hyperscan (x86_64 wheels)"))
ENGINES = ["re", HYPERSCAN]

FIELDS = ["comm", "exe", "UID", "uid", "type", "SYSCALL", "pid", "ppid", "key", "node", "old_auid", "acct",
          "nametype", "proctitle", "a0", "success"]
VALUES = ["at", "AT", "atd", "At", "/usr/bin/at", "/usr/bin/atd", "root", "daemon", "SYSCALL", "syscall",
          "EXECVE", "0", "1", "yes", "fxtest", "6174", "a*", "*at", "*/at*", "*", "r*t", "host-1", "HOST-1",
          "x=y", "NORMAL"]

values = st.sampled_from(VALUES)
names = st.sampled_from(FIELDS)
terms = st.one_of(
    st.builds(lambda f, v: f'{f}="{v}"', names, values),
    st.builds(lambda f, v: f"{f}!={v!r}".replace("'", '"'), names, values),
    st.builds(lambda f, vs: f"{f} IN ({', '.join(repr(v).replace(chr(39), chr(34)) for v in vs)})",
              names, st.lists(values, min_size=1, max_size=3)),
    st.sampled_from(['sourcetype="linux:audit"', "host=host-1", "index=main", "source=*", "at", "usr",
                     "type=SYSCALL", 'NOT UID="daemon"']),
)
expressions = st.recursive(terms, lambda inner: st.one_of(
    st.builds(lambda a, b: f"{a} {b}", inner, inner),
    st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
    st.builds(lambda a: f"NOT ({a})", inner)), max_leaves=5)
anchors = st.sampled_from([  # terms every match needs: the scan then has needles to look for
    'comm IN ("at", "atd") OR exe IN ("/usr/bin/at","/usr/bin/atd")', "comm=at", "comm=AT*", "exe=*/AT",
    'comm="a*d"', "UID=daemon", "node=HOST-1", "at", "key=fxtest", 'comm IN ("at", "x=y", "*q")'])
searches = st.one_of(expressions, st.builds(lambda anchor, rest: f"{anchor} {rest}", anchors, expressions))
tails = st.sampled_from([
    "| stats count min(_time) as firstTime max(_time) as lastTime by comm exe UID",
    "| rename host as dest | stats count by dest comm",
    "| where isnotnull(pid) | stats count dc(pid) as pids values(exe) as exes by type",
    "| eval who=coalesce(UID, uid) | stats count by who",
    "| stats count",
    "| search comm!=atq | stats count max(pid) as top by node",
    "| table _time comm exe host", "| fields comm exe pid UID | table *",
    "| rename host as dest | stats count min(_time) as firstTime by comm exe SYSCALL UID ppid pid dest "
    "| convert timeformat=\"%Y-%m-%dT%H:%M:%S\" ctime(firstTime) | search dest=* NOT comm=atq",
])

before_stats = st.sampled_from([
    "| rename host as dest", "| rename comm as c, exe as comm", "| rename UID as user",
    "| rename pid as ppid", "| rename comm as comm", "| rename _raw as text", "| search comm!=atq",
    "| search dest=* NOT c=atq", "| where isnotnull(pid)", '| where like(exe, "%at%") OR user="root"',
    "| search at", "| search user=r*", '| where searchmatch("comm=at")', "| eval who=coalesce(UID, uid)",
    "| rename c* as d*", "| fields comm pid", "| search *",
])
stats_functions = st.lists(st.sampled_from([
    "count", "count(pid)", "min(_time) as firstTime", "max(_time) as lastTime", "dc(pid)",
    "values(exe) as exes", "sum(pid)", "avg(ppid)", "min(pid)", "max(comm)", "min(user)", "count(c)",
    "first(comm)", "last(exe)",
]), min_size=1, max_size=3).map(" ".join)
stats_by = st.lists(st.sampled_from(["comm", "exe", "UID", "dest", "pid", "c", "user", "type", "node",
                                     "SYSCALL"]),
                    max_size=3, unique=True).map(lambda by: f" by {' '.join(by)}" if by else "")
after_stats = st.sampled_from([
    '| convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(firstTime)', "| convert ctime(lastTime) as seen",
    '| convert timeformat="%s.%3N" ctime(firstTime) ctime(pid)', "| search *", "| search dest=* NOT comm=atq",
    "| sort - count", "| head 3", "| where count > 1", "| rename count as n", "| search count=1",
])
pipelines = st.builds(lambda before, functions, by, after: " ".join([*before, f"| stats {functions}{by}",
                                                                     *after]),
                      st.lists(before_stats, max_size=3), stats_functions, stats_by,
                      st.lists(after_stats, max_size=3))
windows = st.sampled_from([(None, None), (1795918493.07, None), (None, 1795918502.32),
                           (1795918493.0, 1795918507.39)])


def _shuffle_case(text: bytes, draw) -> bytes:
    return bytes(c ^ 0x20 if chr(c).isalpha() and draw(st.booleans()) else c for c in text)


@st.composite
def lines(draw) -> bytes:
    line = draw(st.sampled_from(AT_RECORDS) | st.sampled_from(RECORDS))
    if draw(st.integers(0, 99)) < 4:  # rare: a block holding one is read line by line
        change = draw(st.sampled_from(["junk", "blank", "latin-1", "stamp only", "crlf"]))
    else:
        change = draw(st.sampled_from(["none", "case", "hex", "quoted key", "node", "no type", "comm",
                                       "key in a key"]))
    if change == "case":
        key = draw(st.sampled_from([rb'comm="[^"]*"', rb'UID="[^"]*"', rb'exe="[^"]*"', rb"type=\w+",
                                    rb"node=\S+"]))
        line = re.sub(key, lambda m: _shuffle_case(m.group(), draw), line, count=1)
    elif change == "hex":
        line = line.replace(b'comm="at"', b"comm=6174").replace(b'comm="atq"', b"comm=617471")
    elif change == "quoted key":
        line = line + b' key="x comm=at exe=/usr/bin/at UID=root"'
    elif change == "node":
        line = b"node=" + draw(st.sampled_from([b"host-1", b"HOST-1", b"h2"])) + b" " + line
    elif change == "junk":
        line = draw(st.sampled_from([b"junk", b"comm=at exe=/usr/bin/at", b"msg=audit(",
                                     b"\x00\x00type=SYSCALL"]))
    elif change == "blank":
        line = b""
    elif change == "key in a key":  # `xcomm="at"`: the text, not the field (as `auid` holds `uid`)
        line = line.replace(b" comm=", b" xcomm=", 1)
    elif change == "no type":
        line = line.replace(b"type=", b"typo=", 1)
    elif change == "latin-1":
        line = line + b" a9=\xe9t\xe9"
    elif change == "stamp only":
        line = b"msg=audit(1795918493.060:4): comm=at"
    elif change == "comm":
        comm = draw(st.sampled_from([b"AT", b"atd", b"at d", b"x"]))
        line = line.replace(b'comm="at"', b'comm="' + comm + b'"')
    return line + (b"\r\n" if change == "crlf" else b"\n")


logs = st.lists(lines(), min_size=1, max_size=60).map(b"".join)


def _outcome(pipeline, path: Path, window=(None, None), general=False, **options):
    """Rows, stage counts, reader counts and the warning, or the error a strict read raises."""
    earliest, latest = window
    try:
        reader = runner.open_logs(pipeline, [str(path)], **options)
        context = Context(now=1795918500.0, tz=UTC, earliest=earliest, latest=latest)
        result = pipeline.execute(reader, context, general=general)
    except AuditInputError as exc:
        return ("error", str(exc))
    stats = reader.stats
    stages = [(s.read, s.passed) for s in result.stages]
    return (result.columns, result.rows, stages, result.outside_time_range,
            stats.lines, stats.blank, stats.events, stats.prefiltered, stats.non_audit, stats.examples,
            stats.replaced, stats.replaced_examples, stats.empty_files, stats.warning())


def _compare(tmp_path: Path, log: bytes, spl: str, engine: str, strict: bool = False, jobs: int = 1,
             window=(None, None)) -> None:
    path = tmp_path / "audit.log"
    path.write_bytes(log)
    pipeline = compile_search(spl)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader_module, "CHUNK", 1024)  # many blocks: a bad line spoils only its own
        general = _outcome(pipeline, path, window, general=True, fast=False, strict=strict)
        patch.setenv(native.ENGINE_VARIABLE, engine)
        fast = _outcome(pipeline, path, window, strict=strict, jobs=jobs)
    assert fast == general, spl


SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(log=logs, expression=searches, tail=tails, strict=st.booleans())
def test_fast_path_gives_the_general_paths_rows_counts_and_warnings(tmp_path, engine, log, expression, tail,
                                                                     strict):
    _compare(tmp_path, log, f"{expression} {tail}", engine, strict)


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(log=logs, expression=searches, pipeline=pipelines, window=windows)
def test_the_stats_fold_gives_the_general_engines_rows_and_stage_counts(tmp_path, engine, log, expression,
                                                                        pipeline, window):
    _compare(tmp_path, log, f"{expression} {pipeline}", engine, window=window)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=st.lists(lines(), min_size=200, max_size=400).map(b"".join), expression=searches, tail=tails,
       strict=st.booleans())
def test_several_processes_give_the_rows_counts_and_line_numbers_of_one(tmp_path, engine, log, expression,
                                                                         tail, strict, monkeypatch):
    monkeypatch.setattr(reader_module, "SPAN", 2048)  # many spans of a small file
    _compare(tmp_path, log, f"{expression} {tail}", engine, strict, jobs=2)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=st.lists(lines(), min_size=200, max_size=400).map(b"".join), expression=searches,
       pipeline=pipelines, window=windows)
def test_several_processes_fold_their_spans_into_the_rows_and_counts_of_one(tmp_path, engine, log, expression,
                                                                            pipeline, window, monkeypatch):
    """The stats fold runs in the reading processes (each span's groups cross, not its events)."""
    monkeypatch.setattr(reader_module, "SPAN", 2048)
    _compare(tmp_path, log, f"{expression} {pipeline}", engine, jobs=2, window=window)


PLAIN_VALUES = st.sampled_from([value for value in VALUES if "*" not in value])
program_terms = st.one_of(  # what spl/fold_program.py makes a program of: the C fold runs them
    st.builds(lambda f, v: f'{f}="{v}"', names, PLAIN_VALUES),
    st.builds(lambda f, v: f'{f}!="{v}"', names, PLAIN_VALUES),
    st.builds(lambda f, v: f'{f}=CASE("{v}")', names, PLAIN_VALUES),
    st.builds(lambda f, vs: f"{f} IN ({', '.join(f'{chr(34)}{v}{chr(34)}' for v in vs)})",
              names, st.lists(PLAIN_VALUES, min_size=1, max_size=3)),
    st.builds("{}=*".format, names),
    st.sampled_from(["host=host-1", "index=main", "index=other", "source=*", 'sourcetype="linux:audit"']),
)
program_expressions = st.recursive(program_terms, lambda inner: st.one_of(
    st.builds(lambda a, b: f"{a} {b}", inner, inner),
    st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
    st.builds(lambda a: f"NOT ({a})", inner)), max_leaves=5)
program_anchors = st.sampled_from([  # terms many lines pass, lines without pid or UID among them
    'comm IN ("at", "atd") OR exe IN ("/usr/bin/at","/usr/bin/atd")', "type=*", "type=SYSCALL", "UID=root",
    "comm=*", 'comm="AT"',
    # lines holding one term's text and not the other's: the scan offers them, the prefilter drops them
    "comm=at exe=/usr/bin/atd", 'comm IN ("at", "atq") UID=daemon'])
program_searches = st.one_of(
    program_expressions, program_anchors,
    st.builds("{} NOT ({})".format, program_anchors, program_expressions),
    st.builds("({}) OR ({})".format, program_anchors, program_expressions))
program_stats = st.builds(
    lambda rename, functions, by: f"{rename}| stats {functions}{by}",
    st.sampled_from(["", "| rename host as dest ", "| search comm!=atq "]),
    st.lists(st.sampled_from(["count", "count(pid)", "count(UID)", "min(_time) as firstTime",
                              "max(_time) as lastTime"]), min_size=1, max_size=3).map(" ".join),
    stats_by)
exact_windows = st.sampled_from([(None, None), (1795918493.068, None), (None, 1795918502.32),
                                 (1795918493.064, 1795918507.384)])  # bounds that `at` records' times equal


@pytest.mark.parametrize("jobs", [1, 2])
@SETTINGS
@given(log=st.lists(lines(), min_size=1, max_size=200).map(b"".join), expression=program_searches,
       stats=program_stats, window=exact_windows)
def test_the_c_fold_gives_the_general_engines_rows_and_counts(tmp_path, jobs, log, expression, stats, window,
                                                              monkeypatch):
    """Searches the C fold runs (field terms, count and the time extremes), on both sides of exact
    time bounds, with one process and with several."""
    if native.fold() is None or importlib.util.find_spec("hyperscan") is None:
        pytest.skip("the C fold runs after the hyperscan scan: pip install hyperscan, and a C compiler")
    monkeypatch.setattr(reader_module, "SPAN", 2048)
    _compare(tmp_path, log, f"{expression} {stats}", "hyperscan", jobs=jobs, window=window)


event_tails = st.sampled_from([  # no stats: the reader's events themselves reach the rows
    "| table _time comm exe host type UID uid pid ppid SYSCALL key node acct",
    "| table _raw type", '| eval n=len(_raw) | table n comm', "| fields comm exe | table *",
])


@pytest.mark.parametrize("jobs", [1, 2])
@SETTINGS
@given(log=st.lists(lines(), min_size=1, max_size=200).map(b"".join), expression=program_searches,
       tail=event_tails, strict=st.booleans())
def test_the_events_built_in_c_give_the_general_paths_rows_and_counts(tmp_path, jobs, log, expression, tail,
                                                                       strict, monkeypatch):
    """Events of candidate lines built by the C pass (a first stage of field terms: the line
    program), every field the search reads and `_raw`, with one process and with several."""
    if native.events() is None or importlib.util.find_spec("hyperscan") is None:
        pytest.skip("the C pass runs after the hyperscan scan: pip install hyperscan, and a C compiler")
    monkeypatch.setattr(reader_module, "SPAN", 2048)
    _compare(tmp_path, log, f"{expression} {tail}", "hyperscan", strict, jobs=jobs)


@pytest.mark.parametrize("spl", [
    "comm=at | table comm " + " ".join(f"f{i}" for i in range(70)),
    "comm=at OR " + " OR ".join(f"f{i}=x" for i in range(70)) + " | stats count by comm",
])
def test_a_search_of_more_fields_than_the_c_passes_take_runs_in_python(tmp_path, spl):
    """More than `_lines.MAX_KEYS` fields: the C passes are not asked (they would refuse the
    program), and the rows and counts are the general path's."""
    log = b"".join(line + b"\n" for line in AT_RECORDS + RECORDS[:40])
    _compare(tmp_path, log, spl, "hyperscan" if importlib.util.find_spec("hyperscan") else "re")


def test_with_several_processes_a_spans_groups_cross_the_pipe_not_its_events(tmp_path, monkeypatch):
    monkeypatch.setattr(reader_module, "CHUNK", 1024)
    monkeypatch.setattr(reader_module, "SPAN", 2048)
    crossed: list[object] = []
    real = workers.ordered_map  # the reader imports it when it forks

    def spied(work, tasks, jobs):
        for part in real(work, tasks, jobs):
            crossed.append(part.value)
            yield part
    monkeypatch.setattr(workers, "ordered_map", spied)
    path = tmp_path / "audit.log"
    path.write_bytes(b"\n".join(AT_RECORDS * 60) + b"\n")
    pipeline = compile_search("comm=at* | stats count by comm")
    rows = runner.run_detection(pipeline, [str(path)], Context(now=0.0, tz=UTC), jobs=2).result.rows
    assert len(crossed) > 2 and all(type(value).__name__ == "Partial" for value in crossed)
    assert sum(int(row["count"]) for row in rows) == len(AT_RECORDS) * 60


def test_an_spl_error_while_folding_in_a_reading_process_is_the_error_of_one(tmp_path, monkeypatch):
    """A where that meets a value it cannot test fails in the child that folds the span: the parent
    raises the same error, with its SPL position, as a run in one process does."""
    monkeypatch.setattr(reader_module, "CHUNK", 1024)
    monkeypatch.setattr(reader_module, "SPAN", 2048)
    path = tmp_path / "audit.log"
    path.write_bytes(b"\n".join(AT_RECORDS * 60) + b"\n")
    pipeline = compile_search("comm=at* | where NOT comm | stats count by comm")
    errors = []
    for jobs in (1, 2):
        with pytest.raises(SPLError) as raised:
            runner.run_detection(pipeline, [str(path)], Context(now=0.0, tz=UTC), jobs=jobs)
        errors.append(str(raised.value))
    assert errors[0] == errors[1] and "expected a boolean expression" in errors[0] and "position" in errors[0]


def test_a_reading_process_killed_midway_ends_the_run_with_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(reader_module, "CHUNK", 1024)
    monkeypatch.setattr(reader_module, "SPAN", 2048)  # spans of a small file
    monkeypatch.setattr(reader_module.AuditReader, "_read_span",
                        lambda self, path, start, end, reduce: os.kill(os.getpid(), signal.SIGKILL))
    path = tmp_path / "audit.log"
    path.write_bytes(b"\n".join(RECORDS * 20) + b"\n")
    pipeline = compile_search("comm=at | stats count")
    with pytest.raises(AuditInputError, match=r"audit\.log:1: cannot read \(a reading process ended "
                                              r"without its result \(killed by SIGKILL\)\)"):
        list(runner.open_logs(pipeline, [str(path)], jobs=2))


def test_the_shipped_search_and_a_filter_macro_go_through_the_same_derivation(tmp_path):
    detection, pipeline = runner.compile_detection(filter_definition='search NOT dest IN ("h2") comm!=atd')
    assert pipeline.fields_read() == {"comm", "exe", "SYSCALL", "UID", "ppid", "pid", "host", "type",
                                      "sourcetype", "_time"}  # dest is host renamed
    variants = [line.replace(old, new) for line in AT_RECORDS for old, new in (
        (b"", b""), (b'comm="at"', b'comm="At"'), (b'comm="at', b'COMM="at'),
        (b'exe="/usr/bin/at', b'exe="/USR/bin/AT'), (b'comm="at"', b"comm=6174"),
        (b'comm="at"', b'comm="x" k="a comm=at"'), (b"type=", b"node=h2 type="))]
    log = b"\n".join(RECORDS + variants * 2) + b"\n"
    for engine in ("re", "hyperscan") if importlib.util.find_spec("hyperscan") else ("re",):
        _compare(tmp_path, log, detection.expanded_search(), engine)


@pytest.mark.parametrize(("spl", "reads"), [
    ("comm=at | stats count by exe", {"comm", "exe"}),
    ("comm=at | rename host as dest | stats count by dest", {"comm", "host"}),
    ("comm=at | rename a as b, b as c | stats count by c b", {"comm", "a"}),  # both end as a's value
    ("comm=at | rename a as b | stats count by a b", {"comm", "a"}),  # a is null after it
    ("at | stats count", {"_raw"}),
    ("comm=at | eval x=lower(exe) | where x!=y | table x", {"comm", "exe", "x", "y"}),
    ("comm=at", None),  # the events themselves are the result: every field
    ("comm=at | stats count by * ", None),
    ("comm=at | rename c* as d* | stats count by d", None),
    ("comm=at | eventstats count by comm | stats count by comm", None),  # a command it does not list
    ('comm=at | where searchmatch("exe=*/at") | stats count', None),  # fields named in a string
    ("comm=at | stats count by comm | eval x=1", {"comm"}),  # after stats: only stats' fields
    # `fields` keeps _raw and _time beside its list: a later bare term still reads _raw
    ("comm=at | fields comm pid | search at | stats count", {"comm", "pid", "_raw"}),
    ("comm=at | fields comm | stats count by comm", {"comm"}),
    ("comm=at | fields comm", {"comm", "_raw", "_time"}),  # the result shows them
])
def test_fields_read_decline_what_they_do_not_understand(spl, reads):
    assert compile_search(spl).fields_read() == (None if reads is None else frozenset(reads))


def test_field_extractor_equals_the_full_extraction_on_hostile_lines():
    lines_ = [
        'type=X msg=audit(1.2:3): a="x comm=bad" comm-x=1 old-auid=5 b=\'comm=q\' c="open comm=z',
        'type=X old-auid= old_auid="" old-auid=7 comm="" comm=""x comm=y',
        "comm=first type=SYSCALL comm=second",
        "type=A\x1dcomm=at\x1cexe=/x\u00a0uid=0 UID=\u212a",
        "xcomm=no  comm=yes\tpid=1",
    ]
    for line in lines_:
        full = extract_fields(line)
        some = field_extractor(["comm", "exe", "uid", "UID", "old_auid", "pid", "b", "c"])(line)
        named = {"comm", "exe", "uid", "UID", "old_auid", "pid", "b", "c", "type", "node"}
        expected = [(k, v) for k, v in full.items() if k in some or k in named]
        assert [*some.items()] == expected, line  # the same pairs, in the line's order


@given(st.text(alphabet=string.ascii_letters + string.digits + ' ="\'\x1d\t_-=', max_size=80))
def test_field_extractor_equals_the_full_extraction_on_random_text(text):
    wanted = {"comm", "a", "b_c", "type", "node"}
    full = extract_fields(text)
    some = field_extractor(wanted - {"type", "node"})(text)
    assert [*some.items()] == [(k, v) for k, v in full.items() if k in wanted]  # in the line's order


def test_without_the_native_library_the_stdlib_scanner_is_chosen(monkeypatch):
    monkeypatch.delenv(native.ENGINE_VARIABLE, raising=False)
    monkeypatch.setattr(native.importlib.util, "find_spec", lambda name: None)
    assert scan.engine_name() == "re"
    keep = compile_search("comm=at | stats count").raw_prefilter()
    scanner = scan.Scanner(keep.needles, keep.necessary)
    assert scanner.engine == "re" and scanner.tally is bytes.count
    assert type(native.gzip_stream(io.BufferedReader(io.BytesIO(gzip.compress(b"x\n"))))) is gzip.GzipFile
    block = b'type=SYSCALL msg=audit(1.1:1): comm="AT"\ntype=SYSCALL msg=audit(1.1:2): comm=atq\n'
    assert scanner.candidates(block) == (2, [0])
    assert scanner.candidates(block + b"\n") is None  # a blank line: read line by line


@pytest.mark.skipif(importlib.util.find_spec("hyperscan") is None, reason="pip install hyperscan (x86_64)")
def test_a_small_plain_file_is_scanned_with_re_unless_an_engine_is_asked_for(tmp_path, monkeypatch):
    """Below scan.SMALL bytes hyperscan's import and compile cost more than its scan saves: the
    default takes `re` (the engines give the same lines, the tests above hold them equal); a file
    as large, a stream, or an engine asked for by name keeps hyperscan."""
    monkeypatch.delenv(native.ENGINE_VARIABLE, raising=False)
    keep = compile_search("comm=at | stats count").raw_prefilter()
    scanner = scan.Scanner(keep.needles, keep.necessary)
    scanner.expect(scan.SMALL - 1)
    assert type(scanner._impl).__name__ == "_Re"
    for size in (scan.SMALL, None):
        scanner.expect(size)
        assert type(scanner._impl).__name__ == "_Hyperscan"
    monkeypatch.setenv(native.ENGINE_VARIABLE, "hyperscan")
    asked = scan.Scanner(keep.needles, keep.necessary)
    asked.expect(1)
    assert type(asked._impl).__name__ == "_Hyperscan"
    log = tmp_path / "audit.log"
    log.write_bytes(b"".join(line + b"\n" for line in AT_RECORDS))
    monkeypatch.delenv(native.ENGINE_VARIABLE)
    pipeline = compile_search("comm=at | stats count by comm")
    reader = runner.open_logs(pipeline, [str(log)])
    general = runner.open_logs(pipeline, [str(log)], fast=False)
    context = Context(now=0.0, tz=UTC)
    assert pipeline.execute(reader, context).rows == pipeline.execute(general, context, general=True).rows
    assert type(reader.scanner._impl).__name__ == "_Re"


LINES_C = pytest.mark.skipif(
    importlib.util.find_spec("linux_auditd_at.audit._lines") is None,
    reason="the C extension audit/_lines.c did not build: install a C compiler and the Python headers "
           "(Debian: gcc python3-dev), then pip install -e .")
DIGITS = st.sampled_from(["", "1", "12", "007"])
STAMPS = st.builds("msg=audit({}{}:{}{}{}".format, DIGITS, st.sampled_from(["", ".", ".5", ".x", "..5"]),
                   DIGITS, st.sampled_from([")", "", "x)"]), st.sampled_from(["", " a=1", ": type=X"]))
KEY_TEXT = st.text(alphabet="abAB_-=\"' \t\x0b\x1c\x1d\x1f#035\u00e9", max_size=80)


@LINES_C
@settings(max_examples=400)
@given(text=st.one_of(KEY_TEXT, st.lists(st.sampled_from(["a=", "b-c=", "B_c=", "type=", '"', "'", " ",
                                                       "\x1d", "\x1c", "\x0b", "\t", "#035", "#03", "x", "#",
                                                       "1", "msg=audit(", ".", ":", ")", "12"]),
                                         max_size=30).map("".join),
                      st.lists(STAMPS, min_size=1, max_size=3).map(" ".join)),
       keys=st.lists(st.sampled_from(["a", "b_c", "B_c", "b-c", "type", "A", "_", "\u00e9"]), unique=True))
def test_the_c_pass_gives_the_stamp_and_the_full_extractions_values(text, keys):
    """`_lines.record` gives stamp_time's epoch (None for none, or for an `ausearch -i` date) and
    `extract_fields` restricted to the keys, #035 escapes, \\s beyond space (0x0b, 0x1c-0x1f),
    unclosed quotes and broken stamps included; a line that is not ASCII is left to Python."""
    found = native.line_record()(text, tuple(keys))
    if not text.isascii():
        assert found is None
        return
    stamp = stamp_time(text)
    assert found == (stamp[0] if stamp is not None and not stamp[1] else None,
                     {key: value for key, value in extract_fields(text).items() if key in keys})
    assert [*found[1]] == [key for key in extract_fields(text) if key in keys]  # in the line's order


@LINES_C
def test_the_c_pass_is_used_unless_the_stdlib_alone_is_asked_for(monkeypatch):
    line = 'type=SYSCALL msg=audit(1.2:3): comm="at" a="x comm=q" exe=/usr/bin/at\u00e9'
    ascii_line = line.encode("ascii", "replace").decode()
    monkeypatch.delenv(native.ENGINE_VARIABLE, raising=False)
    assert native.line_record()(ascii_line, ("comm",)) == (1.2, {"comm": "at"})
    assert native.line_record()(line, ("comm",)) is None  # not ASCII: record_parser asks Python
    expected = Record(1.2, {"type": "SYSCALL", "comm": "at", "exe": "/usr/bin/at\u00e9"}, False)
    assert record_parser(["comm", "exe"])(line) == expected
    many = [f"k{i}" for i in range(70)]
    assert native.line_record()("k69=1", tuple(many)) is None  # more keys than it takes: Python
    assert record_parser(many)("type=X msg=audit(1:2): k69=1") == Record(1, {"type": "X", "k69": "1"}, False)
    assert record_parser(["comm"])("msg=audit(1:2): comm=at") == "no type= field"
    monkeypatch.setenv(native.ENGINE_VARIABLE, "re")
    assert native.line_record() is None


STRINGZILLA = pytest.mark.skipif(importlib.util.find_spec("stringzilla") is None,
                                 reason="pip install stringzilla (the native count)")


@STRINGZILLA
@given(block=st.lists(st.sampled_from([b"\n", b" msg=audit(", b"): ", b")", b":", b" ", b"a", b"\xff",
                                       b"\x00"]), max_size=60).map(b"".join))
def test_the_native_count_gives_the_numbers_of_bytes_count(block):
    tally = native.tally()
    for text in (b"\n", b" msg=audit(", b"): "):
        assert tally(block, text) == block.count(text)
    assert scan.line_count(block, tally) == scan.line_count(block)


@STRINGZILLA
@given(block=st.lists(st.sampled_from([b"a", b" ", b"\n", b"\r", b"\x00", b"\x7f", b"\x80", b"\xe9", b"\xff",
                                       b"\x1d"]), max_size=40).map(b"".join))
def test_the_native_plain_check_agrees_with_the_stdlibs(block):
    """ASCII without \\r or NUL: one SIMD pass for the first byte of the others, or three passes."""
    assert native.plain()(block) == native.stdlib_plain(block)
    assert native.stdlib_plain(block) == (block.isascii() and b"\r" not in block and b"\x00" not in block)


@STRINGZILLA
def test_the_stdlib_alone_counts_when_asked(monkeypatch):
    keep = compile_search("comm=at | stats count").raw_prefilter()
    monkeypatch.delenv(native.ENGINE_VARIABLE, raising=False)
    assert scan.Scanner(keep.needles, keep.necessary).tally is native.tally()
    assert scan.Scanner(keep.needles, keep.necessary, "re").tally is bytes.count
    assert scan.Scanner(keep.needles, keep.necessary, "re").plain is native.stdlib_plain
    monkeypatch.setenv(native.ENGINE_VARIABLE, "re")
    assert scan.Scanner(keep.needles, keep.necessary).tally is bytes.count
    assert scan.Scanner(keep.needles, keep.necessary).plain is native.stdlib_plain
    assert native.vouch() is None


AVX2 = pytest.mark.skipif(native.vouch() is None, reason="the C extension's block check needs an x86_64 CPU "
                          "with AVX2 and the extension built (a C compiler and the Python headers)")
BENIGN = st.lists(st.sampled_from([b"a", b" ", b")", b":", b" m", b" msg", b"=audit(", b"msg=audit",
                                   b"\x7f"]), max_size=12).map(b"".join)
STAMPED = st.lists(st.builds(lambda head, tail: b"type=X" + head + b" msg=audit(1.2:3): " + tail + b"\n",
                             BENIGN, BENIGN), max_size=12).map(b"".join)
FLAWS = st.sampled_from([b"", b"\r", b"\x00", b"\xe9", b"\n", b" msg=audit(", b"): ", b"msg=audit("])


@AVX2
@settings(max_examples=400)
@given(good=STAMPED, flaw=FLAWS, where=st.floats(0, 1), cut=st.booleans())
def test_the_c_block_check_gives_the_plain_check_and_the_counts_verdict(good, flaw, where, cut):
    """One AVX2 pass gives what the plain-bytes check and the three counts give: the line count
    of a block of plain stamped lines, else -1 (any length, so the vector loop and its tail): a
    block of stamped lines with at most one flaw put anywhere, the last line break maybe cut."""
    at = int(where * len(good))
    block = (good[:at] + flaw + good[at:])[:-1 if cut else None]
    lines = scan.line_count(block)
    plain = native.stdlib_plain(block) and stamped_lines(block, lines, bytes.count)
    assert native.vouch()(block) == (lines if plain else -1)


@pytest.mark.parametrize("engine", ENGINES)
def test_scanner_hands_blocks_it_cannot_vouch_for_to_the_line_reader(engine):
    keep = compile_search("comm=at | stats count").raw_prefilter()
    scanner = scan.Scanner(keep.needles, keep.necessary, engine)
    good = b'type=SYSCALL msg=audit(1.1:1): comm="at"\n'
    assert scanner.candidates(good * 3) == (3, [0, len(good), 2 * len(good)])
    assert scanner.candidates(good + b"junk\n" + good) is None
    assert scanner.candidates(good + b"\n" + good) is None
    assert scanner.candidates(good.replace(b"\n", b"\r\n")) is None
    assert scanner.candidates(good + "comm=\u00e9t\u00e9 msg=audit(\n".encode()) is None
    assert scanner.candidates(good + good.replace(b"comm=", b"\x00comm=")) is None
    assert scanner.candidates(good[:-1]) == (1, [0])  # the last line may lack its break
    assert scanner.candidates(good * 40 + b"junk\n" + good) is None  # past the C pass's vector loop too
