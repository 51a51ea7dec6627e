"""One module per SPL command; each ends with its contract, `COMMAND = Command(...)` (see
`contract`). NAMES lists the modules, each named after its command; COMMANDS maps every name and
alias to its Command. Adding a command is writing its module and listing it in NAMES.

COMMANDS imports a command's module when its name is first looked up, so that a search loads only
the commands it uses; looking up any other name (an alias, an unknown name) or going through
COMMANDS imports every module first.

SPLUNK_COMMANDS are the commands of Splunk's Search Reference: one the engine does not implement
is valid SPL but not supported by the offline engine; a name in neither is not a Splunk command.
"""

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from linux_auditd_at.spl.commands.contract import Command, Order

NAMES = ("search", "where", "eval", "rename", "stats", "convert", "fields", "table", "sort", "head", "dedup",
         "fillnull", "regex", "rex", "bin", "eventstats", "mvexpand", "lookup", "inputlookup", "format",
         "return")


class _Registry(Mapping[str, Command[Any]]):
    """Name or alias -> Command, each module imported when first needed (see the docstring above)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command[Any]] = {}

    def __getitem__(self, name: str) -> Command[Any]:
        if name not in self._commands:
            if name in NAMES:
                self._load(name)
            else:
                self._load_all()
        return self._commands[name]

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return iter(self._commands)

    def __len__(self) -> int:
        self._load_all()
        return len(self._commands)

    def _load(self, module_name: str) -> None:
        command: Command[Any] = importlib.import_module(f"{__name__}.{module_name}").COMMAND
        for name in (command.name, *command.aliases):
            self._commands[name] = command

    def _load_all(self) -> None:
        for module_name in NAMES:
            if module_name not in self._commands:
                self._load(module_name)


COMMANDS: Mapping[str, Command[Any]] = _Registry()

SPLUNK_COMMANDS = frozenset("""
abstract accum addcoltotals addinfo addtotals analyzefields anomalies anomalousvalue anomalydetection
append appendcols appendpipe arules associate audit autoregress bin bucket bucketdir chart cluster
cofilter collect concurrency contingency convert correlate datamodel dbinspect dedup delete delta diff
erex eval eventcount eventstats extract kv fieldformat fields fieldsummary filldown fillnull findtypes
folderize foreach format from gauge gentimes geom geomfilter geostats head highlight history iconify
inputcsv inputlookup iplocation join kmeans kvform loadjob localize localop lookup makecontinuous
makemv makeresults map mcollect metadata metasearch meventcollect mpreview msearch mstats multikv
multisearch mvcombine mvexpand nomv outlier outputcsv outputlookup outputtext overlap pivot predict
rangemap rare redistribute regex reltime rename replace require rest return reverse rex rtorder
savedsearch script run scrub search searchtxn selfjoin sendemail set setfields sichart sirare sistats
sitimechart sitop sort spath stats strcat streamstats table tags tail timechart timewrap tojson top
transaction transpose trendline tscollect tstats typeahead typelearner typer union uniq untable
walklex where x11 xmlkv xmlunescape xpath xyseries
""".split())
"""Search Reference, "Command quick reference" (Splunk Enterprise 9.x/10.x)."""

__all__ = ["COMMANDS", "NAMES", "SPLUNK_COMMANDS", "Command", "Order"]
