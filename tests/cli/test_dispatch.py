"""The CLI dispatcher: lazy verb import, top-level help, quiet exit on a closed pipe."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from linux_auditd_at.cli import VERBS, build_parser, main
from linux_auditd_at.console import YOUNG
from paths import REPO

SAMPLE = REPO / "attack_data/T1053.002/linux_auditd_at/auditd_at_execution.log"


def test_top_level_help_lists_every_verb_with_its_docstring(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for verb in VERBS:
        assert f"    {verb} " in out
    assert "Run the shipped detection" in out


def test_help_before_a_verb_is_the_top_level_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    top_level = capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["--help", "run"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == top_level


def test_running_a_verb_imports_no_other_verb_module():
    code = (
        "import sys; from linux_auditd_at.cli import main; "
        f"main(['--app-dir', {str(REPO)!r}, 'run', '--format', 'csv', {str(SAMPLE)!r}]); "
        "print(sorted(m for m in sys.modules if m.startswith('linux_auditd_at.cli.')), file=sys.stderr); "
        "print('splunklib' in sys.modules, 'croniter' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules, heavy = done.stderr.strip().splitlines()[-2:]
    assert "linux_auditd_at.cli.replay" not in modules
    assert "linux_auditd_at.cli.run" in modules
    assert heavy == "False False"


def test_run_imports_only_what_the_shipped_search_uses():
    """The detection uses search, rename, stats and convert, no eval function and no regex: the
    other commands, the eval functions, the regex backend and the other layers stay unloaded, and
    so do the modules only start-up cost would bring in: dataclasses (and inspect with it: see
    `structs`), the time modifier parser (no --earliest, --latest, --now), the forking reader
    (and pickle: a small log is read in one process), gzip, json (CSV output), shlex (no metadata
    problem to word)."""
    code = (
        "import sys; from linux_auditd_at.cli import main; "
        f"main(['--app-dir', {str(REPO)!r}, 'run', '--format', 'csv', {str(SAMPLE)!r}]); "
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.splitlines()[-1].split())
    commands = {m.rsplit(".", 1)[1] for m in loaded if m.startswith("linux_auditd_at.spl.commands.")}
    assert commands == {"arguments", "contract", "search", "rename", "stats", "convert"}
    unused = ("linux_auditd_at.spl.functions", "linux_auditd_at.spl.eval_expr", "linux_auditd_at.spl.regex",
              "pcre2", "linux_auditd_at.replay", "linux_auditd_at.capture", "linux_auditd_at.tuning",
              "linux_auditd_at.app", "rich", "dataclasses", "inspect", "linux_auditd_at.spl.timemodifiers",
              "calendar", "linux_auditd_at.audit.workers", "pickle", "gzip", "json", "shlex")
    assert not {m for m in loaded if m.startswith(unused)}


@pytest.mark.parametrize(("where", "regex"), [("isnull(reason) AND like(comm, \"a%\")", False),
                                             ("match(comm, \"^at\")", True)])
def test_a_filter_with_eval_functions_loads_the_regex_backend_only_for_a_regex(where, regex):
    """A tuning filter's `where` loads the eval functions, not what only some of them use: the
    regex backend (PCRE2, signal, threading) for match() and replace(), decimal for round(), the
    time modifier parser for relative_time(), dataclasses (and inspect) for nothing."""
    code = (
        "import sys; from linux_auditd_at.cli import main; "
        f"main(['--app-dir', {str(REPO)!r}, 'run', '--format', 'csv', '--filter', 'where {where}', "
        f"{str(SAMPLE)!r}]); print(' '.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.splitlines()[-1].split())
    assert "linux_auditd_at.spl.functions.conditional" in loaded
    assert not {m for m in loaded if m.startswith(("dataclasses", "inspect", "calendar",
                                                   "linux_auditd_at.spl.timemodifiers"))}
    assert ("linux_auditd_at.spl.regex" in loaded) is regex and ("pcre2" in loaded) is regex


def test_a_run_that_returns_no_row_imports_no_decimal(tmp_path):
    """`convert ctime()` formats a time with decimal's exact fractions; without a row to format,
    decimal stays unloaded (a detection over logs without `at` activity)."""
    empty = tmp_path / "audit.log"
    empty.write_text("")
    code = (
        "import sys; from linux_auditd_at.cli import main; "
        f"main(['--app-dir', {str(REPO)!r}, 'run', '--format', 'csv', {str(empty)!r}]); "
        "print('decimal' in sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.splitlines()[-1] == "False"


def _run_sample(entry: str) -> subprocess.CompletedProcess:
    """A process running the sample through `entry` (code calling a main with sys.argv set),
    which prints to stderr the status, whether the collector is on, whether much is frozen and
    the youngest generation's threshold."""
    argv = ["linux-auditd-at", "--app-dir", str(REPO), "run", "--format", "csv", str(SAMPLE)]
    code = (f"import gc, sys; sys.argv = {argv!r}; {entry}; "
            "print(status, gc.isenabled(), gc.get_freeze_count() > 10000, gc.get_threshold()[0], "
            "file=sys.stderr)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_the_console_script_freezes_what_start_up_made_and_collects_the_rest():
    """`console.main` runs the command as `cli.main` does, with the objects of start-up frozen
    (see `console`) and the collector on for what the verb makes, less often."""
    console = _run_sample("from linux_auditd_at import console; status = console.main()")
    in_process = _run_sample("from linux_auditd_at.cli import main; status = main()")
    assert console.stderr.splitlines()[-1] == f"0 True True {YOUNG}"
    assert in_process.stderr.splitlines()[-1] == "0 True False 700"
    assert console.stdout == in_process.stdout and "at,/usr/bin/at" in console.stdout


def test_a_closed_pipe_ends_quietly_without_traceback(tmp_path):
    # split on "\n" only: str.splitlines() would also cut at the 0x1d before the ENRICHED fields
    at_line = next(line for line in SAMPLE.read_text().split("\n")
                   if line.startswith("type=SYSCALL") and 'comm="at"' in line and 'UID="root"' in line)
    # 5,000 distinct pids give ~1 MB of JSON rows: far more than a pipe buffer holds.
    many = tmp_path / "audit.log"
    many.write_text("".join(re.sub(r" pid=\d+", f" pid={100000 + n}", at_line) + "\n" for n in range(5000)))
    tool = [sys.executable, "-m", "linux_auditd_at", "--app-dir", str(REPO), "run", "--format", "json",
            str(many)]
    producer = subprocess.Popen(tool, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    producer.stdout.readline()
    producer.stdout.close()
    stderr = producer.stderr.read().decode()
    assert producer.wait(timeout=60) == 1
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


@pytest.mark.parametrize(("args", "prefix"), [(["--help"], "linux-auditd-at"),
                                              (["--version"], "linux-auditd-at"),
                                              (["run", "--help"], "linux-auditd-at run")])
def test_help_and_version_on_a_full_device_are_one_error_line(args, prefix):
    """argparse drops an error writing the help: the text would be lost and the exit 0."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "linux_auditd_at", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, check=False)
    assert (done.returncode, done.stderr) == (2, f"{prefix}: error: cannot write the output: No space left "
                                                 "on device\n")


def test_a_time_value_starting_with_a_dash_needs_no_equals_sign(capsys):
    common = ["--app-dir", str(REPO), "run", "--format", "json", "--tz", "UTC", str(SAMPLE)]
    assert main([*common, "--now=@d+1d", "--earliest=-1000d", "--latest=-1s"]) == 0
    with_equals = capsys.readouterr().out
    assert main([*common, "--now", "@d+1d", "--earliest", "-1000d", "--latest", "-1s"]) == 0
    assert capsys.readouterr().out == with_equals
    assert '"comm"' in with_equals


def test_an_option_is_never_taken_for_a_time_value(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--app-dir", str(REPO), "run", str(SAMPLE), "--earliest", "--latest", "-1s"])
    assert exit_info.value.code == 2
    assert "--earliest: expected one argument" in capsys.readouterr().err


# --- Which app a verb uses: --app-dir before or after the verb, $LINUX_AUDITD_AT_APP_DIR, found ---

def _no_rows_app(app: Path) -> Path:
    """The scratch app with a local/ filter that drops every row, so its use shows in the output."""
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text("[linux_auditd_at_application_execution_filter]\n"
                                               "definition = search comm=nothing\n")
    return app


@pytest.mark.parametrize("place", ["before", "after"])
def test_app_dir_is_taken_before_or_after_the_verb(app, capsys, place):
    option = ["--app-dir", str(_no_rows_app(app))]
    argv = [*option, "run", str(SAMPLE)] if place == "before" else ["run", str(SAMPLE), *option]
    assert main(argv) == 0
    assert capsys.readouterr().out == "No results found.\n"


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_help_names_app_dir_and_its_variable(capsys, verb):
    with pytest.raises(SystemExit):
        main([verb, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--app-dir APP_DIR the app folder (default: $LINUX_AUDITD_AT_APP_DIR, else" in help_text


def test_a_stale_app_dir_variable_is_named_in_the_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LINUX_AUDITD_AT_APP_DIR", str(tmp_path / "moved"))
    assert main(["run", str(SAMPLE)]) == 2
    assert capsys.readouterr().err == (
        f"linux-auditd-at run: error: {tmp_path / 'moved'}: not an app folder (from "
        "$LINUX_AUDITD_AT_APP_DIR): it has no default/savedsearches.conf\n")


def test_the_source_checkout_as_a_fallback_is_named_on_stderr(tmp_path, monkeypatch):
    """Run from a folder with no app above it: the verb works on the checkout's app and says so
    (`tune --write` from there would write into the checkout)."""
    env = {k: v for k, v in os.environ.items() if k != "LINUX_AUDITD_AT_APP_DIR"}
    done = subprocess.run([sys.executable, "-m", "linux_auditd_at", "run", "--format", "csv", str(SAMPLE)],
                          cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.startswith("comm,exe,")
    assert done.stderr == (f"linux-auditd-at run: note: using the app in {REPO} (the toolkit's source "
                           "checkout: no app folder above the working directory); pass --app-dir or set "
                           "$LINUX_AUDITD_AT_APP_DIR for another\n")
    found = subprocess.run([sys.executable, "-m", "linux_auditd_at", "run", "--format", "csv", str(SAMPLE)],
                           cwd=REPO / "default", capture_output=True, text=True, env=env)
    assert found.returncode == 0 and found.stderr == ""


# --- Help texts: one wording per option, defaults always said the same way ---------------------

OTHER_MEANINGS = {("replay", "--index"): "the test index replay creates",
                  ("replay", "--tz"): "the Splunk user's zone, for the embedded engine's ctime",
                  ("capture", "--name"): "the dataset's name", ("capture", "--format"): "auditd's log_format"}


def _option_helps() -> dict[str, dict[str, str]]:
    """option -> verb -> help, as each verb's --help prints it (%(default)s filled in)."""
    import argparse

    helps: dict[str, dict[str, str]] = {}
    for verb in VERBS:
        parser = build_parser(verb)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[verb]
        formatter = sub._get_formatter()
        for action in sub._actions:
            option = action.option_strings[-1] if action.option_strings else None
            if action.help and option and (verb, option) not in OTHER_MEANINGS:
                helps.setdefault(option, {})[verb] = formatter._expand_help(action)
    return helps


def test_an_option_has_one_help_text_in_every_verb():
    """Same option, same words; only a default that differs may differ."""
    for option, by_verb in _option_helps().items():
        wordings = {re.sub(r"\(default: [^)]*\)$", "(default: ...)", text) for text in by_verb.values()}
        assert len(wordings) == 1, (option, by_verb)


def test_defaults_are_always_stated_as_default_colon_in_parentheses():
    for option, by_verb in _option_helps().items():
        for verb, text in by_verb.items():
            if "default:" in text:
                assert re.search(r"\(default: [^()]*\)$", text), (verb, option, text)
