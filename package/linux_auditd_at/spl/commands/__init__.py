"""One module per SPL command; each ends with its contract, `COMMAND = Command(...)` (see
`contract`). COMMANDS maps every name and alias to its Command; adding a command is writing its
module and listing it here."""

from linux_auditd_at.spl.commands import (
    bin,
    convert,
    dedup,
    eval,
    eventstats,
    fields,
    fillnull,
    head,
    mvexpand,
    regex,
    rename,
    rex,
    search,
    sort,
    stats,
    table,
    where,
)
from linux_auditd_at.spl.commands.contract import Command, Order

MODULES = (search, where, eval, rename, stats, convert, fields, table, sort, head, dedup, fillnull,
           regex, rex, bin, eventstats, mvexpand)
COMMANDS: dict[str, Command] = {name: module.COMMAND for module in MODULES
                                for name in (module.COMMAND.name, *module.COMMAND.aliases)}

__all__ = ["COMMANDS", "MODULES", "Command", "Order"]
