"""Eval functions, one record each in FUNCTIONS (see `registry`), grouped by kind of work:
conditional (conditions, null tests, matching), text, conversion, multivalue, time. Adding a
function is writing one decorated builder in one of these modules."""

from linux_auditd_at.spl.functions import conditional, conversion, multivalue, text, time
from linux_auditd_at.spl.functions.registry import FUNCTIONS, Evaluator, Function, Kind

MODULES = (conditional, conversion, multivalue, text, time)

SPLUNK_EVAL_FUNCTIONS = frozenset("""
case cidrmatch coalesce false if in like lookup match null nullif searchmatch true validate
ipmask printf tonumber tostring md5 sha1 sha256 sha512 now relative_time strftime strptime time
isbool isint isnotnull isnull isnum isstr typeof json_append json_array json_array_to_mv
json_extend json_extract json_extract_exact json_keys json_object json_set json_set_exact
json_valid abs ceiling ceil exact exp floor ln log pi pow round sigfig sqrt sum commands mvappend
mvcount mvdedup mvfilter mvfind mvindex mvjoin mvmap mvrange mvsort mvzip mv_to_json_array split
avg max min random len lower ltrim replace rtrim spath substr trim upper urldecode acos acosh asin
asinh atan atan2 atanh cos cosh hypot sin sinh tan tanh
""".split())
"""Search Reference 9.x, "Evaluation functions" (its list of supported functions and syntax): a
name here that FUNCTIONS lacks is valid SPL the offline engine cannot run, any other unknown name
is not SPL."""

__all__ = ["FUNCTIONS", "MODULES", "SPLUNK_EVAL_FUNCTIONS", "Evaluator", "Function", "Kind"]
