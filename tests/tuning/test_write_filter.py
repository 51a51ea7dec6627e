"""`tune --write`: the filter macro goes to local/macros.conf only, comments and stanzas kept."""

from __future__ import annotations

import pytest

from linux_auditd_at.detection import FILTER_MACRO, load_detection
from linux_auditd_at.errors import ConfError, OutputError
from linux_auditd_at.tuning.tune import write_filter

NEW = 'search NOT dest IN ("build-01", "build-02")'

EXISTING = """\
# Site tuning, reviewed by the SOC on 2026-11-01.

[linux_auditd]
# our audit data lives in its own index
definition = index=os_linux sourcetype="linux:audit"

[linux_auditd_at_application_execution_filter]
definition = search NOT dest="old-host"
# ticket SOC-123

[other_macro(1)]
args = x
definition = search x=$x$ \\
  OR y=$x$
"""


def test_creates_local_macros_conf_and_engine_sees_it(app):
    default_before = (app / "default" / "macros.conf").read_bytes()
    path, changed = write_filter(app, NEW)
    assert (path, changed) == (app / "local" / "macros.conf", True)
    assert (app / "default" / "macros.conf").read_bytes() == default_before
    text = path.read_text()
    assert f"[{FILTER_MACRO}]\ndefinition = {NEW}\n" in text
    assert text.startswith("# ")
    detection = load_detection(app)
    assert detection.macros[FILTER_MACRO].definition == NEW
    # local/ sets only definition: description still comes from default/
    assert detection.macros[FILTER_MACRO].description.startswith("Update this macro")


def test_keeps_other_stanzas_and_comments_and_is_idempotent(app):
    (app / "local").mkdir()
    conf = app / "local" / "macros.conf"
    conf.write_text(EXISTING)
    _, changed = write_filter(app, NEW)
    assert changed
    expected = EXISTING.replace('definition = search NOT dest="old-host"', f"definition = {NEW}")
    assert conf.read_text() == expected
    mtime = conf.stat().st_mtime_ns
    _, changed = write_filter(app, NEW)
    assert not changed
    assert conf.read_text() == expected
    assert conf.stat().st_mtime_ns == mtime
    macros = load_detection(app).macros
    assert macros["linux_auditd"].definition == 'index=os_linux sourcetype="linux:audit"'
    assert macros["other_macro(1)"].definition == "search x=$x$ \n  OR y=$x$"


def test_unparsable_local_file_is_reported_not_overwritten(app):
    (app / "local").mkdir()
    conf = app / "local" / "macros.conf"
    conf.write_text("[a]\ndefinition = 1\n[a]\ndefinition = 2\n")
    with pytest.raises(ConfError, match="local/macros.conf"):
        write_filter(app, NEW)
    assert conf.read_text() == "[a]\ndefinition = 1\n[a]\ndefinition = 2\n"


def test_unwritable_app_folder_is_a_conf_error(app):
    (app / "local").write_text("a file where the local/ folder should be")
    with pytest.raises(OutputError, match="cannot write"):
        write_filter(app, NEW)


def test_writes_the_named_filter_macro_and_leaves_the_shipped_one(app):
    (app / "local").mkdir()
    (app / "local" / "macros.conf").write_text(EXISTING)
    path, changed = write_filter(app, NEW, "linux_auditd_atq_execution_filter")
    text = path.read_text()
    assert changed
    assert f"[linux_auditd_atq_execution_filter]\ndefinition = {NEW}\n" in text
    assert f'[{FILTER_MACRO}]\ndefinition = search NOT dest="old-host"\n' in text
