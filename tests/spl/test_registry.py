"""The registries are the one place a command or an eval function is added: every command module
declares its contract and is registered, and nothing reads optional attributes instead."""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import subprocess
import sys

import pytest

from linux_auditd_at.errors import SPLError, UnsupportedSPLError
from linux_auditd_at.spl import commands, compile_search
from linux_auditd_at.spl.aggregations import ALIASES, SPLUNK_STATS_FUNCTIONS
from linux_auditd_at.spl.commands import COMMANDS, NAMES, Command, Order
from linux_auditd_at.spl.functions import FUNCTIONS, SPLUNK_EVAL_FUNCTIONS, Function, Kind
from linux_auditd_at.spl.pipeline import parse_stages
from paths import REPO

_HELPERS = {"arguments", "contract"}


def _command_modules():
    names = [info.name for info in pkgutil.iter_modules(commands.__path__) if info.name not in _HELPERS]
    return [importlib.import_module(f"{commands.__name__}.{name}") for name in sorted(names)]


def test_every_command_module_declares_its_contract_and_is_registered():
    modules = _command_modules()
    assert sorted(m.__name__.rsplit(".", 1)[1] for m in modules) == sorted(NAMES)
    for module in modules:
        command = module.COMMAND
        assert isinstance(command, Command)
        assert module.__name__.rsplit(".", 1)[1] == command.name
        for name in (command.name, *command.aliases):
            assert COMMANDS[name] is command
        assert all(callable(f) for f in (command.parse, command.prepare, command.columns, command.order))
        assert not hasattr(module, "ORDERS_ROWS") and not hasattr(module, "needs_search_order")


def test_a_search_loads_only_the_command_modules_it_uses():
    code = ("import sys; from linux_auditd_at.spl import compile_search; "
            "compile_search('search a=1 | head 2'); "
            "print(sorted(m for m in sys.modules if m.startswith('linux_auditd_at.spl.commands.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str([f"{commands.__name__}.{name}"
                                       for name in ("arguments", "contract", "head", "search")])


@pytest.mark.parametrize(("spl", "order"), [
    ("search a", Order.KEEPS), ("where x>1", Order.KEEPS), ("eval x=1", Order.KEEPS),
    ("rename a AS b", Order.KEEPS), ("convert ctime(_time)", Order.KEEPS), ("fields a", Order.KEEPS),
    ("table a", Order.KEEPS), ("fillnull", Order.KEEPS),
    ("head 1", Order.NEEDS), ("dedup a", Order.NEEDS), ("sort a", Order.NEEDS),
    ("stats count by a", Order.SETS), ("stats first(a) by b", Order.NEEDS),
    ('regex a="x"', Order.KEEPS), ('rex "(?<a>x)"', Order.KEEPS), ("bin span=1h _time", Order.KEEPS),
    ("bucket span=1h _time", Order.KEEPS), ("mvexpand a", Order.KEEPS),
    ("eventstats count by a", Order.KEEPS), ("eventstats last(a)", Order.NEEDS),
])
def test_each_command_declares_how_it_treats_row_order(spl, order):
    stage = parse_stages(f"search * | {spl}")[1]
    assert stage.command.order(stage.node) is order


# --- eval functions -------------------------------------------------------------------------------

# Arguments that a function accepts, where "1" for each required argument is not valid.
_VALID_ARGS = {"case": '1=1, "a"', "tostring": '1, "hex"', "mvfilter": 'a="1"'}


def _args(function: Function, count: int) -> str:
    return _VALID_ARGS.get(function.name) if count == function.min_args and function.name in _VALID_ARGS \
        else ", ".join(['"1"'] * count)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_record_is_checked_at_parse_time(name):
    function = FUNCTIONS[name]
    assert function.name == name and isinstance(function.kind, Kind) and callable(function.build)
    call = f"{name}({_args(function, function.min_args)})"
    if function.kind is Kind.BOOLEAN:
        compile_search(f"search * | where {call}")
        with pytest.raises(SPLError, match="cannot assign a boolean") as err:
            compile_search(f"search * | eval x={call}")
    else:
        compile_search(f"search * | eval x={call}")
        if function.kind is Kind.VALUE:
            with pytest.raises(SPLError, match="where needs a true/false expression"):
                compile_search(f"search * | where {call}")
    wrong = [function.min_args - 1] if function.min_args else []
    wrong += [function.max_args + 1] if function.max_args is not None else []
    for count in wrong:
        with pytest.raises(SPLError, match=rf"{name}\(\) takes .* got {count}") as err:
            compile_search(f"search * | eval x={name}({_args(function, count)})")
        assert err.value.position == len("search * | eval x=")


def test_an_unknown_function_is_a_parse_error_at_its_name():
    with pytest.raises(SPLError, match=r"unknown eval function nosuch\(\)") as err:
        compile_search('search * | where a=1 AND nosuch("x")')
    assert err.value.position == 25
    assert not isinstance(err.value, UnsupportedSPLError)


def test_every_registered_function_is_one_splunk_documents():
    # SPLUNK_EVAL_FUNCTIONS and SPLUNK_STATS_FUNCTIONS copy Search Reference 9.x's "Evaluation
    # functions" and "Statistical and charting functions" lists; the engine's own are among them
    assert set(FUNCTIONS) <= SPLUNK_EVAL_FUNCTIONS
    assert set(ALIASES) <= SPLUNK_STATS_FUNCTIONS


@pytest.mark.parametrize(("spl", "position"), [
    ("search * | eval h=sha256(dest)", 18),           # Cryptographic functions
    ("search * | where isnull(json_extract(a, \"b\"))", 24),  # JSON functions
    ("search * | stats perc95(count) by dest", 17),   # perc<percentile>
    ("search * | eventstats median(count)", 22),
    ("search * | stats allnum=true count", 17),       # stats option
])
def test_functions_splunk_has_and_the_engine_lacks_are_unsupported_not_invalid(spl, position):
    with pytest.raises(UnsupportedSPLError, match="is valid SPL but not supported by the offline") as err:
        compile_search(spl)
    assert err.value.position == position


# --- the supported-SPL tables in docs/engine.md ----------------------------------------------------

_ENGINE_DOC = REPO / "docs" / "engine.md"


def _documented(heading: str) -> set[str]:
    """The names in the first column of the table whose header starts with `heading`."""
    lines = _ENGINE_DOC.read_text(encoding="utf-8").split(f"| {heading} |", 1)[1].splitlines()[2:]
    rows = itertools.takewhile(lambda line: line.startswith("| "), lines)
    return {name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])}


def test_the_documented_commands_are_the_registered_ones():
    assert _documented("Command") == set(COMMANDS)


def test_the_documented_eval_functions_are_the_registered_ones():
    assert _documented("Eval function") == set(FUNCTIONS)


def test_the_documented_stats_functions_are_the_supported_ones():
    assert _documented("Stats function") == set(ALIASES)
