"""atomic.py and `tune --write` under concurrency, kills and planted files in local/."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from linux_auditd_at import atomic
from linux_auditd_at.conf import read_conf_file
from linux_auditd_at.detection import FILTER_MACRO
from linux_auditd_at.errors import OutputError
from linux_auditd_at.tuning.tune import write_filter

ROUNDS = 60
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from linux_auditd_at.conf import read_conf_file
    from linux_auditd_at.tuning.tune import write_filter
    app, macro, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for round in range(rounds):
        definition = f"search NOT comm={macro}_{round}"
        path, changed = write_filter(app, definition, macro)
        assert changed, round
        # what this writer just wrote is there, and the file parses, whatever the other one does
        assert read_conf_file(path)[macro]["definition"] == definition, round
""")


def test_two_writers_at_once_keep_both_changes_every_round(app):
    """Two real processes, each changing its own stanza ROUNDS times: none of its writes is lost
    to the other's, the file parses after every write, and both last changes are in it."""
    macros = ("first_filter", "second_filter")
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(app), macro, str(ROUNDS)],
                                stderr=subprocess.PIPE, text=True) for macro in macros]
    errors = [writer.communicate(timeout=120)[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], errors
    stanzas = read_conf_file(app / "local" / "macros.conf")
    assert {macro: stanzas[macro]["definition"] for macro in macros} == {
        macro: f"search NOT comm={macro}_{ROUNDS - 1}" for macro in macros}
    assert sorted(p.name for p in (app / "local").iterdir()) == [".macros.conf.lock", "macros.conf"]


def test_a_kill_during_the_rename_leaves_the_old_file_and_no_temporary(app, monkeypatch):
    write_filter(app, "search NOT comm=old")
    conf = app / "local" / "macros.conf"
    before = conf.read_bytes()

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_filter(app, "search NOT comm=new")
    assert conf.read_bytes() == before
    assert sorted(p.name for p in (app / "local").iterdir()) == [".macros.conf.lock", "macros.conf"]


def test_a_planted_temporary_symlink_is_not_followed(app, tmp_path):
    """The old fixed name `macros.conf.tmp` pointing outside the app: nothing is written there."""
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    (app / "local").mkdir()
    (app / "local" / "macros.conf.tmp").symlink_to(outside)
    write_filter(app, "search NOT comm=new")
    assert outside.read_text() == "precious\n"
    assert read_conf_file(app / "local" / "macros.conf")[FILTER_MACRO]["definition"] == "search NOT comm=new"
    assert not (app / "local" / "macros.conf").is_symlink()


def test_a_planted_lock_symlink_is_refused(app, tmp_path):
    outside = tmp_path / "outside.txt"
    (app / "local").mkdir()
    (app / "local" / ".macros.conf.lock").symlink_to(outside)
    with pytest.raises(OutputError, match=r"\.macros\.conf\.lock: cannot write: Too many levels of symbolic"):
        write_filter(app, "search NOT comm=new")
    assert not outside.exists()
    assert not (app / "local" / "macros.conf").exists()


def test_replace_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "a.conf"
    target.write_text("old\n")
    target.chmod(0o600)
    atomic.replace(target, b"new\n")
    assert (target.read_text(), target.stat().st_mode & 0o777) == ("new\n", 0o600)
    assert [p.name for p in tmp_path.iterdir()] == ["a.conf"]


def test_a_symlinked_local_macros_conf_is_refused_not_read_or_replaced(app, tmp_path):
    outside = tmp_path / "shadow"
    outside.write_text("root:secret\n")
    (app / "local").mkdir()
    (app / "local" / "macros.conf").symlink_to(outside)
    with pytest.raises(OutputError, match=r"local/macros\.conf: is a symbolic link"):
        write_filter(app, "search NOT comm=new")
    assert outside.read_text() == "root:secret\n"
    assert (app / "local" / "macros.conf").is_symlink()
