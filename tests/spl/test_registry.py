"""The registries are the one place a command or an eval function is added: every command module
declares its contract and is registered, and nothing reads optional attributes instead."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from linux_auditd_at.spl import commands
from linux_auditd_at.spl.commands import COMMANDS, MODULES, Command, Order
from linux_auditd_at.spl.pipeline import parse_stages

_HELPERS = {"arguments", "contract"}


def _command_modules():
    names = [info.name for info in pkgutil.iter_modules(commands.__path__) if info.name not in _HELPERS]
    return [importlib.import_module(f"{commands.__name__}.{name}") for name in sorted(names)]


def test_every_command_module_declares_its_contract_and_is_registered():
    modules = _command_modules()
    assert sorted(m.__name__ for m in modules) == sorted(m.__name__ for m in MODULES)
    for module in modules:
        command = module.COMMAND
        assert isinstance(command, Command)
        assert module.__name__.rsplit(".", 1)[1] == command.name
        for name in (command.name, *command.aliases):
            assert COMMANDS[name] is command
        assert all(callable(f) for f in (command.parse, command.prepare, command.columns, command.order))
        assert not hasattr(module, "ORDERS_ROWS") and not hasattr(module, "needs_search_order")


@pytest.mark.parametrize(("spl", "order"), [
    ("search a", Order.KEEPS), ("where x>1", Order.KEEPS), ("eval x=1", Order.KEEPS),
    ("rename a AS b", Order.KEEPS), ("convert ctime(_time)", Order.KEEPS), ("fields a", Order.KEEPS),
    ("table a", Order.KEEPS), ("fillnull", Order.KEEPS),
    ("head 1", Order.NEEDS), ("dedup a", Order.NEEDS), ("sort a", Order.NEEDS),
    ("stats count by a", Order.SETS), ("stats first(a) by b", Order.NEEDS),
])
def test_each_command_declares_how_it_treats_row_order(spl, order):
    stage = parse_stages(f"search * | {spl}")[1]
    assert stage.command.order(stage.node) is order
