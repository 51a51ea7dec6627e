"""bench/run.py's verdicts: a run of our tool that fails or prints nothing fails the bench, and so
do rows other than the general engine's, while ausearch and grep may exit 1 (nothing found). The
timings themselves are never asserted here."""

import importlib.util
import sys
from pathlib import Path

import pytest

from linux_auditd_at.runner import compile_detection

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # bench/run.py imports bench/generate.py
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    module = sys.modules["bench_run"] = importlib.util.module_from_spec(spec)  # dataclasses look it up
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(BENCH))
    del sys.modules["bench_run"]


def test_our_tool_exiting_non_zero_fails_the_bench(bench, tmp_path):
    program = bench.Program("ours", [sys.executable, "-c", "import sys; print('x'); sys.exit(1)"], ours=True)
    with pytest.raises(bench.BenchFailure, match="exited 1"):
        bench.measure(program, tmp_path / "out")


def test_our_tool_printing_nothing_fails_the_bench(bench, tmp_path):
    with pytest.raises(bench.BenchFailure, match="printed nothing"):
        bench.measure(bench.Program("ours", [sys.executable, "-c", "pass"], ours=True), tmp_path / "out")


def test_grep_finding_nothing_is_no_failure(bench, tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    grep = bench.Program("grep", ["grep", "-c", "x", str(empty)], (0, 1))
    assert bench.measure(grep, tmp_path / "out")[0] > 0


def test_rows_other_than_the_general_engines_fail_the_bench(bench, tmp_path):
    printed = tmp_path / "out"
    printed.write_text("comm,exe\nnot,the rows\n")
    log = Path(__file__).parent / "audit" / "data" / "enriched.log"
    with pytest.raises(bench.BenchFailure, match="differ"):
        bench.check_rows(log, printed, bench.general_engine_csv(log))


def test_the_report_has_a_ratio_for_every_program_measured(bench, tmp_path, capsys):
    """The ratios look runs up by label: each label the bench measures is one the report knows."""
    log = tmp_path / "a.log"
    log.write_bytes(b"x\n")
    runs = [bench.Runs(p.label, [1.0], [1.0]) for p in bench.programs(log, "(b)")]  # (a) makes files
    bench.report({"(b)": log}, {"(b)": runs}, bench.Runs("start-up", [0.1], [1.0]))
    printed = capsys.readouterr().out
    assert "ours / grep floor: 1.00x" in printed and "stdlib alone / default: 1.00x" in printed
    assert "--jobs 1 / --jobs 2: 1.00x" in printed


def test_the_scanner_comparison_runs_and_its_engines_agree(tmp_path, capsys, monkeypatch):
    """bench/scanners.py on a small log of real records: each engine at hand finds the same
    candidate lines (it exits 1 when they disagree), through the toolkit's own Scanner."""
    spec = importlib.util.spec_from_file_location("bench_scanners", BENCH / "scanners.py")
    scanners = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scanners)
    data = Path(__file__).parent / "audit" / "data" / "enriched.log"
    log = tmp_path / "audit.log"
    log.write_bytes(data.read_bytes() * 40)
    monkeypatch.setattr(sys, "argv", ["scanners.py", str(log), "--repeat", "1"])
    assert scanners.main() == 0
    report = capsys.readouterr().out.splitlines()[1:]
    necessary = compile_detection()[1].raw_prefilter().necessary  # what a candidate line holds
    lines = sum(1 for line in log.read_text().splitlines() if necessary.search(line.lower()))
    assert lines and report
    assert all(row.split(" s  ")[1].startswith(f"{lines} candidate lines") for row in report), report
