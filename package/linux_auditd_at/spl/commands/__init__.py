"""One module per SPL command; each ends with its contract, `COMMAND = Command(...)` (see
`contract`). COMMANDS maps every name and alias to its Command; adding a command is writing its
module and listing it here.

SPLUNK_COMMANDS are the commands of Splunk's Search Reference: one the engine does not implement
is valid SPL but not supported by the offline engine; a name in neither is not a Splunk command.
"""

import importlib
from typing import Any

from linux_auditd_at.spl.commands import (
    bin,
    convert,
    dedup,
    eventstats,
    fields,
    fillnull,
    head,
    inputlookup,
    lookup,
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
from linux_auditd_at.spl.commands import eval as eval_command  # the module, not the builtin
from linux_auditd_at.spl.commands import format as format_command  # the module, not the builtin
from linux_auditd_at.spl.commands.contract import Command, Order

return_ = importlib.import_module(f"{__name__}.return")  # `return` is a Python keyword

MODULES = (search, where, eval_command, rename, stats, convert, fields, table, sort, head, dedup, fillnull,
           regex, rex, bin, eventstats, mvexpand, lookup, inputlookup, format_command, return_)
COMMANDS: dict[str, Command[Any]] = {name: module.COMMAND for module in MODULES
                                for name in (module.COMMAND.name, *module.COMMAND.aliases)}

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

__all__ = ["COMMANDS", "MODULES", "SPLUNK_COMMANDS", "Command", "Order"]
